package ops

import (
	"fmt"
	"math"
	"sync"

	"xprompt/core"
	"xprompt/gemm"
)

// The fused masked attention of the CPU backend, FlashAttention-2 style: the
// scores of a tile of queries against a tile of keys live only in a
// per-goroutine Bq×Bk buffer, the softmax is computed online (running maximum
// and sum per query), and the backward pass recomputes the probabilities from
// the saved log-sum-exp. Tiles that the mask summaries prove fully masked are
// never evaluated; tiles proved fully allowed skip the per-element mask. The
// matrix products of a tile run on package gemm. attentionReference (in
// attention_ref.go) is the simple version the tests compare against.

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
		panic(fmt.Sprintf("%s: %s has shape %v, want %v", op, name, t.Dims(), shape))
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
// Each head's keys are transposed once (hd × Tk) so that the score tile
// S = scale·Qᵢ·Kⱼᵀ is a plain row-major product.
func attentionForward(p *attnPlan, h, hd int, scale float32, q, k, v, out, lse, weights []float32) {
	nbh := p.batch * h
	items := nbh * p.nqt
	workers := attnWorkers(items)
	kT := newHeadCache(nbh, p.nqt, hd*p.tk, func(bh int, dst []float32) {
		transposeInto(dst, p.tk, k[bh*p.tk*hd:], hd, p.tk, hd)
	})
	scratch := make([]attnScratch, workers)
	for w := range scratch {
		scratch[w] = newAttnScratch(p, hd, false)
	}
	runWorkers(workers, items, func(w, item int) {
		bh, qt := item/p.nqt, p.nqt-1-item%p.nqt
		forwardTile(p, bh/h, bh, qt, hd, scale, q, kT.get(bh), v, out, lse, weights, &scratch[w])
		kT.done(bh)
	})
}

// attnScratch is one worker's space: score and gradient tiles, running max
// and sum, and the tiles of the backward pass.
type attnScratch struct {
	s, dp, m, l, tail    []float32
	dq, kT, vT, dkT, dvT []float32
}

func newAttnScratch(p *attnPlan, hd int, backward bool) attnScratch {
	tile := p.bq * p.bk
	side := max(p.bq, p.bk, hd)
	sc := attnScratch{s: make([]float32, tile), m: make([]float32, p.bq), l: make([]float32, p.bq), tail: make([]float32, 8*side)}
	if backward {
		sc.dp = make([]float32, tile)
		sc.dq = make([]float32, p.bq*hd)
		sc.kT, sc.vT = make([]float32, hd*p.bk), make([]float32, hd*p.bk)
		sc.dkT, sc.dvT = make([]float32, hd*p.bk), make([]float32, hd*p.bk)
	}
	return sc
}

