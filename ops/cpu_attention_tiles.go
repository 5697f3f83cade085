package ops

import (
	"math"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"xprompt/core"
)

// Tiles of the fused attention: a tile is attnBq queries × attnBk keys of one
// (batch element, head). The kernels classify every tile from per-tile
// summaries of the mask before touching any score. 32×128 measured best of
// 16…64 × 32…256 on the presets (long rows for the row kernels, short query
// tiles for finer skipping and load balance); see ATTENTION_NOTES.md.
const (
	attnBq = 32
	attnBk = 128
)

// tileClass says how much of a tile the mask allows.
type tileClass uint8

const (
	tileSkip    tileClass = iota // no allowed pair: the tile is not evaluated
	tilePartial                  // some pairs masked: the mask is evaluated per element
	tileFull                     // every pair allowed: no per-element mask
)

// otherSeg is the segment bit shared by every segment id outside [0, 63).
const otherSeg = 63

// segBit returns the bit of segment s in a tile's segment set.
func segBit(s int32) uint {
	if uint32(s) < otherSeg {
		return uint(s)
	}
	return otherSeg
}

// tileSummary describes the tokens of one tile of queries or keys.
type tileSummary struct {
	minPos, maxPos int32  // over the non-padding tokens
	segs           uint64 // bit segBit(s) for each segment s of a non-padding token; 0 = all padding
	pad            bool   // the tile holds padding
}

// attnPlan is the mask of one attention call made ready for the kernels:
// segment ids and positions materialised per token (defaults filled in), a
// summary per tile, and the segment rule tabulated over the segments present.
type attnPlan struct {
	mask                   *core.Mask
	causal                 bool // positions matter (every kind but MaskFull)
	batch, tq, tk          int
	bq, bk                 int
	nqt, nkt               int
	qSeg, kSeg, qPos, kPos []int32 // batch·tq and batch·tk entries
	qSum, kSum             []tileSummary
	// sure[a] has bit c if the segment rule allows query segment a to see
	// key segment c; maybe[a] also has the bits of pairs involving otherSeg
	// whose answer depends on the actual ids. Only segments that occur are set.
	sure, maybe [64]uint64
	// When every id is padding or below padCode (the usual case), kCode
	// holds each key's id with padding as padCode, and allow[a] the key ids
	// query segment a may see: maskRow evaluates a row from them.
	kCode []int32
	allow [padCode]uint32
}

// padCode stands for padding in attnPlan.kCode; no allow set contains it.
const padCode = 31

// newAttnPlan builds the plan of mask for batch sequences of tq queries and tk
// keys in tiles of bq × bk. A nil mask is the zero Mask: causal, no segments.
func newAttnPlan(mask *core.Mask, batch, tq, tk, bq, bk int) *attnPlan {
	if mask == nil {
		mask = core.Alloc[core.Mask]()
	}
	p := core.Alloc[attnPlan]() // zero, from the step's arena inside one
	p.mask, p.causal = mask, mask.Kind != core.MaskFull
	p.batch, p.tq, p.tk, p.bq, p.bk = batch, tq, tk, bq, bk
	p.nqt, p.nkt = (tq+bq-1)/bq, (tk+bk-1)/bk
	p.qSeg = fillSegments(mask.QSeg, batch*tq)
	p.kSeg = fillSegments(mask.KSeg, batch*tk)
	p.qPos = fillPositions(mask.QPos, batch, tq, tk-tq)
	p.kPos = fillPositions(mask.KPos, batch, tk, 0)
	var qAll, kAll uint64
	p.qSum, qAll = summarise(p.qSeg, p.qPos, batch, tq, bq)
	p.kSum, kAll = summarise(p.kSeg, p.kPos, batch, tk, bk)
	for qb := qAll; qb != 0; qb &= qb - 1 {
		a := bits.TrailingZeros64(qb)
		for kb := kAll; kb != 0; kb &= kb - 1 {
			c := bits.TrailingZeros64(kb)
			switch {
			case a != otherSeg && c != otherSeg:
				if p.segRule(int32(a), int32(c)) {
					p.sure[a] |= 1 << c
				}
			case mask.Kind == core.MaskCustom && mask.Allow != nil:
				p.maybe[a] |= 1 << c // depends on which ids stand behind otherSeg
				continue
			default: // the built-in rules only single out IE and TD
				p.sure[a] |= 1 << c
			}
			p.maybe[a] |= p.sure[a] & (1 << c)
		}
	}
	if (qAll|kAll)>>padCode == 0 {
		p.kCode = core.Make[int32](len(p.kSeg))
		for i, s := range p.kSeg {
			p.kCode[i] = s
			if s == core.SegPad {
				p.kCode[i] = padCode
			}
		}
		for a := range p.allow {
			p.allow[a] = uint32(p.sure[a])
		}
	}
	return p
}

func fillSegments(s []int32, n int) []int32 {
	if s != nil {
		return s
	}
	out := core.Make[int32](n)
	for i := range out {
		out[i] = core.SegTD
	}
	return out
}

