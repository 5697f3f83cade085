package core

import "testing"

func TestArenaReusesStorage(t *testing.T) {
	a := NewArena()
	var first, second *Tensor
	WithArena(a, func() {
		first = Zeros(4, 3)
		for i := range first.Data {
			first.Data[i] = 7
		}
	})
	if got := Zeros(2); &got.Data[0] == &first.Data[0] {
		t.Fatal("Zeros outside WithArena drew from the arena")
	}
	a.Reset()
	WithArena(a, func() { second = Zeros(12) })
	if &second.Data[0] != &first.Data[0] {
		t.Fatal("after Reset a buffer of the same length was not reused")
	}
	for i, v := range second.Data {
		if v != 0 {
			t.Fatalf("reused Zeros storage holds %g at %d", v, i)
		}
	}
	var third *Tensor
	WithArena(a, func() { third = Empty(12) }) // second is still in use: a new buffer
	if &third.Data[0] == &second.Data[0] {
		t.Fatal("a buffer in use was handed out twice")
	}
	if want := int64(2 * 12 * 4); a.Bytes() != want {
		t.Fatalf("arena holds %d bytes, want %d", a.Bytes(), want)
	}
	func() {
		defer func() { _ = recover() }()
		WithArena(a, func() { panic("cell error") })
	}()
	if activeArena.Load() != nil {
		t.Fatal("a panic inside WithArena left the arena active")
	}
}

// A training step's shapes change with the batch's sequence length: the
// arena must reuse its buffers across lengths and keep no more than recent
// steps used, not grow with every new length.
func TestArenaStaysBoundedWhenShapesVary(t *testing.T) {
	a := NewArena()
	perStep := int64(0)
	for step := 0; step < 200; step++ {
		a.Reset()
		n := 1000 + (step*7919)%1000 // a different length nearly every step
		WithArena(a, func() {
			for i := 0; i < 5; i++ {
				x := Zeros(n + i)
				for j, v := range x.Data {
					if v != 0 {
						t.Fatalf("step %d: reused Zeros storage holds %g at %d", step, v, j)
					}
					x.Data[j] = 1
				}
			}
		})
		perStep = max(perStep, int64(5*4*(n+4)))
	}
	if got, bound := a.Bytes(), 3*perStep; got > bound {
		t.Fatalf("arena holds %d bytes after 200 steps of varying length, want at most %d", got, bound)
	}
}

func TestSizeClass(t *testing.T) {
	for n := 1; n < 1<<16; n++ {
		c := sizeClass(n)
		if c < n || (n > 8 && 4*(c-n) > n) {
			t.Fatalf("sizeClass(%d) = %d: below n or more than a quarter wasted", n, c)
		}
	}
}
