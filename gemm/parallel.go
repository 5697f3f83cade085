package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// A split product or a batch runs as a list of tasks that the calling
// goroutine and any worker goroutines that join take in turn from an atomic
// counter. Nobody waits for a worker that has not started: if a core is
// busy with other work, the caller simply takes more of the tasks. So that
// nothing is packed twice, a split product first packs one operand whole
// (the pack tasks), then computes bands of C against it (the band tasks):
// row bands against all of op(B) when C has more micro-tile rows than
// columns, else column bands against all of op(A).

// bandsPerThread: more bands than goroutines, so that a goroutine slowed
// by other work holds up the end of the product by one band at most.
const bandsPerThread = 4

// packGroup is the number of strips one pack task packs.
const packGroup = 8

// job is one split product or one batch of products. Jobs are pooled; a
// worker offered a job in an earlier epoch may still look at its state,
// which is therefore only ever accessed atomically and never reset.
type job struct {
	state atomic.Uint64 // epoch<<32 | closed bit | goroutines inside
	done  chan struct{}
	epoch uint32
	call
}

// call is the part of a job that each call sets afresh.
type call struct {
	v *variant
	g gemmArgs

	rowBands   bool // bands of rows (B prepacked) or of columns (A prepacked)
	bands      int
	pre        prepacked
	groups     int // pack tasks per kc block
	packTasks  int
	packed     atomic.Int64 // pack tasks finished
	batch      int          // > 0: one task per product of a batch
	sA, sB, sC int          // batch strides
	tasks      int
	next       atomic.Int64
	shared     *sharedBuffer
}

const (
	closedBit = 1 << 31
	countMask = closedBit - 1
)

var jobs = freeList[job]{new: func() *job { return &job{done: make(chan struct{}, 1)} }}

// sharedBuffer holds a whole packed operand.
type sharedBuffer struct{ f []float32 }

var sharedBuffers = freeList[sharedBuffer]{new: func() *sharedBuffer { return new(sharedBuffer) }}

// getJob returns a pooled job with a fresh epoch and everything else reset.
func getJob(v *variant, g *gemmArgs) *job {
	j := jobs.get()
	j.call = call{v: v, g: *g}
	j.epoch++
	j.state.Store(uint64(j.epoch) << 32) // publishes the call to joiners
	return j
}

func putJob(j *job) {
	j.call = call{} // drop references to the caller's slices
	jobs.put(j)
}

// maxShared bounds the whole packed operand (floats); wider products are
// done as several side by side. A variable so tests can exercise that.
var maxShared = 1 << 22

// parallel runs one product split into bands on up to threads goroutines.
func (v *variant) parallel(g *gemmArgs, threads int) {
	m, n, k := g.m, g.n, g.k
	mt, nt := (m+v.mr-1)/v.mr, (n+v.nr-1)/v.nr
	rowBands := mt >= nt
	if rowBands && k*nt*v.nr > maxShared && nt > 1 {
		// C = [A·B₁ A·B₂ …] over column blocks of whole strips.
		cols := max(1, maxShared/(k*v.nr)) * v.nr
		for j0 := 0; j0 < n; j0 += cols {
			sub := *g
			sub.n = min(cols, n-j0)
			if g.transB {
				sub.b = g.b[j0*g.ldb:]
			} else {
				sub.b = g.b[j0:]
			}
			sub.c = g.c[j0:]
			v.parallel(&sub, threads)
		}
		return
	}
	if !rowBands && k*mt*v.mr > maxShared && mt > 1 {
		// C = [A₁·B; A₂·B; …] over row blocks of whole strips.
		rows := max(1, maxShared/(k*v.mr)) * v.mr
		for i0 := 0; i0 < m; i0 += rows {
			sub := *g
			sub.m = min(rows, m-i0)
			if g.transA {
				sub.a = g.a[i0:]
			} else {
				sub.a = g.a[i0*g.lda:]
			}
			sub.c = g.c[i0*g.ldc:]
			v.parallel(&sub, threads)
		}
		return
	}
	j := getJob(v, g)
	j.rowBands = rowBands
	tiles, strips, pad := nt, mt, mt*v.mr // the prepacked operand's strips
	if j.rowBands {
		tiles, strips, pad = mt, nt, nt*v.nr
	}
	j.bands = min(tiles, bandsPerThread*threads)
	j.groups = (strips + packGroup - 1) / packGroup
	j.packTasks = (k + v.kc - 1) / v.kc * j.groups
	j.tasks = j.packTasks + j.bands

	j.shared = sharedBuffers.get()
	if len(j.shared.f) < k*pad {
		j.shared.f = aligned(k * pad)
	}
	if j.rowBands {
		j.pre = prepacked{b: j.shared.f[:k*pad], npad: pad}
	} else {
		j.pre = prepacked{a: j.shared.f[:k*pad], mpad: pad}
	}
	j.run(threads)
	sharedBuffers.put(j.shared)
	putJob(j)
}

