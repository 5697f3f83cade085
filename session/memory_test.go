package session

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"xprompt/display"
)

// TestMemoryPerCellBounded: short cells leave little behind (yaegi kept
// every evaluation's nodes, 4–9 KB a cell, then its temporaries, source
// files and scopes, 1.6 KB).
func TestMemoryPerCellBounded(t *testing.T) {
	if raceEnabled {
		t.Skip(skipRace)
	}
	s := newSession(t)
	cells := []string{"fmt.Println(%d)", "%d + 1", "z := %d\n_ = z"}
	run := func(n int) {
		for i := range n {
			if _, err := s.Eval(context.Background(), fmt.Sprintf(cells[i%len(cells)], i), discard{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(300) // warm-up
	h0 := liveHeap()
	const n = 1500
	run(n)
	h1 := liveHeap()
	run(n)
	h2 := liveHeap()
	runtime.KeepAlive(s)
	t.Logf("heap %d, %d, %d", h0, h1, h2)
	per := (h2 - h1) / n
	t.Logf("%d bytes per cell", per)
	if per > 800 { // about 160 (1,600 before the temporaries, files and scopes were released)
		t.Errorf("%d bytes kept per cell", per)
	}
	if rootsField < 0 {
		t.Error("yaegi's Interpreter has no roots field any more: see memory.go")
	}
}

// TestGoStatementsKeepLittle: go statements, of a declared function or of
// a func literal, keep little per cell (yaegi copies the global frame into
// each func literal evaluated at the top level of a cell; the copy was kept
// in a global slot for good, so memory grew quadratically with such cells).
func TestGoStatementsKeepLittle(t *testing.T) {
	if raceEnabled {
		t.Skip(skipRace)
	}
	s := newSession(t)
	if _, err := s.Eval(context.Background(), "func work(i int, c chan int) { c <- i }\nch := make(chan int, 1)", discard{}); err != nil {
		t.Fatal(err)
	}
	run := func(n int) {
		for i := range n {
			cell := fmt.Sprintf("go work(%d, ch)\n<-ch", i)
			if i%2 == 1 { // a func literal: yaegi copies the global frame into it
				cell = fmt.Sprintf("go func() { ch <- %d }()\n<-ch", i)
			}
			if _, err := s.Eval(context.Background(), cell, discard{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(400)
	h0 := liveHeap()
	const n = 600
	run(n)
	per := (liveHeap() - h0) / n
	runtime.KeepAlive(s)
	t.Logf("%d bytes per cell", per)
	if per > 800 { // about 160 (2,100 before the temporaries, files and scopes were released)
		t.Errorf("%d bytes kept per go-statement cell", per)
	}
}

// TestTemporariesAreReleased: values a cell computed but did not name are
// not kept by the interpreter's global frame after the cell, while named
// variables, closures and values handed out stay valid.
func TestTemporariesAreReleased(t *testing.T) {
	if raceEnabled {
		t.Skip(skipRace)
	}
	s := newSession(t)
	eval := func(src string) string {
		t.Helper()
		out := &streamText{}
		res, err := s.Eval(context.Background(), src, out)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if res != nil {
			out.b.WriteString(fmt.Sprint(res.Data["text/plain"]))
		}
		return out.b.String()
	}
	eval("kept := core.Zeros(1 << 18)\nkept.Data[7] = 3\nf := func() float32 { return kept.Data[7] }")
	eval("{ inner := 5; _ = inner }")
	h0 := liveHeap()
	for range 40 {
		eval("core.Zeros(1 << 18)") // 1 MiB each, shown and dropped
		eval("len(core.Zeros(1 << 18).Data)")
		eval("core.Zeros(1 << 18).Data[:4]")
		eval("core.Zeros(1 << 18).Data[3]") // boxed
	}
	grown := liveHeap() - h0
	t.Logf("heap grew %d bytes over 160 cells of 1 MiB temporaries", grown)
	if grown > 16<<20 {
		t.Errorf("heap grew %d bytes: the cells' temporaries are kept", grown)
	}
	if got := eval("f()"); !strings.Contains(got, "3") {
		t.Errorf("closure over a named variable returned %q after the clearing", got)
	}
	// "kept.Data[7] + 1" takes the boxed path (boxedSource): yaegi cannot
	// define a top-level variable from it.
	if got := eval("kept.Data[7] + 1"); !strings.Contains(got, "4") {
		t.Errorf("named variable reads %q after the clearing", got)
	}
	if got := eval("for i := 0; i < 3; i++ { fmt.Print(i) }"); !strings.Contains(got, "012") {
		t.Errorf("loop printed %q", got)
	}
}

// streamText collects a cell's streams.
type streamText struct{ b strings.Builder }

func (o *streamText) Stream(_, text string)                { o.b.WriteString(text) }
func (o *streamText) Display(display.Bundle, string, bool) {}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