// fillPositions returns pos, or for nil the positions off, off+1, … of each
// of the batch sequences of t tokens.
func fillPositions(pos []int32, batch, t, off int) []int32 {
	if pos != nil {
		return pos
	}
	out := core.Make[int32](batch * t)
	for b := 0; b < batch; b++ {
		for i := 0; i < t; i++ {
			out[b*t+i] = int32(off + i)
		}
	}
	return out
}

// summarise returns the summaries of the tiles of size bt of each sequence
// (batch·⌈t/bt⌉, batch-major) and the union of their segment sets.
func summarise(seg, pos []int32, batch, t, bt int) ([]tileSummary, uint64) {
	n := (t + bt - 1) / bt
	out := core.Make[tileSummary](batch * n)
	var all uint64
	for b := 0; b < batch; b++ {
		for ti := 0; ti < n; ti++ {
			s := tileSummary{minPos: math.MaxInt32, maxPos: math.MinInt32}
			for i := b*t + ti*bt; i < b*t+min(t, (ti+1)*bt); i++ {
				if seg[i] == core.SegPad {
					s.pad = true
					continue
				}
				s.segs |= 1 << segBit(seg[i])
				s.minPos = min(s.minPos, pos[i])
				s.maxPos = max(s.maxPos, pos[i])
			}
			out[b*n+ti] = s
			all |= s.segs
		}
	}
	return out, all
}

// segRule is the segment part of core.Mask.Allowed for non-padding tokens.
func (p *attnPlan) segRule(qs, ks int32) bool {
	switch p.mask.Kind {
	case core.MaskXPrompt:
		return !(qs == core.SegTD && ks == core.SegIE)
	case core.MaskCustom:
		return p.mask.Allow == nil || p.mask.Allow(qs, ks)
	}
	return true
}

// segOK is segRule through the table when both ids have their own bit.
func (p *attnPlan) segOK(qs, ks int32) bool {
	if uint32(qs) < otherSeg && uint32(ks) < otherSeg {
		return p.sure[qs]>>uint(ks)&1 != 0
	}
	return p.segRule(qs, ks)
}

// classify decides from the summaries alone whether query tile qt and key
// tile kt of batch element b can hold an allowed pair (else tileSkip) and
// whether every pair is allowed (tileFull). It never answers tileSkip for a
// tile with an allowed pair, nor tileFull for a tile with a masked one.
func (p *attnPlan) classify(b, qt, kt int) tileClass {
	qs, ks := &p.qSum[b*p.nqt+qt], &p.kSum[b*p.nkt+kt]
	if qs.segs == 0 || ks.segs == 0 {
		return tileSkip // all padding on one side
	}
	if p.causal && ks.minPos > qs.maxPos {
		return tileSkip // every key is in every query's future
	}
	some, all := false, true
	for qb := qs.segs; qb != 0; qb &= qb - 1 {
		a := bits.TrailingZeros64(qb)
		some = some || p.maybe[a]&ks.segs != 0
		all = all && p.sure[a]&ks.segs == ks.segs
	}
	switch {
	case !some:
		return tileSkip // e.g. X-Prompt: TD queries, IE keys
	case all && !qs.pad && !ks.pad && (!p.causal || ks.maxPos <= qs.minPos):
		return tileFull
	}
	return tilePartial
}

// tile returns the class of the tile (query tile qt, key tile kt) of batch
// element b and the columns [lo, hi) of the key tile worth computing: outside
// them no key can be seen by any query of the tile (padding, keys after the
// tile's last query position, segments the rule hides). A partial tile whose
// span is empty is skipped.
func (p *attnPlan) tile(b, qt, kt int) (class tileClass, lo, hi int) {
	nj := min(p.bk, p.tk-kt*p.bk)
	class = p.classify(b, qt, kt)
	if class != tilePartial {
		return class, 0, nj
	}
	qs := &p.qSum[b*p.nqt+qt]
	var seen uint64 // key segment bits some query of the tile may see
	for qb := qs.segs; qb != 0; qb &= qb - 1 {
		seen |= p.maybe[bits.TrailingZeros64(qb)]
	}
	seg := p.kSeg[b*p.tk+kt*p.bk : b*p.tk+kt*p.bk+nj]
	pos := p.kPos[b*p.tk+kt*p.bk : b*p.tk+kt*p.bk+nj]
	visible := func(j int) bool {
		return seg[j] != core.SegPad && (!p.causal || pos[j] <= qs.maxPos) && seen>>segBit(seg[j])&1 != 0
	}
	for lo = 0; lo < nj && !visible(lo); lo++ {
	}
	for hi = nj; hi > lo && !visible(hi-1); hi-- {
	}
	if lo == hi {
		return tileSkip, 0, 0
	}
	return tilePartial, lo, hi
}