// gemmBatched runs batch validated products.
func (v *variant) gemmBatched(g *gemmArgs, batch, strideA, strideB, strideC, threads int) {
	work := g.m * g.n * g.k
	if threads <= 1 || batch == 1 || work >= threads*partWork && batch%threads != 0 && batch < 4*threads {
		// Few large products: split each one instead.
		for i := 0; i < batch; i++ {
			gi := *g
			gi.a = g.a[i*strideA:]
			gi.b = g.b[i*strideB:]
			gi.c = g.c[i*strideC:]
			v.gemm(&gi, threads)
		}
		return
	}
	j := getJob(v, g)
	j.batch, j.tasks = batch, batch
	j.sA, j.sB, j.sC = strideA, strideB, strideC
	j.run(min(threads, batch, max(1, batch*work/partWork)))
	putJob(j)
}

// runTask runs task t on the calling goroutine.
func (j *job) runTask(t int, buf *packBuffers) {
	v, g := j.v, &j.g
	if j.batch > 0 {
		gi := *g
		gi.a = g.a[t*j.sA:]
		gi.b = g.b[t*j.sB:]
		gi.c = g.c[t*j.sC:]
		v.single(&gi, buf)
		return
	}
	if t < j.packTasks {
		blk, grp := t/j.groups, t%j.groups
		p0 := blk * v.kc
		kc := min(v.kc, g.k-p0)
		if j.rowBands {
			j0 := grp * packGroup * v.nr
			nc := min(packGroup*v.nr, g.n-j0)
			v.packB(j.pre.b[p0*j.pre.npad+j0*kc:], g, p0, kc, j0, nc)
		} else {
			i0 := grp * packGroup * v.mr
			mc := min(packGroup*v.mr, g.m-i0)
			v.packA(j.pre.a[p0*j.pre.mpad+i0*kc:], g, i0, mc, p0, kc)
		}
		j.packed.Add(1)
		return
	}
	for j.packed.Load() < int64(j.packTasks) {
		runtime.Gosched() // another goroutine is still packing
	}
	b := t - j.packTasks
	if j.rowBands {
		m0, m1 := band(b, j.bands, g.m, v.mr)
		v.block(g, m0, m1, 0, g.n, buf, j.pre)
	} else {
		n0, n1 := band(b, j.bands, g.n, v.nr)
		v.block(g, 0, g.m, n0, n1, buf, j.pre)
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

// drain takes tasks until none are left.
func (j *job) drain() {
	buf := getBuffers(j.v)
	j.drainWith(buf)
	buffers.put(buf)
}

// drainWith is drain with the packing space buf (grown for j's variant).
func (j *job) drainWith(buf *packBuffers) {
	buf.grow(j.v)
	for {
		t := int(j.next.Add(1) - 1)
		if t >= j.tasks {
			break
		}
		j.runTask(t, buf)
	}
}

// run offers the job to threads-1 workers, drains it on the calling
// goroutine, then waits for the workers that joined to finish their tasks.
func (j *job) run(threads int) {
	startWorkers(threads - 1)
	for i := 1; i < threads; i++ {
		select {
		case workQ <- work{j, j.epoch}:
		default: // the workers are behind; they will find the job closed
		}
	}
	j.drain()
	for {
		s := j.state.Load()
		if j.state.CompareAndSwap(s, s|closedBit) {
			if s&countMask != 0 {
				<-j.done
			}
			return
		}
	}
}

// join enters the job if it is still the same call and still open.
func (j *job) join(epoch uint32) bool {
	for {
		s := j.state.Load()
		if uint32(s>>32) != epoch || s&closedBit != 0 {
			return false
		}
		if j.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

// leave exits the job, waking the caller if it is waiting for the last one.
func (j *job) leave() {
	s := j.state.Add(^uint64(0))
	if s&closedBit != 0 && s&countMask == 0 {
		j.done <- struct{}{}
	}
}

// work offers one job, as of one epoch, to a worker.
type work struct {
	j     *job
	epoch uint32
}

var (
	workQ     = make(chan work, 64)
	workersMu sync.Mutex
	workers   int
)

// startWorkers makes sure at least n worker goroutines exist; they live for
// the life of the process, parked on workQ when idle. Each keeps its own
// packing space, so that how many of them happen to work at once does not
// decide how many buffers the free list must make.
func startWorkers(n int) {
	workersMu.Lock()
	for ; workers < n; workers++ {
		go func() {
			buf := new(packBuffers)
			buf.grow(current.Load()) // now, not at the first job it happens to join
			for w := range workQ {
				if w.j.join(w.epoch) {
					w.j.drainWith(buf)
					w.j.leave()
				}
			}
		}()
	}
	workersMu.Unlock()
}
