package cuda

import (
	"sync"
)

// allocator is a caching allocator over a Driver: freed blocks are kept in
// per-size free lists (sizes rounded up to 512 B below 1 MiB, to 2 MiB above)
// and reused, so that the many short-lived tensors of a training step do not
// each cost a cuMemAlloc and cuMemFree (which synchronise the device).
type allocator struct {
	drv    Driver
	mu     sync.Mutex
	free   map[int][]uint64
	sizes  map[uint64]int
	inUse  int // bytes handed out
	cached int // bytes in free lists
}

func newAllocator(d Driver) *allocator {
	return &allocator{drv: d, free: map[int][]uint64{}, sizes: map[uint64]int{}}
}

// roundSize returns the size class of a request of n bytes.
func roundSize(n int) int {
	if n <= 0 {
		n = 1
	}
	if n < 1<<20 {
		return (n + 511) &^ 511
	}
	return (n + (2<<20 - 1)) &^ (2<<20 - 1)
}

// alloc returns a block of at least n bytes, from the cache when possible.
// When the driver is out of memory it empties the cache and tries again.
func (a *allocator) alloc(n int) (uint64, error) {
	sz := roundSize(n)
	a.mu.Lock()
	if l := a.free[sz]; len(l) > 0 {
		p := l[len(l)-1]
		a.free[sz] = l[:len(l)-1]
		a.cached -= sz
		a.inUse += sz
		a.mu.Unlock()
		return p, nil
	}
	a.mu.Unlock()
	p, err := a.drv.Alloc(sz)
	if err != nil {
		a.trim()
		if p, err = a.drv.Alloc(sz); err != nil {
			return 0, err
		}
	}
	a.mu.Lock()
	a.sizes[p] = sz
	a.inUse += sz
	a.mu.Unlock()
	return p, nil
}

// release returns a block to the cache.
func (a *allocator) release(p uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	sz := a.sizes[p]
	a.free[sz] = append(a.free[sz], p)
	a.inUse -= sz
	a.cached += sz
}

// trim frees every cached block.
func (a *allocator) trim() {
	a.mu.Lock()
	var ps []uint64
	for sz, l := range a.free {
		ps = append(ps, l...)
		delete(a.free, sz)
	}
	for _, p := range ps {
		delete(a.sizes, p)
	}
	a.cached = 0
	a.mu.Unlock()
	for _, p := range ps {
		a.drv.Free(p)
	}
}

// stats returns the bytes in use and in the cache.
func (a *allocator) stats() (inUse, cached int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.inUse, a.cached
}
