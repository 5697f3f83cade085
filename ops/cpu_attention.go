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
// the heaviest query tiles (last, under a causal mask) first.
func attentionForward(p *attnPlan, h, hd int, scale float32, q, k, v, out, lse, weights []float32) {
	nbh := p.batch * h
	items := nbh * p.nqt
	workers := attnWorkers(items)
	scratch := make([][]float32, workers)
	for w := range scratch {
		scratch[w] = make([]float32, p.bq*p.bk+2*p.bq)
	}
	runWorkers(workers, items, func(w, item int) {
		bh, qt := item%nbh, p.nqt-1-item/nbh
		forwardTile(p, bh/h, bh, qt, hd, scale, q, k, v, out, lse, weights, scratch[w])
	})
}

// forwardTile computes the output rows and lse of query tile qt of head bh
// (batch element b); buf holds the score tile and the running max and sum.
func forwardTile(p *attnPlan, b, bh, qt, hd int, scale float32, q, k, v, out, lse, weights, buf []float32) {
	negInf := float32(math.Inf(-1))
	i0 := qt * p.bq
	ni := min(p.bq, p.tq-i0)
	qOff := (bh*p.tq + i0) * hd
	qi := q[qOff : qOff+ni*hd]
	o := out[qOff : qOff+ni*hd]
	s, m, l := buf[:p.bq*p.bk], buf[p.bq*p.bk:p.bq*p.bk+p.bq], buf[p.bq*p.bk+p.bq:]
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
		kOff := (bh*p.tk + j0) * hd
		gemm.Sgemm(false, true, ni, nj, hd, scale, qi, hd, k[kOff:], hd, 0, s, nj)
		if class == tilePartial {
			p.maskTile(s, b, i0, ni, j0, nj)
		}
		for i := 0; i < ni; i++ {
			row := s[i*nj : (i+1)*nj]
			mx := m[i]
			for _, x := range row {
				mx = max(mx, x)
			}
			if mx == negInf { // nothing allowed in this row yet
				clear(row)
				continue
			}
			var sum float32
			for j, x := range row {
				e := expf(x - mx)
				row[j] = e
				sum += e
			}
			if mx == m[i] {
				l[i] += sum
				continue
			}
			alpha := expf(m[i] - mx) // 0 on the row's first allowed tile
			l[i] = l[i]*alpha + sum
			m[i] = mx
			for d := range o[i*hd : (i+1)*hd] {
				o[i*hd+d] *= alpha
			}
		}
		gemm.Sgemm(false, false, ni, hd, nj, 1, s, nj, v[kOff:], hd, 1, o, hd)
	}
	lseRow := lse[bh*p.tq+i0 : bh*p.tq+i0+ni]
	for i := 0; i < ni; i++ {
		if l[i] == 0 {
			lseRow[i] = negInf // no allowed key: zero output
			continue
		}
		inv := 1 / l[i]
		for d := range o[i*hd : (i+1)*hd] {
			o[i*hd+d] *= inv
		}
		lseRow[i] = m[i] + float32(math.Log(float64(l[i])))
	}
	if weights != nil {
		weightsTile(p, b, bh, qt, hd, scale, qi, k, lseRow, weights, s)
	}
}

// weightsTile writes the probabilities exp(s − lse) of query tile qt into
// weights (B, H, Tq, Tk), zero where masked.
func weightsTile(p *attnPlan, b, bh, qt, hd int, scale float32, qi, k, lseRow, weights, s []float32) {
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
		gemm.Sgemm(false, true, ni, nj, hd, scale, qi, hd, k[(bh*p.tk+j0)*hd:], hd, 0, s, nj)
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
		li := lseRow[i]
		if math.IsInf(float64(li), -1) {
			clear(row)
			continue
		}
		for j, x := range row {
			row[j] = expf(x - li)
		}
	}
}

