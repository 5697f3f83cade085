package ops

import (
	"runtime"
	"sync"
)

// parallelFor runs body over [0, n) split into contiguous chunks across the
// available cores. Chunks hold at least minChunk items; small loops run inline.
func parallelFor(n, minChunk int, body func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if minChunk < 1 {
		minChunk = 1
	}
	if w := n / minChunk; w < workers {
		workers = w
	}
	if workers <= 1 {
		if n > 0 {
			body(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	var panicVal any
	var once sync.Once
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					once.Do(func() { panicVal = r })
				}
			}()
			body(lo, hi)
		}(lo, hi)
	}
	wg.Wait()
	if panicVal != nil {
		panic(panicVal) // re-raised on the caller's goroutine so it can be recovered
	}
}
