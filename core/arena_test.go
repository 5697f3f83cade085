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