// attentionBackward adds the gradients over work items (head, key tile): an
// item owns the rows of gk and gv of its key tile and adds its share of each
// query tile's gq under that tile's lock. With P = exp(S − lse) recomputed
// and Dᵢ = Σ_d dOᵢ·Oᵢ: dV = Pᵀ·dO, dS = P∘(dO·Vᵀ − D), dQ = dS·K·scale,
// dK = dSᵀ·Q·scale.
func attentionBackward(p *attnPlan, h, hd int, scale float32, q, k, v, out, lse, gout, gq, gk, gv []float32) {
	if gq == nil && gk == nil && gv == nil {
		return
	}
	nbh := p.batch * h
	rowsD := nbh * p.tq
	dsum := make([]float32, rowsD)
	parallelFor(rowsD, max(1, 8192/max(hd, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			var acc float32
			for d, x := range gout[r*hd : (r+1)*hd] {
				acc += x * out[r*hd+d]
			}
			dsum[r] = acc
		}
	})
	items := nbh * p.nkt
	workers := attnWorkers(items)
	var locks []sync.Mutex
	if gq != nil && workers > 1 {
		locks = make([]sync.Mutex, nbh*p.nqt)
	}
	scratch := make([][]float32, workers)
	for w := range scratch {
		scratch[w] = make([]float32, 2*p.bq*p.bk+p.bq*hd)
	}
	runWorkers(workers, items, func(w, item int) {
		bh, kt := item%nbh, item/nbh
		backwardTile(p, bh/h, bh, kt, hd, scale, q, k, v, lse, dsum, gout, gq, gk, gv, locks, scratch[w])
	})
}

// backwardTile adds the gradient contributions of key tile kt of head bh
// (batch element b) against every query tile that can see it.
func backwardTile(p *attnPlan, b, bh, kt, hd int, scale float32, q, k, v, lse, dsum, gout, gq, gk, gv []float32, locks []sync.Mutex, buf []float32) {
	s, dp, dq := buf[:p.bq*p.bk], buf[p.bq*p.bk:2*p.bq*p.bk], buf[2*p.bq*p.bk:]
	j0 := kt * p.bk
	nj := min(p.bk, p.tk-j0)
	kOff := (bh*p.tk + j0) * hd
	kj, vj := k[kOff:kOff+nj*hd], v[kOff:kOff+nj*hd]
	for qt := 0; qt < p.nqt; qt++ {
		class := p.classify(b, qt, kt)
		if class == tileSkip {
			continue
		}
		i0 := qt * p.bq
		ni := min(p.bq, p.tq-i0)
		r0 := bh*p.tq + i0
		qi, doi := q[r0*hd:(r0+ni)*hd], gout[r0*hd:(r0+ni)*hd]
		gemm.Sgemm(false, true, ni, nj, hd, scale, qi, hd, kj, hd, 0, s, nj)
		if class == tilePartial {
			p.maskTile(s, b, i0, ni, j0, nj)
		}
		probabilities(s, lse[r0:r0+ni], ni, nj)
		if gv != nil {
			gemm.Sgemm(true, false, nj, hd, ni, 1, s, nj, doi, hd, 1, gv[kOff:], hd)
		}
		if gq == nil && gk == nil {
			continue
		}
		gemm.Sgemm(false, true, ni, nj, hd, 1, doi, hd, vj, hd, 0, dp, nj)
		for i := 0; i < ni; i++ {
			di := dsum[r0+i]
			pr, dr := s[i*nj:(i+1)*nj], dp[i*nj:(i+1)*nj]
			for j, x := range pr {
				dr[j] = x * (dr[j] - di)
			}
		}
		if gk != nil {
			gemm.Sgemm(true, false, nj, hd, ni, scale, dp, nj, qi, hd, 1, gk[kOff:], hd)
		}
		if gq != nil {
			gemm.Sgemm(false, false, ni, hd, nj, scale, dp, nj, kj, hd, 0, dq, hd)
			dst := gq[r0*hd : (r0+ni)*hd]
			if locks != nil {
				locks[bh*p.nqt+qt].Lock()
			}
			for d, x := range dq[:ni*hd] {
				dst[d] += x
			}
			if locks != nil {
				locks[bh*p.nqt+qt].Unlock()
			}
		}
	}
}
