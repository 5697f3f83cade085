package session

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// TestMemoryPerCellBounded: short cells leave little behind (yaegi kept
// every evaluation's nodes, 4–9 KB a cell).
func TestMemoryPerCellBounded(t *testing.T) {
	if raceEnabled {
		t.Skip(skipRace)
	}
	s := newSession(t)
	heap := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	cells := []string{"fmt.Println(%d)", "%d + 1", "z := %d\n_ = z"}
	run := func(n int) {
		for i := range n {
			if _, err := s.Eval(context.Background(), fmt.Sprintf(cells[i%len(cells)], i), discard{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(300) // warm-up
	h0 := heap()
	const n = 1500
	run(n)
	h1 := heap()
	run(n)
	h2 := heap()
	runtime.KeepAlive(s)
	t.Logf("heap %d, %d, %d", h0, h1, h2)
	per := (h2 - h1) / n
	t.Logf("%d bytes per cell", per)
	if per > 2500 {
		t.Errorf("%d bytes kept per cell", per)
	}
	if rootsField < 0 {
		t.Error("yaegi's Interpreter has no roots field any more: see memory.go")
	}
}

// TestGoStatementsKeepLittle: the go-statement rewrite adds no func literal
// (yaegi keeps a copy of the global frame for each one evaluated at the top
// level of a cell, so memory grew quadratically with cells).
func TestGoStatementsKeepLittle(t *testing.T) {
	if raceEnabled {
		t.Skip(skipRace)
	}
	s := newSession(t)
	heap := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	if _, err := s.Eval(context.Background(), "func work(i int, c chan int) { c <- i }\nch := make(chan int, 1)", discard{}); err != nil {
		t.Fatal(err)
	}
	run := func(n int) {
		for i := range n {
			if _, err := s.Eval(context.Background(), fmt.Sprintf("go work(%d, ch)\n<-ch", i), discard{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(400)
	h0 := heap()
	const n = 600
	run(n)
	per := (heap() - h0) / n
	runtime.KeepAlive(s)
	t.Logf("%d bytes per cell", per)
	if per > 4000 {
		t.Errorf("%d bytes kept per go-statement cell", per)
	}
}
