package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"xprompt/display"
)

// TestGoroutinePanicRecovered: a panic in a goroutine started by a cell,
// interpreted or in a compiled call with bad shapes, is reported on that
// cell (or the next one) and the session lives on.
func TestGoroutinePanicRecovered(t *testing.T) {
	s := newSession(t)
	// Reported on the cell that started it: the cell waits for it.
	_, rec := eval(t, s, "done := make(chan bool)\ngo func() { defer close(done); panic(\"boom\") }()\n<-done\ntime.Sleep(50 * time.Millisecond)")
	if got := rec.text("stderr"); !strings.Contains(got, "goroutine started by this cell") || !strings.Contains(got, "boom") {
		t.Errorf("stderr %q: want the goroutine's panic", got)
	}
	// A compiled call with bad shapes: reported on its cell if that is
	// still running, else in the next cell's output.
	_, first := eval(t, s, "a := core.Zeros(2, 3)\nb := core.Zeros(4, 5)\ngo ops.MatMul(a, b)")
	time.Sleep(300 * time.Millisecond)
	_, rec = eval(t, s, "1 + 1")
	if got := first.text("stderr") + rec.text("stderr"); !strings.Contains(got, "panic in a goroutine started by") || !strings.Contains(got, "MatMul") {
		t.Errorf("stderr %q: want the goroutine's MatMul panic", got)
	}
	// Arguments are evaluated at the go statement; literals keep their
	// untyped constant type; builtins and variadic calls work.
	got, _ := eval(t, s, `ch := make(chan float64, 3)
f := func(x float64, c chan float64) { c <- x }
x := 2.0
go f(x, ch)
x = 5
a1 := <-ch
go f(1, ch)
a2 := <-ch
sum := func(c chan float64, xs ...float64) { t := 0.0; for _, x := range xs { t = t + x }; c <- t }
xs := []float64{10, 20}
go sum(ch, xs...)
a3 := <-ch
go println()
a1 + a2 + a3`)
	if got != "33" {
		t.Errorf("value %q, want 33 (2 at the go statement + 1 + 30)", got)
	}
	// A go statement inside a declared function, in a goroutine itself.
	eval(t, s, "func spawn(done chan bool) { go func() { defer close(done); var m map[string]int; m[\"x\"] = 1 }() }")
	_, rec = eval(t, s, "d := make(chan bool)\ngo spawn(d)\n<-d\ntime.Sleep(50 * time.Millisecond)")
	if got := rec.text("stderr"); !strings.Contains(got, "nil map") {
		t.Errorf("stderr %q: want the nil-map panic", got)
	}
	if got, _ := eval(t, s, "6 * 7"); got != "42" {
		t.Errorf("6*7 = %q after the goroutine panics", got)
	}
}

func TestGuardGoStmtsKeepsLines(t *testing.T) {
	src := "_ = 0;\nx := 1\ngo f(x,\n 2)\ny := x"
	got := guardGoStmts(src)
	if strings.Count(got, "\n") != strings.Count(src, "\n") {
		t.Errorf("line breaks changed:\n%s", got)
	}
	if !strings.Contains(got, "_xpGoCall(f, x,") || strings.Contains(got, "\ngo f") {
		t.Errorf("not rewritten:\n%s", got)
	}
}

// TestInterruptedCompiledCallRefusesNext: a cell interrupted inside a
// compiled call that goes on running makes the next cell answer at once with
// PreviousCellRunning, and the call's late output goes to its own cell.
func TestInterruptedCompiledCallRefusesNext(t *testing.T) {
	if raceEnabled {
		t.Skip(skipRace)
	}
	s := newSession(t)
	release := make(chan struct{})
	if err := s.Bind("slow", func() { <-release; s.out.Stream("stdout", "late\n") }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	first := newRecorder()
	if _, err := s.Eval(ctx, "slow()", first); !isCellError(err, "Interrupted") {
		t.Fatalf("interrupted cell: %v", err)
	}
	second := newRecorder()
	done := make(chan error, 1)
	go func() { _, err := s.Eval(context.Background(), "1 + 1", second); done <- err }()
	select {
	case err := <-done:
		if !isCellError(err, "PreviousCellRunning") {
			t.Fatalf("next cell: %v, want PreviousCellRunning", err)
		}
	case <-time.After(30 * time.Second): // hang guard
		t.Fatal("the next cell blocked behind the running one")
	}
	close(release)
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := s.Eval(context.Background(), "6 * 7", newRecorder())
		if err == nil {
			if got.PlainText() != "42" {
				t.Errorf("6*7 = %q", got.PlainText())
			}
			break
		}
		if !isCellError(err, "PreviousCellRunning") || time.Now().After(deadline) {
			t.Fatalf("after the call returned: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(first.text("stdout"), "late") || strings.Contains(second.text("stdout"), "late") {
		t.Errorf("late output went to the wrong cell: first %q, second %q", first.text("stdout"), second.text("stdout"))
	}
}

func isCellError(err error, name string) bool {
	var ce *display.CellError
	return errors.As(err, &ce) && ce.Name == name
}

// FuzzGuardGoStmts: the go-statement rewrite never panics, keeps the line
// count, and leaves sources without go statements as they are.
func FuzzGuardGoStmts(f *testing.F) {
	f.Add("_ = 0;\ngo f(x, 1)\ngo func() { go g(y...) }()")
	f.Add("func h() { go println(); go a.b.c(d, -1) }")
	f.Add("x := 1")
	f.Fuzz(func(t *testing.T, src string) {
		got := guardGoStmts(src)
		if strings.Count(got, "\n") < strings.Count(src, "\n") {
			t.Errorf("line breaks lost:\n%s\n→\n%s", src, got)
		}
		if !strings.Contains(src, "go") && got != src {
			t.Errorf("changed a source without go statements")
		}
	})
}
