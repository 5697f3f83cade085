package xpmagic

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xprompt/infer"
	"xprompt/session"
)

func TestModelMagicErrors(t *testing.T) {
	path, _ := tinyCheckpoint(t)
	s := newSession(t)
	eval(t, s, "%load "+path)
	if ce := evalErr(t, s, "%attn 0 0"); !strings.Contains(ce.Value, "no prompt: run %prompt TASK first") {
		t.Errorf("%%attn without p: %v", ce)
	}
	// %mask without p makes the default prompt (a held-out task) and shows it.
	rec := newRecorder()
	if _, err := s.Eval(context.Background(), "%mask", rec); err != nil {
		t.Fatalf("%%mask without p: %v", err)
	}
	if out := rec.text("stdout"); !strings.Contains(out, "made %prompt derain") {
		t.Errorf("%%mask without p printed %q; want a note that it made the derain prompt", out)
	}
	eval(t, s, "%prompt flip_h --examples 1")
	cases := []struct {
		cell, name, value string
	}{
		{"%load " + filepath.Join(t.TempDir(), "missing.xpm"), "MagicError", "missing.xpm"},
		{"%load a b", "UsageError", "usage: %load"},
		{"%task nosuchtask", "UsageError", "nosuchtask"},
		{"%task flip_h --seed x", "UsageError", "-seed"},
		{"%prompt", "UsageError", "one TASK"},
		{"%prompt nosuchtask", "UsageError", "TASK"},
		{"%prompt derain --examples x", "UsageError", "-examples"},
		{"%prompt derain --examples 99", "UsageError", "--examples 99"},
		{"%prompt derain --bogus 1", "UsageError", "flag provided but not defined: -bogus"},
		{"%mask sideways", "UsageError", `unknown mode "sideways"`},
		{"%attn 1", "UsageError", "LAYER and HEAD"},
		{"%attn x 0", "UsageError", `LAYER "x" is not a number`},
		{"%attn 0 y", "UsageError", `HEAD "y" is not a number`},
		{"%attn 2 0", "UsageError", "LAYER 2 is outside [0, 2)"},
		{"%attn 0 4", "UsageError", "HEAD 4 is outside [0, 4)"},
		{"%compress sideways", "UsageError", "want step or all"},
		{"%gen --temp x", "UsageError", "-temp"},
		{"%gen --topp 2", "UsageError", "--topp 2"},
		{"%gen --cfg 2 --context-guidance 2", "UsageError", "exclude each other"},
		{"%gen extra", "UsageError", `unexpected argument "extra"`},
		{"%train abc", "UsageError", `N "abc" is not a positive number`},
		{"%train 0", "UsageError", `N "0"`},
		{"%train --lr 1e-3", "UsageError", "--lr needs N"},
		{"%train 3 --lr -1", "UsageError", "--lr -1"},
		{"%save", "UsageError", "one PATH"},
		{"%save " + filepath.Join(t.TempDir(), "no", "such", "dir", "x.xpm"), "MagicError", "x.xpm"},
	}
	for _, c := range cases {
		ce := evalErr(t, s, c.cell)
		if ce.Name != c.name || !strings.Contains(ce.Value, c.value) {
			t.Errorf("%s: %s: %q, want %s containing %q", c.cell, ce.Name, ce.Value, c.name, c.value)
		}
	}
	// A shape panic inside a magic is a cell error naming the magic; the
	// session goes on.
	eval(t, s, "p.Seq.Seg = p.Seq.Seg[:3]")
	if ce := evalErr(t, s, "%attn 0 0"); ce.Name != "panic" || !strings.HasPrefix(ce.Value, "%attn: ") {
		t.Errorf("shape panic in %%attn: %s: %s", ce.Name, ce.Value)
	}
	eval(t, s, "%prompt flip_h")
	if _, rec := eval(t, s, "%compress"); len(rec.displays) == 0 {
		t.Error("no output after the panic")
	}
	// A prompt made for another model is refused.
	eval(t, s, "%load "+path)
	if ce := evalErr(t, s, "%mask"); !strings.Contains(ce.Value, "another model") {
		t.Errorf("stale p: %v", ce)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

// TestModelMagicEdgeCases: a prompt without examples, a text target, the
// default model, help texts.
func TestModelMagicEdgeCases(t *testing.T) {
	path, _ := tinyCheckpoint(t)
	s := newSession(t)
	eval(t, s, "%load "+path)

	// No in-context examples: XP reads BOS only; cp is still BOS + XP.
	eval(t, s, "%prompt flip_h --examples 0")
	got, rec := eval(t, s, "%compress all")
	if !strings.Contains(allText(got, rec), "no in-context examples") || len(rec.pngs()) != 0 {
		t.Errorf("%%compress without examples:\n%s", allText(got, rec))
	}
	if got, _ := eval(t, s, "cp.Kept()"); got != "5" {
		t.Errorf("cp.Kept() = %s without examples", got)
	}

	// A text target: %gen shows the generated and the true text.
	eval(t, s, "%prompt caption --seed 4")
	got, rec = eval(t, s, "%gen")
	truth, _ := eval(t, s, "p.Query.Text")
	if truth == "" || !strings.Contains(got, "ground truth  "+truth) || len(rec.pngs()) != 0 {
		t.Errorf("%%gen of a caption (truth %q):\n%s", truth, got)
	}
	if got, _ := eval(t, s, "cp.Mode.String()"); got != "xprompt" {
		t.Errorf("%%gen bound cp of mode %q", got)
	}

	// A p that is not a prompt.
	eval(t, s, "p := 7")
	if ce := evalErr(t, s, "%mask"); !strings.Contains(ce.Value, "p is a int") {
		t.Errorf("%%mask with an int p: %v", ce)
	}

	// %load (the default model) loads it, or reports why it cannot.
	if _, err := infer.Default(); err != nil {
		if ce := evalErr(t, s, "%load"); !strings.Contains(ce.Value, err.Error()) {
			t.Errorf("%%load without a default model: %v, want %v", ce, err)
		}
	} else if got, _ := eval(t, s, "%load default"); !strings.Contains(got, "source           default") {
		t.Errorf("%%load default:\n%s", got)
	}
}

func TestHelpFilesCoverModelMagics(t *testing.T) {
	s := newSession(t)
	for name := range magics {
		usage, help := session.ReadHelp(helpFS, name)
		if !strings.HasPrefix(usage, "%"+name) || !strings.Contains(help, "Example:\n\n    %") {
			t.Errorf("help/%s.md: usage %q, help without an example", name, usage)
		}
		if got, _ := eval(t, s, "%help "+name); !strings.HasPrefix(got, usage) {
			t.Errorf("%%help %s:\n%s", name, got)
		}
	}
}
