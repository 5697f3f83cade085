package core

import (
	"reflect"
	"unsafe"
)

// slabChunk is the number of values in a slab chunk (more when one request
// needs more).
const slabChunk = 256

// slab hands out runs of zeroed T from chunks that Reset makes available
// again, so that a step which asks for the same sequence of sizes as the last
// one allocates nothing.
type slab[T any] struct {
	chunks [][]T
	c, i   int // current chunk, next free index in it
}

// take returns n zeroed values; the slice's capacity is n, so appending to it
// never writes into a neighbour's run.
func (s *slab[T]) take(n int) []T {
	for s.c < len(s.chunks) && s.i+n > len(s.chunks[s.c]) {
		if s.i == 0 { // too small for this request even when empty: replace it
			s.chunks[s.c] = make([]T, max(slabChunk, n))
			break
		}
		s.c, s.i = s.c+1, 0
	}
	if s.c == len(s.chunks) {
		s.chunks = append(s.chunks, make([]T, max(slabChunk, n)))
		s.i = 0
	}
	r := s.chunks[s.c][s.i : s.i+n : s.i+n]
	s.i += n
	return r
}

// reset zeroes what was handed out and makes it available again.
func (s *slab[T]) reset() {
	for c := 0; c <= s.c && c < len(s.chunks); c++ {
		if c < s.c {
			clear(s.chunks[c])
		} else {
			clear(s.chunks[c][:s.i])
		}
	}
	s.c, s.i = 0, 0
}

type resetter interface{ reset() }

// slabOf returns the arena's slab of T, made on first use. Call with a.mu held.
func slabOf[T any](a *Arena) *slab[T] {
	k := reflect.TypeFor[T]()
	if s, ok := a.slabs[k]; ok {
		return s.(*slab[T])
	}
	s := &slab[T]{}
	a.slabs[k] = s
	return s
}

// Make returns a slice of n zero values of T: inside WithArena from the
// arena (valid until its Reset, like the arena's tensors), else from the
// heap. Operators use it for bookkeeping that lives as long as a step's
// tensors (tile plans, backward rules), so that after warm-up a training
// step allocates nothing on the Go heap.
func Make[T any](n int) []T {
	if a := activeArena.Load(); a != nil && n > 0 {
		if _, ok := any((*T)(nil)).(*float32); ok { // scratch floats: the size-classed buffers
			f := a.take(n, true)
			return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(f))), n)
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		return slabOf[T](a).take(n)
	}
	return make([]T, n)
}

// Alloc returns a pointer to a zero T, drawn like Make's values.
func Alloc[T any]() *T {
	if a := activeArena.Load(); a != nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		return &slabOf[T](a).take(1)[0]
	}
	return new(T)
}
