package ops

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"xprompt/core"
	"xprompt/gemm"
)

// The fused masked attention of the CPU backend, FlashAttention-2 style: the
// scores of a tile of queries against a tile of keys live only in a
// per-goroutine Bq×Bk buffer, the softmax is computed online (running maximum
// and sum per query), and the backward pass recomputes the probabilities from
// the saved log-sum-exp. Tiles that the mask summaries prove fully masked are
// never evaluated; tiles proved fully allowed skip the per-element mask, and
// partial tiles are trimmed to the keys some query can see. Operands are laid
// out (transposed once per head or key tile) so that every product of a tile
// is a plain row-major one for tileMul, an AVX-512 kernel that needs no
// packing (cpu_attention_kernels.go). attentionReference (attention_ref.go)
// is the simple version the tests compare against.

// Attention computes out = softmax(q·kᵀ·scale + mask)·v (see
// core.AttentionKernels). lse[i] = log Σⱼ exp(sᵢⱼ) over the allowed keys, −Inf
// for a query with no allowed key (its output row is zero). A nil mask is the
// zero core.Mask (causal).
func (cpuBackend) Attention(q, k, v *core.Tensor, mask *core.Mask, scale float32, out, lse, weights *core.Tensor) {
	const op = "cpu.Attention"
	b, h, tq, tk, hd := attentionDims(op, q, k, v, mask)
	needShape(op, "out", out, b, h, tq, hd)
	needShape(op, "lse", lse, b, h, tq)
	if weights != nil {
		needShape(op, "weights", weights, b, h, tq, tk)
	}
	p := newAttnPlan(mask, b, tq, tk, attnBq, attnBk)
	attentionForward(p, h, hd, scale, q.Data, k.Data, v.Data, out.Data, lse.Data, tensorData(weights))
}

// AttentionBackward adds the gradients of q, k and v (any may be nil) given
// the forward's out and lse and the gradient gout of out.
func (cpuBackend) AttentionBackward(q, k, v, out, lse, gout *core.Tensor, mask *core.Mask, scale float32, gq, gk, gv *core.Tensor) {
	const op = "cpu.AttentionBackward"
	b, h, tq, tk, hd := attentionDims(op, q, k, v, mask)
	needShape(op, "out", out, b, h, tq, hd)
	needShape(op, "gout", gout, b, h, tq, hd)
	needShape(op, "lse", lse, b, h, tq)
	for _, g := range []struct {
		name string
		t    *core.Tensor
		like *core.Tensor
	}{{"gq", gq, q}, {"gk", gk, k}, {"gv", gv, v}} {
		if g.t != nil {
			needShape(op, g.name, g.t, g.like.Dims()...)
		}
	}
	// Gradients that share storage (q, k, v all one tensor) are accumulated
	// apart and added at the end: the kernel writes them concurrently.
	var extra [][2]*core.Tensor
	if gk != nil && (sameData(gk, gq) || sameData(gk, gv)) {
		extra = append(extra, [2]*core.Tensor{gk, core.ZerosLike(gk)})
		gk = extra[len(extra)-1][1]
	}
	if gv != nil && sameData(gv, gq) {
		extra = append(extra, [2]*core.Tensor{gv, core.ZerosLike(gv)})
		gv = extra[len(extra)-1][1]
	}
	p := newAttnPlan(mask, b, tq, tk, attnBq, attnBk)
	attentionBackward(p, h, hd, scale, q.Data, k.Data, v.Data, out.Data, lse.Data, gout.Data,
		tensorData(gq), tensorData(gk), tensorData(gv))
	for _, e := range extra {
		dst := e[0].Data
		for i, x := range e[1].Data {
			dst[i] += x
		}
	}
}

func needShape(op, name string, t *core.Tensor, shape ...int) {
	if !core.EqualShapes(t.Dims(), shape) {
		panic(fmt.Sprintf("%s: %s has shape %v, want %v", op, name, t.Dims(), append([]int(nil), shape...)))
	}
}