// forwardTile computes the output rows and lse of query tile qt of head bh
// (batch element b); kT is the head's keys transposed (hd × Tk).
func forwardTile(p *attnPlan, b, bh, qt, hd int, scale float32, q, kT, v, out, lse, weights []float32, sc *attnScratch) {
	negInf := float32(math.Inf(-1))
	i0 := qt * p.bq
	ni := min(p.bq, p.tq-i0)
	qOff := (bh*p.tq + i0) * hd
	qi := q[qOff : qOff+ni*hd]
	o := out[qOff : qOff+ni*hd]
	m, l := sc.m, sc.l
	clear(o)
	for i := 0; i < ni; i++ {
		m[i], l[i] = negInf, 0
	}
	for kt := 0; kt < p.nkt; kt++ {
		class := p.classify(b, qt, kt)
		if class == tileSkip {
			continue
		}
		j0 := kt * p.bk
		nj := min(p.bk, p.tk-j0)
		s := sc.s[:ni*nj]
		tileMul(ni, nj, hd, scale, qi, hd, kT[j0:], p.tk, 0, s, nj, sc.tail)
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
			scaleRow(o[i*hd:(i+1)*hd], alpha)
		}
		tileMul(ni, hd, nj, 1, s, nj, v[(bh*p.tk+j0)*hd:], hd, 1, o, hd, sc.tail)
	}
	lseRow := lse[bh*p.tq+i0 : bh*p.tq+i0+ni]
	for i := 0; i < ni; i++ {
		if l[i] == 0 {
			lseRow[i] = negInf // no allowed key: zero output
			continue
		}
		scaleRow(o[i*hd:(i+1)*hd], 1/l[i])
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
		class := p.classify(b, qt, kt)
		if class == tileSkip {
			continue
		}
		j0 := kt * p.bk
		nj := min(p.bk, p.tk-j0)
		s := sc.s[:ni*nj]
		tileMul(ni, nj, hd, scale, qi, hd, kT[j0:], p.tk, 0, s, nj, sc.tail)
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
// head by head: an item owns the rows of gk and gv of its key tile and adds
// its share of each query tile's gq under that tile's lock. With
// P = exp(S − lse) recomputed and Dᵢ = Σ_d dOᵢ·Oᵢ: dV = Pᵀ·dO,
// dS = P∘(dO·Vᵀ − D), dQ = dS·K·scale, dK = dSᵀ·Q·scale. Every product is
// row-major: the head's Q and dO are transposed once (hd × Tq each), an
// item's K and V tiles once, and dKᵀ, dVᵀ accumulate in hd × Bk tiles.
func attentionBackward(p *attnPlan, h, hd int, scale float32, q, k, v, out, lse, gout, gq, gk, gv []float32) {
	if gq == nil && gk == nil && gv == nil {
		return
	}
	nbh := p.batch * h
	rowsD := nbh * p.tq
	dsum := make([]float32, rowsD)
	parallelFor(rowsD, max(1, 8192/max(hd, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			dsum[r] = gemm.Dot(gout[r*hd:(r+1)*hd], out[r*hd:(r+1)*hd])
		}
	})
	items := nbh * p.nkt
	workers := attnWorkers(items)
	var locks []sync.Mutex
	if gq != nil && workers > 1 {
		locks = make([]sync.Mutex, nbh*p.nqt)
	}
	// Per head: Qᵀ then dOᵀ, hd × Tq each.
	qdT := newHeadCache(nbh, p.nkt, 2*hd*p.tq, func(bh int, dst []float32) {
		transposeInto(dst, p.tq, q[bh*p.tq*hd:], hd, p.tq, hd)
		transposeInto(dst[hd*p.tq:], p.tq, gout[bh*p.tq*hd:], hd, p.tq, hd)
	})
	scratch := make([]attnScratch, workers)
	for w := range scratch {
		scratch[w] = newAttnScratch(p, hd, true)
	}
	g := attnGrads{gq: gq, gk: gk, gv: gv, locks: locks}
	runWorkers(workers, items, func(w, item int) {
		bh, kt := item/p.nkt, item%p.nkt
		t := qdT.get(bh)
		backwardTile(p, bh/h, bh, kt, hd, scale, q, k, v, lse, dsum, gout, t[:hd*p.tq], t[hd*p.tq:], &g, &scratch[w])
		qdT.done(bh)
	})
}

// attnGrads are the gradient outputs of the backward pass (any may be nil)
// and the locks of gq's query tiles (nil when one goroutine works).
type attnGrads struct {
	gq, gk, gv []float32
	locks      []sync.Mutex
}

// backwardTile adds the gradient contributions of key tile kt of head bh
// (batch element b) against every query tile that can see it; qT and doT are
// the head's Q and dO transposed (hd × Tq).
func backwardTile(p *attnPlan, b, bh, kt, hd int, scale float32, q, k, v, lse, dsum, gout, qT, doT []float32, g *attnGrads, sc *attnScratch) {
	j0 := kt * p.bk
	nj := min(p.bk, p.tk-j0)
	kOff := (bh*p.tk + j0) * hd
	kj := k[kOff : kOff+nj*hd]
	kT, vT := sc.kT[:hd*nj], sc.vT[:hd*nj]
	dkT, dvT := sc.dkT[:hd*nj], sc.dvT[:hd*nj]
	transposeInto(kT, nj, kj, hd, nj, hd)
	transposeInto(vT, nj, v[kOff:], hd, nj, hd)
	clear(dkT)
	clear(dvT)
	for qt := 0; qt < p.nqt; qt++ {
		class := p.classify(b, qt, kt)
		if class == tileSkip {
			continue
		}
		i0 := qt * p.bq
		ni := min(p.bq, p.tq-i0)
		r0 := bh*p.tq + i0
		s, dp := sc.s[:ni*nj], sc.dp[:ni*nj]
		tileMul(ni, nj, hd, scale, q[r0*hd:(r0+ni)*hd], hd, kT, nj, 0, s, nj, sc.tail)
		if class == tilePartial {
			p.maskTile(s, b, i0, ni, j0, nj)
		}
		probabilities(s, lse[r0:r0+ni], ni, nj)
		if g.gv != nil { // dVⱼᵀ += dOᵢᵀ·P
			tileMul(hd, nj, ni, 1, doT[i0:], p.tq, s, nj, 1, dvT, nj, sc.tail)
		}
		if g.gq == nil && g.gk == nil {
			continue
		}
		tileMul(ni, nj, hd, 1, gout[r0*hd:(r0+ni)*hd], hd, vT, nj, 0, dp, nj, sc.tail)
		for i := 0; i < ni; i++ {
			dsRow(s[i*nj:(i+1)*nj], dp[i*nj:(i+1)*nj], dsum[r0+i])
		}
		if g.gk != nil { // dKⱼᵀ += scale·Qᵢᵀ·dS
			tileMul(hd, nj, ni, scale, qT[i0:], p.tq, dp, nj, 1, dkT, nj, sc.tail)
		}
		if g.gq != nil { // dQᵢ += scale·dS·Kⱼ
			dq := sc.dq[:ni*hd]
			tileMul(ni, hd, nj, scale, dp, nj, kj, hd, 0, dq, hd, sc.tail)
			if g.locks != nil {
				g.locks[bh*p.nqt+qt].Lock()
			}
			gemm.Axpy(1, dq, g.gq[r0*hd:(r0+ni)*hd])
			if g.locks != nil {
				g.locks[bh*p.nqt+qt].Unlock()
			}
		}
	}
	if g.gk != nil {
		addTransposed(g.gk[kOff:], hd, dkT, nj, hd, nj)
	}
	if g.gv != nil {
		addTransposed(g.gv[kOff:], hd, dvT, nj, hd, nj)
	}
}
