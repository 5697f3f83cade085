package gemm

import "sync"

// freeList recycles values like sync.Pool but keeps them across garbage
// collections (a sync.Pool empties itself over two cycles), so that calls
// in steady state allocate nothing even when a collection ran in between.
// It holds at most as many values as were ever in use at once.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
	new   func() *T
}

// get returns a recycled value or a new one.
func (f *freeList[T]) get() *T {
	f.mu.Lock()
	if n := len(f.items); n > 0 {
		x := f.items[n-1]
		f.items[n-1] = nil
		f.items = f.items[:n-1]
		f.mu.Unlock()
		return x
	}
	f.mu.Unlock()
	return f.new()
}

// put hands x back for reuse.
func (f *freeList[T]) put(x *T) {
	f.mu.Lock()
	f.items = append(f.items, x)
	f.mu.Unlock()
}