func tensorData(t *core.Tensor) []float32 {
	if t == nil {
		return nil
	}
	return t.Data
}

func sameData(a, b *core.Tensor) bool {
	return a != nil && b != nil && len(a.Data) > 0 && len(b.Data) > 0 && &a.Data[0] == &b.Data[0]
}

// attentionForward runs the forward pass over work items (head, query tile),
// head by head, the heaviest query tiles (last, under a causal mask) first.
// Each head's keys are transposed once, tile by tile (see transposeTiles), so
// that the score tile S = scale·Qᵢ·Kⱼᵀ is a plain row-major product.
func attentionForward(p *attnPlan, h, hd int, scale float32, q, k, v, out, lse, weights []float32) {
	attentionForwardRows(p, h, hd, scale, q, k, v, out, packedLayouts(p, h, hd), lse, weights)
}

// attentionForwardRows is attentionForward with the rows of v and out placed
// by lay.
func attentionForwardRows(p *attnPlan, h, hd int, scale float32, q, k, v, out []float32, lay attnLayouts, lse, weights []float32) {
	nbh := p.batch * h
	items := nbh * p.nqt
	workers := attnWorkers(items)
	kT := newHeadCache(nbh, p.nqt, hd*p.tk, workers)
	kT.src, kT.t, kT.hd, kT.bt = k, p.tk, hd, p.bk
	scratch := core.Make[attnScratch](workers)
	for w := range scratch {
		scratch[w] = newAttnScratch(p, hd, false)
	}
	f := core.Alloc[forwardItems]()
	*f = forwardItems{p: p, h: h, hd: hd, scale: scale, q: q, v: v, out: out, lay: lay, lse: lse, weights: weights, kT: kT, scratch: scratch}
	runWorkers(workers, items, f)
}

// forwardItems is attentionForward's work item (head, query tile) for runWorkers.
type forwardItems struct {
	p                       *attnPlan
	h, hd                   int
	scale                   float32
	q, v, out, lse, weights []float32
	lay                     attnLayouts
	kT                      *headCache
	scratch                 []attnScratch
}

func (f *forwardItems) item(w, item int) {
	p := f.p
	bh, qt := item/p.nqt, p.nqt-1-item%p.nqt
	forwardTile(p, bh/f.h, bh, qt, f.hd, f.scale, f.q, f.kT.get(bh), f.v, f.out, &f.lay, f.lse, f.weights, &f.scratch[w])
	f.kT.done(bh)
}

// attnScratch is one worker's space: score and gradient tiles, running max
// and sum, and the tiles of the backward pass; dqHead sums dQ of head dqBH.
type attnScratch struct {
	s, dp, m, l, tail []float32
	kT, vT, dkT, dvT  []float32
	dqHead            []float32
	dqBH              int
}

func newAttnScratch(p *attnPlan, hd int, backward bool) attnScratch {
	tile := p.bq * p.bk
	side := max(p.bq, p.bk, hd)
	sc := attnScratch{s: core.Make[float32](tile), m: core.Make[float32](p.bq), l: core.Make[float32](p.bq), tail: core.Make[float32](8 * side)}
	if backward {
		sc.dp = core.Make[float32](tile)
		sc.dqBH = -1
		sc.kT, sc.vT = core.Make[float32](hd*p.bk), core.Make[float32](hd*p.bk)
		sc.dkT, sc.dvT = core.Make[float32](hd*p.bk), core.Make[float32](hd*p.bk)
	}
	return sc
}

