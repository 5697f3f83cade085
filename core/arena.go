package core

import (
	"math/bits"
	"reflect"
	"sync"
	"sync/atomic"
)

// Arena recycles the storage of tensors made during a training step. Inside
// WithArena, Zeros and Empty draw their buffers from the arena instead of the
// Go heap; Reset hands every buffer back at once. Buffers come in size
// classes (four per power of two, so at most a quarter is wasted), which
// lets a step whose sequence length differs from the last one's reuse the
// same buffers; after each Reset the arena keeps no more buffers of a class
// than the last two steps used, so it stays bounded however the shapes vary.
//
// The arena also holds the small objects of a step: tensor headers and
// shapes, tape nodes, and what operators draw with Make and Alloc (backward
// rules, tile plans, worker scratch). These live in slabs that Reset zeroes
// and hands out again, so a step shaped like the previous one allocates
// nothing on the Go heap.
//
// Tensors made inside WithArena (gradients of parameters included, and
// tensors wrapping heap data with New) are valid until the next Reset: read
// what you keep (a loss value) before it, or Clone it outside. Like
// NoGrad the switch is process-wide, so use it from the one goroutine that
// runs the training step.
type Arena struct {
	mu   sync.Mutex
	free map[int][][]float32 // by size class
	used [][]float32         // whole buffers handed out since the last Reset
	peak map[int]int         // buffers of each class used by the previous step
	now  map[int]int         // scratch of Reset: buffers of each class used by this step
	held int64               // bytes of storage owned

	tensors slab[Tensor]
	nodes   slab[node]
	ints    slab[int]
	ptrs    slab[*Tensor]
	slabs   map[reflect.Type]resetter // Make and Alloc, by element type
	topo    *topoScratch              // Backward's buffers
}

// NewArena returns an empty arena.
func NewArena() *Arena {
	return &Arena{free: map[int][][]float32{}, peak: map[int]int{}, now: map[int]int{}, slabs: map[reflect.Type]resetter{}}
}

// sizeClass rounds n up to the next of 2^k, 1.25·2^k, 1.5·2^k, 1.75·2^k.
func sizeClass(n int) int {
	if n <= 8 {
		return 8
	}
	k := bits.Len(uint(n-1)) - 3 // the class step is 2^k, a quarter of the power of two below
	step := 1 << k
	return (n + step - 1) / step * step
}

// Reset makes every buffer handed out since the previous Reset available
// again. Tensors drawn from the arena must not be used afterwards. Buffers
// of a class beyond what this step and the previous one used are dropped.
func (a *Arena) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tensors.reset()
	a.nodes.reset()
	a.ints.reset()
	a.ptrs.reset()
	for _, s := range a.slabs {
		s.reset()
	}
	now := a.now
	clear(now)
	for _, b := range a.used {
		c := len(b)
		now[c]++
		a.free[c] = append(a.free[c], b)
	}
	clear(a.used)
	a.used = a.used[:0]
	for c, fs := range a.free {
		keep := max(now[c], a.peak[c])
		for len(fs) > keep {
			a.held -= 4 * int64(c)
			fs[len(fs)-1] = nil
			fs = fs[:len(fs)-1]
		}
		if len(fs) == 0 {
			delete(a.free, c)
		} else {
			a.free[c] = fs
		}
	}
	a.peak, a.now = now, a.peak
}

// Bytes returns the storage the arena owns, in bytes.
func (a *Arena) Bytes() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.held
}

// take returns a buffer of n values, zeroed when zero is set.
func (a *Arena) take(n int, zero bool) []float32 {
	c := sizeClass(n)
	a.mu.Lock()
	defer a.mu.Unlock()
	var b []float32
	if fs := a.free[c]; len(fs) > 0 {
		b = fs[len(fs)-1]
		fs[len(fs)-1] = nil
		a.free[c] = fs[:len(fs)-1]
		if zero {
			clear(b[:n])
		}
	} else {
		b = make([]float32, c)
		a.held += 4 * int64(c)
	}
	a.used = append(a.used, b)
	return b[:n:n]
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
