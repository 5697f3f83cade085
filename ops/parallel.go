package ops

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"xprompt/core"
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
	parallelRange(n, minChunk, rangeFunc(body))
}

// parallelChunks returns how parallelFor splits [0, n): chunks of chunk
// items (the last may be shorter), chunk ≥ minChunk, at most one per core.
func parallelChunks(n, minChunk int) (chunk, chunks int) {
	if n <= 0 {
		return 0, 0
	}
	workers := runtime.GOMAXPROCS(0)
	if minChunk < 1 {
		minChunk = 1
	}
	if w := n / minChunk; w < workers {
		workers = w
	}
	if workers <= 1 {
		return n, 1
	}
	chunk = (n + workers - 1) / workers
	return chunk, (n + chunk - 1) / chunk
}

// ranger is a loop body over [lo, hi): a closure (rangeFunc), or a value
// drawn with core.Alloc so that a call inside an arena allocates nothing.
type ranger interface{ run(lo, hi int) }

// rangeFunc is a function as a ranger.
type rangeFunc func(lo, hi int)

func (f rangeFunc) run(lo, hi int) { f(lo, hi) }

// parallelRange is parallelFor with the body as a ranger.
func parallelRange(n, minChunk int, body ranger) {
	chunk, chunks := parallelChunks(n, minChunk)
	if chunks <= 1 {
		if n > 0 {
			body.run(0, n)
		}
		return
	}
	t := getTask()
	t.body, t.n, t.chunk, t.chunks = body, n, chunk, chunks
	t.pending.Add(t.chunks)
	startHelpers()
	for i := 1; i < t.chunks; i++ {
		t.refs.Add(1) // the helper that takes t holds it until its work returns
		select {
		case parQueue <- t:
		default: // every helper is busy: the caller does the rest
			t.refs.Add(-1)
			i = t.chunks
		}
	}
	t.work()
	t.pending.Wait()
	p := t.panicVal.Load()
	t.release()
	if p != nil {
		panic(*p) // re-raised on the caller's goroutine so it can be recovered
	}
}

// parTask is one parallelFor call: chunks are claimed from next. Tasks are
// recycled: refs counts the goroutines holding one (the caller and the
// helpers it reached), and the last to let go puts it back on the free list.
type parTask struct {
	body             ranger
	n, chunk, chunks int
	next             atomic.Int32   // next chunk to claim
	pending          sync.WaitGroup // chunks not yet finished
	panicVal         atomic.Pointer[any]
	refs             atomic.Int32
}

var (
	taskMu    sync.Mutex
	freeTasks []*parTask
	tasksMade int
)

// getTask returns an idle task held once (by the caller).
func getTask() *parTask {
	taskMu.Lock()
	var t *parTask
	if n := len(freeTasks); n > 0 {
		t, freeTasks[n-1] = freeTasks[n-1], nil
		freeTasks = freeTasks[:n-1]
	}
	taskMu.Unlock()
	if t == nil {
		t = new(parTask)
		taskMu.Lock()
		tasksMade++
		taskMu.Unlock()
	}
	t.next.Store(0)
	t.panicVal.Store(nil)
	t.refs.Store(1)
	return t
}

// release drops one hold on t; the last one recycles it.
func (t *parTask) release() {
	if t.refs.Add(-1) != 0 {
		return
	}
	t.body = nil
	taskMu.Lock()
	freeTasks = append(freeTasks, t)
	taskMu.Unlock()
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
			p := new(any) // only on a panic: r itself would move to the heap on every call
			*p = r
			t.panicVal.CompareAndSwap(nil, p)
		}
		t.pending.Done()
	}()
	lo := c * t.chunk
	t.body.run(lo, min(lo+t.chunk, t.n))
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
				t.release()
			}
		}()
	}
	// A caller holds one task and each helper at most one more (a helper
	// that was descheduled may still hold a finished call's task), so with
	// one calling goroutine want+1 tasks are enough: make them now rather
	// than when a slow helper first makes the free list run dry.
	taskMu.Lock()
	for ; tasksMade < want+1; tasksMade++ {
		freeTasks = append(freeTasks, new(parTask))
	}
	freeTasks = slices.Grow(freeTasks, tasksMade-len(freeTasks)) // room for every task made
	taskMu.Unlock()
}

// parallelArgs is parallelFor for a body that reads its inputs from args
// instead of capturing them: body must be a function literal that captures
// nothing (so that it is a static value), and args is copied into a task
// drawn with core.Alloc. Inside an arena the call allocates nothing.
func parallelArgs[A any](n, minChunk int, args A, body func(a *A, lo, hi int)) {
	if n <= 0 {
		return
	}
	t := core.Alloc[argRange[A]]()
	t.args, t.body = args, body
	parallelRange(n, minChunk, t)
}

// argRange is parallelArgs' task.
type argRange[A any] struct {
	args A
	body func(a *A, lo, hi int)
}

func (t *argRange[A]) run(lo, hi int) { t.body(&t.args, lo, hi) }