// forwardTile computes the output rows and lse of query tile qt of head bh
// (batch element b); kT is the head's keys transposed tile by tile.
func forwardTile(p *attnPlan, b, bh, qt, hd int, scale float32, q, kT, v, out []float32, lay *attnLayouts, lse, weights []float32, sc *attnScratch) {
	ol := lay.o
	negInf := float32(math.Inf(-1))
	i0 := qt * p.bq
	ni := min(p.bq, p.tq-i0)
	qOff := (bh*p.tq + i0) * hd
	qi := q[qOff : qOff+ni*hd]
	ldo := ol.ld
	o := out[ol.at(bh, i0) : ol.at(bh, i0)+(ni-1)*ldo+hd]
	m, l := sc.m, sc.l
	for i := 0; i < ni; i++ {
		clear(o[i*ldo : i*ldo+hd])
	}
	for i := 0; i < ni; i++ {
		m[i], l[i] = negInf, 0
	}
	for kt := 0; kt < p.nkt; kt++ {
		class, lo, hi := p.tile(b, qt, kt)
		if class == tileSkip {
			continue
		}
		j0, nj, ld := kt*p.bk+lo, hi-lo, min(p.bk, p.tk-kt*p.bk)
		s := sc.s[:ni*nj]
		tileMul(ni, nj, hd, scale, qi, hd, kT[kt*p.bk*hd+lo:], ld, 0, s, nj, sc.tail)
		if class == tilePartial {
			p.maskTile(s, b, i0, ni, j0, nj)
		}
		for i := 0; i < ni; i++ {
			row := s[i*nj : (i+1)*nj]
			mx := rowMax(row, m[i])
			if mx == negInf { // nothing allowed in this row yet
				clear(row)
				continue
			}
			sum := expSum(row, mx)
			if mx == m[i] {
				l[i] += sum
				continue
			}
			alpha := expf(m[i] - mx) // 0 on the row's first allowed tile
			l[i] = l[i]*alpha + sum
			m[i] = mx
			scaleRow(o[i*ldo:i*ldo+hd], alpha)
		}
		tileMul(ni, hd, nj, 1, s, nj, v[lay.v.at(bh, j0):], lay.v.ld, 1, o, ldo, sc.tail)
	}
	lseRow := lse[bh*p.tq+i0 : bh*p.tq+i0+ni]
	for i := 0; i < ni; i++ {
		if l[i] == 0 {
			lseRow[i] = negInf // no allowed key: zero output
			continue
		}
		scaleRow(o[i*ldo:i*ldo+hd], 1/l[i])
		lseRow[i] = m[i] + float32(math.Log(float64(l[i])))
	}
	if weights != nil {
		weightsTile(p, b, bh, qt, hd, scale, qi, kT, lseRow, weights, sc)
	}
}

// weightsTile writes the probabilities exp(s − lse) of query tile qt into
// weights (B, H, Tq, Tk), zero where masked.
func weightsTile(p *attnPlan, b, bh, qt, hd int, scale float32, qi, kT, lseRow, weights []float32, sc *attnScratch) {
	i0 := qt * p.bq
	ni := min(p.bq, p.tq-i0)
	wt := weights[(bh*p.tq+i0)*p.tk : (bh*p.tq+i0+ni)*p.tk]
	clear(wt)
	for kt := 0; kt < p.nkt; kt++ {
		class, lo, hi := p.tile(b, qt, kt)
		if class == tileSkip {
			continue
		}
		j0, nj, ld := kt*p.bk+lo, hi-lo, min(p.bk, p.tk-kt*p.bk)
		s := sc.s[:ni*nj]
		tileMul(ni, nj, hd, scale, qi, hd, kT[kt*p.bk*hd+lo:], ld, 0, s, nj, sc.tail)
		if class == tilePartial {
			p.maskTile(s, b, i0, ni, j0, nj)
		}
		probabilities(s, lseRow, ni, nj)
		for i := 0; i < ni; i++ {
			copy(wt[i*p.tk+j0:i*p.tk+j0+nj], s[i*nj:(i+1)*nj])
		}
	}
}