// maskTile sets to −∞ the masked entries of the ni×nj score tile s (rows nj
// apart) for queries i0… and keys j0… of batch element b: exactly
// core.Mask.Allowed, evaluated from the materialised ids.
func (p *attnPlan) maskTile(s []float32, b, i0, ni, j0, nj int) {
	negInf := float32(math.Inf(-1))
	kSeg := p.kSeg[b*p.tk+j0 : b*p.tk+j0+nj]
	kPos := p.kPos[b*p.tk+j0 : b*p.tk+j0+nj]
	for i := 0; i < ni; i++ {
		row := s[i*nj : (i+1)*nj]
		qs, qp := p.qSeg[b*p.tq+i0+i], p.qPos[b*p.tq+i0+i]
		if !p.causal {
			qp = math.MaxInt32
		}
		switch {
		case qs == core.SegPad:
			for j := range row {
				row[j] = negInf
			}
		case p.kCode != nil:
			maskRow(row, kPos, p.kCode[b*p.tk+j0:b*p.tk+j0+nj], qp, p.allow[qs])
		default:
			for j, ks := range kSeg {
				if ks == core.SegPad || kPos[j] > qp || !p.segOK(qs, ks) {
					row[j] = negInf
				}
			}
		}
	}
}

// runWorkers runs body.item(w, item) for every item in [0, n) on workers
// goroutines (the caller and parallelFor's helpers) that take items in
// increasing order; w in [0, workers) names the worker so that it can use its
// own scratch space. A panic in body is raised again on the caller's
// goroutine.
func runWorkers(workers, n int, body itemBody) {
	if workers <= 1 {
		for i := 0; i < n; i++ {
			body.item(0, i)
		}
		return
	}
	l := core.Alloc[workerLoop]()
	l.body, l.n = body, int64(n)
	parallelRange(workers, 1, l)
}

// itemBody is runWorkers' loop body.
type itemBody interface{ item(w, item int) }

// workerLoop is runWorkers' task: workers [lo, hi) of a parallelRange chunk
// each take items until none is left.
type workerLoop struct {
	body itemBody
	n    int64
	next atomic.Int64
}

func (l *workerLoop) run(lo, hi int) {
	defer func() {
		if r := recover(); r != nil {
			l.next.Store(l.n) // stop the others early
			panic(r)
		}
	}()
	for w := lo; w < hi; w++ {
		for {
			i := l.next.Add(1) - 1
			if i >= l.n {
				break
			}
			l.body.item(w, int(i))
		}
	}
}

// attnWorkers returns how many goroutines share n work items.
func attnWorkers(n int) int { return max(1, min(runtime.GOMAXPROCS(0), n)) }

// headCache holds per-head copies of operands in another layout (K
// transposed, …), made on the first request for a head and recycled once the
// head's last work item is done, so that with work items taken head by head
// only about one buffer per worker is alive at a time. A head's buffer holds
// src's head transposed tile by tile (t × hd in tiles of bt rows), followed
// by src2's when src2 is set.
type headCache struct {
	size      int
	src, src2 []float32
	l2        rowLayout // of src2 (zero: packed like src)
	t, hd, bt int
	heads     []headSlot
	mu        sync.Mutex
	free      [][]float32
}

type headSlot struct {
	once sync.Once
	buf  []float32
	left atomic.Int32 // work items of the head not yet done
}

// newHeadCache returns a cache of nbh heads with itemsPerHead work items
// each and buffers of size values, for work items taken in increasing order
// by workers goroutines; the caller sets the sources. Such workers hold at
// most workers+1 heads at a time (one per worker and the head whose items
// are being handed out), so that many buffers are made up front, in a fixed
// order: a step makes the same requests of the arena whatever the schedule.
func newHeadCache(nbh, itemsPerHead, size, workers int) *headCache {
	c := core.Alloc[headCache]()
	c.size, c.heads, c.free = size, core.Make[headSlot](nbh), core.Make[[]float32](nbh)[:0]
	for i := range c.heads {
		c.heads[i].left.Store(int32(itemsPerHead))
	}
	for range min(nbh, workers+1) {
		c.free = append(c.free, core.Make[float32](size))
	}
	return c
}

// fill writes head bh's operands into dst.
func (c *headCache) fill(bh int, dst []float32) {
	n := c.t * c.hd
	transposeTiles(dst, c.src[bh*n:], c.t, c.hd, c.bt)
	if c.src2 != nil && c.l2.ld != 0 {
		o := c.l2.at(bh, 0)
		transposeTilesLd(dst[n:], c.src2[o:], c.l2.ld, c.t, c.hd, c.bt)
	} else if c.src2 != nil {
		transposeTiles(dst[n:], c.src2[bh*n:], c.t, c.hd, c.bt)
	}
}

// get returns head bh's buffer, filling it on first use.
func (c *headCache) get(bh int) []float32 {
	s := &c.heads[bh]
	s.once.Do(func() {
		c.mu.Lock()
		if n := len(c.free); n > 0 {
			s.buf, c.free = c.free[n-1], c.free[:n-1]
		}
		c.mu.Unlock()
		if s.buf == nil { // not expected (see newHeadCache)
			s.buf = make([]float32, c.size)
		}
		c.fill(bh, s.buf)
	})
	return s.buf
}

// done records that one work item of head bh no longer needs its buffer.
func (c *headCache) done(bh int) {
	s := &c.heads[bh]
	if s.left.Add(-1) == 0 {
		c.mu.Lock()
		c.free = append(c.free, s.buf) // at most one buffer per head: within cap
		c.mu.Unlock()
	}
}
