package core

import (
	"sync"
	"sync/atomic"
)

// Arena recycles the storage of tensors made during a training step. Inside
// WithArena, Zeros and Empty draw their buffers from the arena instead of the
// Go heap; Reset hands every buffer back at once. A training step makes the
// same shapes every time, so after the first step the arena holds exactly the
// buffers the step needs and the heap sees none of the activation traffic.
//
// Tensors made inside WithArena (gradients of parameters included) are valid
// until the next Reset: read what you keep (a loss value) before it. Like
// NoGrad the switch is process-wide, so use it from the one goroutine that
// runs the training step.
type Arena struct {
	mu   sync.Mutex
	free map[int][][]float32 // by length
	used [][]float32
	held int64 // bytes of storage owned
}

// NewArena returns an empty arena.
func NewArena() *Arena { return &Arena{free: map[int][][]float32{}} }

// Reset makes every buffer handed out since the previous Reset available
// again. Tensors drawn from the arena must not be used afterwards.
func (a *Arena) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, b := range a.used {
		a.free[len(b)] = append(a.free[len(b)], b)
	}
	clear(a.used)
	a.used = a.used[:0]
}

// Bytes returns the storage the arena owns, in bytes (its high-water mark).
func (a *Arena) Bytes() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.held
}

// take returns a buffer of n values, zeroed when zero is set.
func (a *Arena) take(n int, zero bool) []float32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var b []float32
	if fs := a.free[n]; len(fs) > 0 {
		b = fs[len(fs)-1]
		fs[len(fs)-1] = nil
		a.free[n] = fs[:len(fs)-1]
		if zero {
			clear(b)
		}
	} else {
		b = make([]float32, n)
		a.held += 4 * int64(n)
	}
	a.used = append(a.used, b)
	return b
}

var activeArena atomic.Pointer[Arena]

// WithArena runs f with tensor storage drawn from a. The previous arena (or
// none) is restored when f returns or panics.
func WithArena(a *Arena, f func()) {
	prev := activeArena.Swap(a)
	defer activeArena.Store(prev)
	f()
}

// floats returns storage for n values: from the active arena if there is one
// (zeroed only when zero is set), else zeroed memory from the heap.
func floats(n int, zero bool) []float32 {
	if a := activeArena.Load(); a != nil && n > 0 {
		return a.take(n, zero)
	}
	return make([]float32, n)
}