// probabilities turns the ni×nj score tile s into exp(s − lse) in place;
// masked scores (−∞) and rows without an allowed key (lse = −∞) give 0.
func probabilities(s, lseRow []float32, ni, nj int) {
	for i := 0; i < ni; i++ {
		row := s[i*nj : (i+1)*nj]
		if li := lseRow[i]; math.IsInf(float64(li), -1) {
			clear(row)
		} else {
			expSum(row, li)
		}
	}
}

// attentionBackward adds the gradients over work items (head, key tile),
// head by head: an item owns the rows of gk and gv of its key tile, and adds
// to dQ of the head in its worker's buffer (see attnGrads). With
// P = exp(S − lse) recomputed and Dᵢ = Σ_d dOᵢ·Oᵢ: dV = Pᵀ·dO,
// dS = P∘(dO·Vᵀ − D), dQ = dS·K·scale, dK = dSᵀ·Q·scale. Every product is
// row-major: the head's Q and dO are transposed once (tile by tile), an
// item's K and V tiles once, and dKᵀ, dVᵀ accumulate in hd × Bk tiles.
func attentionBackward(p *attnPlan, h, hd int, scale float32, q, k, v, out, lse, gout, gq, gk, gv []float32) {
	attentionBackwardKV(p, h, hd, scale, q, k, v, out, lse, gout, packedLayouts(p, h, hd), gq, gk, gv, false)
}

// attentionBackwardKV is attentionBackward with the rows of v, out and gout
// (like out), gk and gv placed by lay that, with kvWrite, writes gk and gv
// instead of adding to them (every key row is written once, by the item
// that owns its key tile), so that they need not be zeroed.
func attentionBackwardKV(p *attnPlan, h, hd int, scale float32, q, k, v, out, lse, gout []float32, lay attnLayouts, gq, gk, gv []float32, kvWrite bool) {
	ol := lay.o
	if gq == nil && gk == nil && gv == nil {
		return
	}
	nbh := p.batch * h
	rowsD := nbh * p.tq
	dsum := core.Make[float32](rowsD)
	ds := core.Alloc[rowDots]()
	*ds = rowDots{dst: dsum, a: gout, b: out, n: hd, l: ol, t: p.tq}
	parallelRange(rowsD, max(1, 8192/max(hd, 1)), ds)
	// Per head: Qᵀ then dOᵀ, hd × Tq each.
	qdT := newHeadCache(nbh, p.nkt, 2*hd*p.tq, max(attnWorkers(nbh), attnWorkers(nbh*p.nkt)))
	qdT.src, qdT.src2, qdT.t, qdT.hd, qdT.bt, qdT.l2 = q, gout, p.tq, hd, p.bq, ol
	bw := core.Alloc[backwardItems]()
	*bw = backwardItems{p: p, h: h, hd: hd, scale: scale, q: q, k: k, v: v, lse: lse, dsum: dsum, gout: gout, lay: lay, qdT: qdT,
		g: attnGrads{gq: gq, gk: gk, gv: gv, kvWrite: kvWrite}}
	if workers := attnWorkers(nbh); nbh >= runtime.GOMAXPROCS(0) || workers == 1 {
		// Enough heads to keep every core busy: one worker owns each head
		// and walks its key tiles in order, so dQ is summed in a fixed order
		// and results do not depend on scheduling.
		bw.scratch = core.Make[attnScratch](workers)
		for w := range bw.scratch {
			bw.scratch[w] = newAttnScratch(p, hd, true)
		}
		bw.wholeHeads = true
		runWorkers(workers, nbh, bw)
		return
	}
	// Few heads: split each head's key tiles across workers; each sums dQ in
	// its own buffer (the summation order then depends on scheduling).
	items := nbh * p.nkt
	workers := attnWorkers(items)
	bw.scratch = core.Make[attnScratch](workers)
	for w := range bw.scratch {
		bw.scratch[w] = newAttnScratch(p, hd, true)
		if gq != nil && workers > 1 {
			bw.scratch[w].dqHead = core.Make[float32](p.tq * hd)
		}
	}
	runWorkers(workers, items, bw)
	for w := range bw.scratch {
		bw.g.flushDQ(&bw.scratch[w], -1, p.tq*hd)
	}
}

