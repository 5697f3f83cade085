package ops

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallelFor runs body over [0, n) split into contiguous chunks, one per
// available core. Chunks hold at least minChunk items; small loops run inline.
// The split depends only on n, minChunk and GOMAXPROCS, so results do not
// depend on which goroutine runs which chunk.
//
// The calling goroutine works on the chunks itself and offers the task to
// the idle helpers of a persistent pool; a helper that is busy is not waited
// for, so a late or descheduled helper costs at most the chunk it holds. A
// panic in body is re-raised on the caller's goroutine.
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
	chunk := (n + workers - 1) / workers
	t := &parTask{body: body, n: n, chunk: chunk, chunks: (n + chunk - 1) / chunk}
	t.pending.Add(t.chunks)
	startHelpers()
	for i := 1; i < t.chunks; i++ {
		select {
		case parQueue <- t:
		default: // every helper is busy: the caller does the rest
			i = t.chunks
		}
	}
	t.work()
	t.pending.Wait()
	if p := t.panicVal.Load(); p != nil {
		panic(*p) // re-raised on the caller's goroutine so it can be recovered
	}
}

// parTask is one parallelFor call: chunks are claimed from next.
type parTask struct {
	body             func(lo, hi int)
	n, chunk, chunks int
	next             atomic.Int32   // next chunk to claim
	pending          sync.WaitGroup // chunks not yet finished
	panicVal         atomic.Pointer[any]
}

// work runs chunks until none is left to claim.
func (t *parTask) work() {
	for {
		c := int(t.next.Add(1)) - 1
		if c >= t.chunks {
			return
		}
		t.run(c)
	}
}

func (t *parTask) run(c int) {
	defer func() {
		if r := recover(); r != nil {
			t.panicVal.CompareAndSwap(nil, &r)
		}
		t.pending.Done()
	}()
	lo := c * t.chunk
	t.body(lo, min(lo+t.chunk, t.n))
}

var (
	parQueue   = make(chan *parTask) // unbuffered: a send succeeds only to an idle helper
	helpersMu  sync.Mutex
	helperRuns int
	helpersN   atomic.Int32 // helperRuns, read without the lock
)

// startHelpers makes sure GOMAXPROCS−1 helpers exist (they wait on parQueue).
func startHelpers() {
	want := runtime.GOMAXPROCS(0) - 1
	if int(helpersN.Load()) >= want {
		return
	}
	helpersMu.Lock()
	defer helpersMu.Unlock()
	defer func() { helpersN.Store(int32(helperRuns)) }()
	for ; helperRuns < want; helperRuns++ {
		go func() {
			for t := range parQueue {
				t.work()
			}
		}()
	}
}
