package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"xprompt/core"
	"xprompt/display"
)

func TestMagics(t *testing.T) {
	s := newSession(t)

	// %help lists every built-in magic with its summary.
	got, _ := eval(t, s, "%help")
	for _, name := range []string{"%help", "%time", "%device", "%who"} {
		if !strings.Contains(got, name) {
			t.Errorf("%%help does not list %s:\n%s", name, got)
		}
	}
	got, _ = eval(t, s, "%help time")
	if !strings.HasPrefix(got, "%time STMT") || !strings.Contains(got, "Example:") {
		t.Errorf("%%help time:\n%s", got)
	}
	if ce := evalErr(t, s, "%help nosuch"); ce.Name != "UsageError" {
		t.Errorf("%%help nosuch: %v", ce)
	}

	// %time runs the statement, keeps its variables and reports the time.
	got, rec := eval(t, s, "%time tt := core.Ones(3, 3)\ntt.Len()")
	if got != "9" || !strings.HasPrefix(rec.text("stdout"), "wall time: ") {
		t.Errorf("%%time: value %q, stdout %q", got, rec.text("stdout"))
	}
	if got, _ := eval(t, s, "tt.Dim(0)"); got != "3" {
		t.Errorf("variable from %%time: %q", got)
	}
	if ce := evalErr(t, s, "%time ops.MatMul(tt, core.Ones(2, 2))"); ce.Name != "panic" {
		t.Errorf("%%time of a panicking cell: %v", ce)
	}

	// %device lists the registered devices and switches among them.
	got, _ = eval(t, s, "%device")
	for _, d := range core.Devices() {
		if !strings.Contains(got, string(d)) {
			t.Errorf("%%device does not list %s:\n%s", d, got)
		}
	}
	if got, _ := eval(t, s, "%device cpu"); got != "device: cpu" || s.Device() != core.CPU {
		t.Errorf("%%device cpu: %q, device %s", got, s.Device())
	}
	ce := evalErr(t, s, "%device nosuchdevice")
	if !strings.Contains(ce.Value, `"nosuchdevice" is not available`) || !strings.Contains(ce.Value, "cpu") {
		t.Errorf("%%device nosuchdevice: %v", ce)
	}

	// %who lists variables (with type), funcs and types, not internals.
	eval(t, s, "answer := 42\nfunc greet() {}\ntype thing struct{}\nconst limit = 7\npic := img.New(3, 2)")
	got, _ = eval(t, s, "%who")
	squeeze := strings.Join(strings.Fields(got), " ")
	for _, want := range []string{"answer int 42", "greet func", "thing type", "tt *core.Tensor Tensor[3 3]", "sink display.Sink the running cell's output", "limit const 7", "pic *img.Image Image 3×2"} {
		if !strings.Contains(squeeze, want) {
			t.Errorf("%%who lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, lastVar) || strings.Contains(got, boundName) {
		t.Errorf("%%who shows internal names:\n%s", got)
	}
}

func TestRegisterMagic(t *testing.T) {
	s := newSession(t)
	// A magic that binds a compiled value, as %load will bind m.
	err := s.RegisterMagic("answer", "%answer NAME", "Binds NAME to a 2×2 tensor of 42s.",
		func(_ context.Context, s *Session, args string, sink display.Sink) (*display.Bundle, error) {
			if args == "" {
				return nil, s.UsageError("answer", "missing NAME")
			}
			sink.Stream("stdout", "binding "+args+"\n")
			return nil, s.Bind(args, core.Full(42, 2, 2))
		})
	if err != nil {
		t.Fatal(err)
	}
	_, rec := eval(t, s, "%answer m")
	if rec.text("stdout") != "binding m\n" {
		t.Errorf("magic output %q", rec.text("stdout"))
	}
	if got, _ := eval(t, s, "m.At(1, 1)"); got != "42" {
		t.Errorf("bound by a magic: m.At(1,1) = %q", got)
	}
	if ce := evalErr(t, s, "%answer"); ce.Name != "UsageError" || !strings.Contains(ce.Value, "usage: %answer NAME") {
		t.Errorf("usage error: %v", ce)
	}
	if got, _ := eval(t, s, "%help"); !strings.Contains(got, "%answer") {
		t.Errorf("%%help does not list a registered magic:\n%s", got)
	}
	if err := s.RegisterMagic("Bad Name", "", "", nil); err == nil {
		t.Error("RegisterMagic accepted an invalid name")
	}
	// A panicking magic becomes a cell error naming it; the session goes on.
	s.RegisterMagic("boom", "%boom", "Panics.", func(context.Context, *Session, string, display.Sink) (*display.Bundle, error) {
		panic("ops.MatMul: inner dimensions differ")
	})
	if ce := evalErr(t, s, "%boom"); ce.Name != "panic" || ce.Value != "%boom: ops.MatMul: inner dimensions differ" {
		t.Errorf("panicking magic: %v", ce)
	}
	if got, _ := eval(t, s, "1 + 1"); got != "2" {
		t.Errorf("after a panicking magic: 1 + 1 = %q", got)
	}
	// A cancelled magic reports an interrupt.
	s.RegisterMagic("wait", "%wait", "Waits for the interrupt.", func(ctx context.Context, _ *Session, _ string, _ display.Sink) (*display.Bundle, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Eval(ctx, "%wait", newRecorder()); err == nil || !strings.Contains(err.Error(), "Interrupted") {
		t.Errorf("cancelled magic: %v", err)
	}
}

func TestHelpFilesCoverBuiltins(t *testing.T) {
	for name := range builtinMagics {
		usage, help := ReadHelp(helpFS, name)
		if !strings.HasPrefix(usage, "%"+name) || !strings.Contains(help, "Example:") {
			t.Errorf("help/%s.md: usage %q, help without an example", name, usage)
		}
	}
}
