package gemm

import (
	"sync"
	"sync/atomic"
)

// job is one product split into parts, or one batch of products spread over
// goroutines; jobs are pooled so a parallel call allocates nothing.
type job struct {
	wg sync.WaitGroup
	v  *variant
	g  gemmArgs
	// Split product: part i computes the rectangle of C in row band i/tn and
	// column band i%tn of a tm×tn grid of bands (whole micro-tiles each).
	tm, tn int
	// Batch: parts take products next, next+1, ... until batch is reached.
	batch                     int
	strideA, strideB, strideC int
	next                      atomic.Int64
}

var jobs = sync.Pool{New: func() any { return new(job) }}

// runPart runs part i of the job on the calling goroutine.
func (j *job) runPart(i int) {
	v := j.v
	if j.batch > 0 {
		buf := getBuffers(v)
		for {
			b := int(j.next.Add(1) - 1)
			if b >= j.batch {
				break
			}
			g := j.g
			g.a = g.a[b*j.strideA:]
			g.b = g.b[b*j.strideB:]
			g.c = g.c[b*j.strideC:]
			v.single(&g, buf)
		}
		buffers.Put(buf)
		return
	}
	m0, m1 := band(i/j.tn, j.tm, j.g.m, v.mr)
	n0, n1 := band(i%j.tn, j.tn, j.g.n, v.nr)
	if m0 < m1 && n0 < n1 {
		buf := getBuffers(v)
		v.block(&j.g, m0, m1, n0, n1, buf)
		buffers.Put(buf)
	}
}

// single runs one product on the calling goroutine.
func (v *variant) single(g *gemmArgs, buf *packBuffers) {
	switch {
	case g.alpha == 0 || g.k == 0:
		scaleC(g)
	case g.m*g.n*g.k < directWork || g.m < directSide || g.n < directSide:
		v.direct(g)
	default:
		v.block(g, 0, g.m, 0, g.n, buf)
	}
}

// band returns the i-th of parts ranges of [0, size) cut at multiples of
// tile, as even as whole tiles allow.
func band(i, parts, size, tile int) (lo, hi int) {
	tiles := (size + tile - 1) / tile
	lo = min(size, i*tiles/parts*tile)
	hi = min(size, (i+1)*tiles/parts*tile)
	return lo, hi
}

// splitGrid chooses a tm×tn grid of C for threads parts. Each part packs
// the whole op(A) band and op(B) band it needs, so a split along M repacks
// op(B) in every row band and a split along N repacks op(A): the grid
// minimises that duplicated packing, tn·m·k + tm·k·n, among grids that
// give every part at least one micro-tile.
func splitGrid(threads, m, n, k, mr, nr int) (tm, tn int) {
	mt, nt := (m+mr-1)/mr, (n+nr-1)/nr
	tm, tn = 1, 1
	best := -1
	for t := threads; t >= 1; t-- {
		for a := 1; a <= t; a++ {
			if t%a != 0 || a > mt || t/a > nt {
				continue
			}
			b := t / a
			cost := b*m*k + a*k*n
			if best < 0 || cost < best {
				tm, tn, best = a, b, cost
			}
		}
		if best >= 0 {
			return tm, tn
		}
	}
	return 1, 1
}

// gemmBatched runs batch validated products.
func (v *variant) gemmBatched(g *gemmArgs, batch, strideA, strideB, strideC, threads int) {
	work := g.m * g.n * g.k
	across := threads > 1 && batch > 1 &&
		(batch%threads == 0 || batch >= 4*threads || work < threads*partWork)
	if !across {
		for i := 0; i < batch; i++ {
			gi := *g
			gi.a = g.a[i*strideA:]
			gi.b = g.b[i*strideB:]
			gi.c = g.c[i*strideC:]
			v.gemm(&gi, threads)
		}
		return
	}
	j := jobs.Get().(*job)
	*j = job{v: v, g: *g, batch: batch, strideA: strideA, strideB: strideB, strideC: strideC}
	j.runParallel(min(threads, batch))
	*j = job{}
	jobs.Put(j)
}

// work is one part of a job handed to a worker goroutine.
type work struct {
	j *job
	i int
}

var (
	workQ     = make(chan work)
	workersMu sync.Mutex
	workers   int
)

// runParallel runs parts 1..parts-1 on worker goroutines and part 0 on the
// calling goroutine, and returns when all are done. Workers only ever run
// parts that start no parts of their own, so a blocked send always ends.
func (j *job) runParallel(parts int) {
	startWorkers(parts - 1)
	j.wg.Add(parts - 1)
	for i := 1; i < parts; i++ {
		workQ <- work{j, i}
	}
	j.runPart(0)
	j.wg.Wait()
}

// startWorkers makes sure at least n worker goroutines exist; they live for
// the life of the process, parked on workQ when idle.
func startWorkers(n int) {
	workersMu.Lock()
	for ; workers < n; workers++ {
		go func() {
			for w := range workQ {
				w.j.runPart(w.i)
				w.j.wg.Done()
			}
		}()
	}
	workersMu.Unlock()
}
