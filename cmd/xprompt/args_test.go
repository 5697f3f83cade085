package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"xprompt/img"
)

// TestBadArgumentsAreUsageErrors: bad numbers, stray positional arguments and
// flags a command cannot honour are usage errors, found before anything
// starts (no checkpoint written, no model loaded).
func TestBadArgumentsAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.ckpt")
	for _, args := range [][]string{
		{"train", "--examples", "-1", "--out", out},
		{"train", "--preset", "tiny", "100", "--steps", "5", "--out", out},
		{"train", "--checkpoint-every", "0", "--out", out},
		{"train", "--steps", "-3", "--out", out},
		{"train", "--lr", "NaN", "--out", out},
		{"train", "--min-lr", "-1", "--out", out},
		{"train", "--lr", "1e-3", "--min-lr", "2e-3", "--out", out},
		{"train", "--resume", out, "--min-lr", "1e-5"},
		{"train", "--ema", "1", "--out", out},
		{"train", "--ema", "-0.5", "--out", out},
		{"train", "--resume", out, "--ema", "0.99"},
		{"export", "--ema", "only-one"},
		{"average", "--weight", "1.5", "a", "b", out},
		{"average", "--weight", "NaN", "a", "b", out},
		{"average", "a", "b"},
		{"train", "--shared-params", "1.5", "--out", out},
		{"train", "--resume", out, "--shared-params", "0.5"},
		{"train", "--foreign-instruction", "NaN", "--out", out},
		{"train", "--resume", out, "--foreign-instruction", "0.3"},
		{"train", "--example-only-foreign", "-0.1", "--out", out},
		{"train", "--resume", out, "--example-only-foreign", "0.5"},
		{"train", "--palette-shared", "1.5", "--out", out},
		{"train", "--resume", out, "--palette-shared", "0.5"},
		{"train", "--drop-words", "1.5", "--out", out},
		{"train", "--resume", out, "--drop-words", "0.2"},
		{"train", "--xp", "-1", "--out", out},
		{"train", "--xp", "300", "--out", out},
		{"train", "--resume", out, "--xp", "16"},
		{"train", "--layers", "-1", "--out", out},
		{"train", "--layers", "100", "--out", out},
		{"train", "--resume", out, "--layers", "9"},
		{"tasks", "show", "flip_h", "--shared", "--out", filepath.Join(dir, "f.png")},
		{"train", "--resume", out, "--preset", "tiny"},
		{"train", "--resume", out, "--batch", "4"},
		{"train", "--resume", out, "--seed", "7"},
		{"train", "--resume", out, "--hide-determined-only"},
		{"train", "--hide-determined-only", "--out", out},
		{"train", "--init", out, "--preset", "tiny", "--out", out + "2"},
		{"gen", "--task", "flip-h", "--n", "0"},
		{"gen", "--task", "flip-h", "extra"},
		{"demo", "--n", "-1"},
		{"demo", "stray"},
		{"eval", "--queries", "-5"},
		{"export", "only-one"},
		{"compare", "only-one"},
		{"compare", dir, dir, "--method", "bogus"},
		{"bench", "gemm", "--threads", "0"},
		{"bench", "attention", "--iters", "0"},
		{"bench", "gen", "--threads", "0"},
		{"bench", "gen", "--tokens", "0"},
		{"vq", "train", "--steps", "0"},
		{"vq", "train", "--task-outputs", "1.5", "--out", out},
		{"vq", "train", "--families", "invert", "--out", out},
		{"vq", "train", "--task-outputs", "0.5", "--families", "caption", "--out", out},
		{"vq", "train", "--task-outputs", "0.5", "--families", "no_such_family", "--out", out},
		{"vq", "eval", "--families", "no_such_family"},
		{"vq", "eval", "--families", "invert", "--dir", dir},
		{"tasks", "stray"},
		{"repl", "stray"},
		{"kernel", "--connection-file", "x.json", "stray"},
	} {
		cmd, ok := commands[args[0]]
		if !ok {
			t.Fatalf("no command %q", args[0])
		}
		err := cmd.run(args[1:])
		if !errors.Is(err, errUsage) {
			t.Errorf("xprompt %s: error %v, want a usage error", strings.Join(args, " "), err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("a refused command wrote %v", entries)
	}
}

// TestUsageExitStatus: a usage error exits with status 2 and says why.
func TestUsageExitStatus(t *testing.T) {
	if os.Getenv("XPROMPT_MAIN_ARGS") != "" {
		os.Args = append([]string{"xprompt"}, strings.Fields(os.Getenv("XPROMPT_MAIN_ARGS"))...)
		main()
		os.Exit(0)
	}
	c := exec.Command(os.Args[0], "-test.run=^TestUsageExitStatus$")
	c.Env = append(os.Environ(), "XPROMPT_MAIN_ARGS=train --examples -1")
	outb, err := c.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want status 2; output:\n%s", err, outb)
	}
	if !strings.Contains(string(outb), "--examples -1") {
		t.Errorf("output does not name the flag:\n%s", outb)
	}
}

// TestTasksNameShows: 'xprompt tasks NAME' writes NAME's example grid as
// 'xprompt tasks show NAME' does; a name that is no family is refused by name.
func TestTasksNameShows(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "recolour.png")
	if err := runTasks([]string{"recolour", "--n", "1", "--out", out}); err != nil {
		t.Fatal(err)
	}
	if _, err := img.LoadFile(out); err != nil {
		t.Fatalf("the grid is not a readable PNG: %v", err)
	}
	err := runTasks([]string{"recolor"})
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), `"recolor"`) {
		t.Errorf("tasks recolor: error %v, want a usage error naming it", err)
	}
}