// rowDots writes dst[r] = a_r·b_r for the rows r = bh·t + i of a range, row
// i of head bh of a and b (n values) placed by l.
type rowDots struct {
	dst, a, b []float32
	n, t      int
	l         rowLayout
}

func (d *rowDots) run(lo, hi int) {
	n := d.n
	for r := lo; r < hi; r++ {
		o := d.l.at(r/d.t, r%d.t)
		d.dst[r] = gemm.Dot(d.a[o:o+n], d.b[o:o+n])
	}
}

// backwardItems is attentionBackward's work for runWorkers: whole heads
// (every key tile in order) when wholeHeads is set, else (head, key tile).
type backwardItems struct {
	p                        *attnPlan
	h, hd                    int
	scale                    float32
	q, k, v, lse, dsum, gout []float32
	lay                      attnLayouts
	qdT                      *headCache
	g                        attnGrads
	scratch                  []attnScratch
	wholeHeads               bool
}

func (b *backwardItems) item(w, item int) {
	p := b.p
	if b.wholeHeads {
		bh := item
		for kt := 0; kt < p.nkt; kt++ {
			b.tile(w, bh, kt)
		}
		return
	}
	b.tile(w, item/p.nkt, item%p.nkt)
}

func (b *backwardItems) tile(w, bh, kt int) {
	p, hd := b.p, b.hd
	t := b.qdT.get(bh)
	backwardTile(p, bh/b.h, bh, kt, hd, b.scale, b.q, b.k, b.v, b.lse, b.dsum, b.gout, &b.lay, t[:hd*p.tq], t[hd*p.tq:], &b.g, &b.scratch[w])
	b.qdT.done(bh)
}

// attnGrads are the gradient outputs of the backward pass (any may be nil).
// With several workers each sums dQ of its current head in its own buffer
// and adds it to gq under mu when it moves to another head.
type attnGrads struct {
	gq, gk, gv []float32
	kvWrite    bool // gk and gv are written, not added to
	mu         sync.Mutex
}

// flushDQ adds sc's dQ buffer to gq if it holds a head other than next,
// then makes it hold head next (zeros); n is the size of one head's dQ.
func (g *attnGrads) flushDQ(sc *attnScratch, next, n int) {
	if sc.dqHead == nil || sc.dqBH == next {
		return
	}
	if sc.dqBH >= 0 {
		g.mu.Lock()
		gemm.Axpy(1, sc.dqHead, g.gq[sc.dqBH*n:(sc.dqBH+1)*n])
		g.mu.Unlock()
	}
	clear(sc.dqHead)
	sc.dqBH = next
}

// backwardTile adds the gradient contributions of key tile kt of head bh
// (batch element b) against every query tile that can see it; qT and doT are
// the head's Q and dO transposed tile by tile.
func backwardTile(p *attnPlan, b, bh, kt, hd int, scale float32, q, k, v, lse, dsum, gout []float32, lay *attnLayouts, qT, doT []float32, g *attnGrads, sc *attnScratch) {
	ol := lay.o
	t0 := kt * p.bk
	nt := min(p.bk, p.tk-t0)
	kOff := (bh*p.tk + t0) * hd
	kT, vT := sc.kT[:hd*nt], sc.vT[:hd*nt]
	dkT, dvT := sc.dkT[:hd*nt], sc.dvT[:hd*nt]
	transposeInto(kT, nt, k[kOff:], hd, nt, hd)
	transposeInto(vT, nt, v[lay.v.at(bh, t0):], lay.v.ld, nt, hd)
	clear(dkT)
	clear(dvT)
	dq, ldq := g.gq, 0 // where dQ of head bh accumulates
	if g.gq != nil {
		dq = g.gq[bh*p.tq*hd : (bh+1)*p.tq*hd]
		if sc.dqHead != nil {
			g.flushDQ(sc, bh, p.tq*hd)
			dq = sc.dqHead
		}
		ldq = hd
	}
	for qt := 0; qt < p.nqt; qt++ {
		class, lo, hi := p.tile(b, qt, kt)
		if class == tileSkip {
			continue
		}
		// Keys j0…j0+nj−1 are columns lo…hi−1 of the key tile.
		j0, nj := t0+lo, hi-lo
		i0 := qt * p.bq
		ni := min(p.bq, p.tq-i0)
		r0 := bh*p.tq + i0
		s, dp := sc.s[:ni*nj], sc.dp[:ni*nj]
		tileMul(ni, nj, hd, scale, q[r0*hd:(r0+ni)*hd], hd, kT[lo:], nt, 0, s, nj, sc.tail)
		if class == tilePartial {
			p.maskTile(s, b, i0, ni, j0, nj)
		}
		probabilities(s, lse[r0:r0+ni], ni, nj)
		if g.gv != nil { // dVⱼᵀ += dOᵢᵀ·P
			tileMul(hd, nj, ni, 1, doT[i0*hd:], ni, s, nj, 1, dvT[lo:], nt, sc.tail)
		}
		if g.gq == nil && g.gk == nil {
			continue
		}
		tileMul(ni, nj, hd, 1, gout[ol.at(bh, i0):], ol.ld, vT[lo:], nt, 0, dp, nj, sc.tail)
		for i := 0; i < ni; i++ {
			dsRow(s[i*nj:(i+1)*nj], dp[i*nj:(i+1)*nj], dsum[r0+i])
		}
		if g.gk != nil { // dKⱼᵀ += scale·Qᵢᵀ·dS
			tileMul(hd, nj, ni, scale, qT[i0*hd:], ni, dp, nj, 1, dkT[lo:], nt, sc.tail)
		}
		if g.gq != nil { // dQᵢ += scale·dS·Kⱼ
			tileMul(ni, hd, nj, scale, dp, nj, k[(bh*p.tk+j0)*hd:], hd, 1, dq[i0*hd:], ldq, sc.tail)
		}
	}
	if g.gk != nil {
		transpose("addTransposed", g.gk[lay.gk.at(bh, t0):], lay.gk.ld, dkT, nt, hd, nt, !g.kvWrite)
	}
	if g.gv != nil {
		transpose("addTransposed", g.gv[lay.gv.at(bh, t0):], lay.gv.ld, dvT, nt, hd, nt, !g.kvWrite)
	}
}

// rowLayout places row i of head bh of a (B, H, T, hd) operand at
// (bh/h)·bStride + (bh%h)·hStride + i·ld: packed heads (packedRows), or
// merged heads (B·T, H·hd) rows (mergedRows).
type rowLayout struct{ h, ld, hStride, bStride int }

func packedRows(h, t, hd int) rowLayout { return rowLayout{h, hd, t * hd, h * t * hd} }

func mergedRows(h, t, hd int) rowLayout { return rowLayout{h, h * hd, hd, t * h * hd} }

// qkvRows is the layout of one part of a fused projection (B·T, 3·H·hd).
func qkvRows(h, t, hd int) rowLayout { return rowLayout{h, 3 * h * hd, hd, t * 3 * h * hd} }

// attnLayouts place the rows of the operands the kernels read or write in
// place: v, out (and dO), dK and dV; q, k and dQ are always packed.
type attnLayouts struct{ v, o, gk, gv rowLayout }

// packedLayouts is every operand packed (B, H, T, hd).
func packedLayouts(p *attnPlan, h, hd int) attnLayouts {
	kv := packedRows(h, p.tk, hd)
	return attnLayouts{v: kv, o: packedRows(h, p.tq, hd), gk: kv, gv: kv}
}

func (l rowLayout) at(bh, i int) int { return bh/l.h*l.bStride + bh%l.h*l.hStride + i*l.ld }
