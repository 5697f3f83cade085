package ops

import (
	"fmt"
	"math"

	"xprompt/core"
)

// Attention returns softmax(q·kᵀ·scale + mask)·v for q (B, H, Tq, hd) and
// k, v (B, H, Tk, hd): out (B, H, Tq, hd). Query i of batch element b sees key
// j iff mask.Allowed(b, i, j, Tq, Tk); a query that sees no key (padding, or
// everything masked) gets a zero row and passes no gradient. A nil mask is the
// zero core.Mask (causal, no segments); scale 0 means 1/√hd. The backend's
// fused kernel never stores a Tq×Tk matrix; the backward rule recomputes the
// probabilities from the saved log-sum-exp of each row.
func Attention(q, k, v *core.Tensor, mask *core.Mask, scale float32) *core.Tensor {
	b, h, tq, _, hd := attentionDims("ops.Attention", q, k, v, mask)
	if scale == 0 {
		scale = defaultScale(hd)
	}
	be := backendOf(q, k, v)
	out := core.ZerosOn(q.Device(), b, h, tq, hd)
	lse := core.ZerosOn(q.Device(), b, h, tq)
	be.Attention(q, k, v, mask, scale, out, lse, nil)
	o := out.Detach()
	return recordArgs(out, "attention", attentionRule{be, q, k, v, o, lse, mask, scale}, func(r *attentionRule, g *core.Tensor) {
		be, q, k, v, o, lse, mask, scale := r.be, r.q, r.k, r.v, r.o, r.lse, r.mask, r.scale
		var gq, gk, gv *core.Tensor
		if q.RequiresGrad() {
			gq = q.EnsureGrad()
		}
		if k.RequiresGrad() {
			gk = k.EnsureGrad()
		}
		if v.RequiresGrad() {
			gv = v.EnsureGrad()
		}
		be.AttentionBackward(q, k, v, o, lse, g, mask, scale, gq, gk, gv)
	}, q, k, v)
}

// AttentionWeights returns the attention probabilities softmax(q·kᵀ·scale +
// mask) for q (B, H, Tq, hd) and k (B, H, Tk, hd) as a (B, H, Tq, Tk) tensor,
// zero where masked (rows of queries that see no key are all zero). It is for
// display: the only place a Tq×Tk matrix is stored, and it records no
// gradient. A nil mask and scale 0 mean what they mean for Attention.
func AttentionWeights(q, k *core.Tensor, mask *core.Mask, scale float32) *core.Tensor {
	b, h, tq, tk, hd := attentionDims("ops.AttentionWeights", q, k, k, mask)
	if scale == 0 {
		scale = defaultScale(hd)
	}
	be := backendOf(q, k)
	w := core.ZerosOn(q.Device(), b, h, tq, tk)
	// k stands in for v: the output is computed and dropped.
	be.Attention(q, k, k, mask, scale, core.ZerosOn(q.Device(), b, h, tq, hd), core.ZerosOn(q.Device(), b, h, tq), w)
	return w
}

func defaultScale(hd int) float32 {
	if hd == 0 {
		return 1
	}
	return float32(1 / math.Sqrt(float64(hd)))
}

// attentionDims checks the shapes of q (B, H, Tq, hd), k and v (B, H, Tk, hd)
// and the mask's slices, and returns the sizes; it panics naming op and the
// shapes on a mismatch.
func attentionDims(op string, q, k, v *core.Tensor, mask *core.Mask) (b, h, tq, tk, hd int) {
	if q.Rank() != 4 || k.Rank() != 4 || v.Rank() != 4 {
		panic(fmt.Sprintf("%s: q %v, k %v, v %v must all be (B, H, T, hd)", op, q.Dims(), k.Dims(), v.Dims()))
	}
	b, h, tq, hd = q.Dim(0), q.Dim(1), q.Dim(2), q.Dim(3)
	tk = k.Dim(2)
	if k.Dim(0) != b || k.Dim(1) != h || k.Dim(3) != hd || !core.SameShape(k, v) {
		panic(fmt.Sprintf("%s: q %v, k %v, v %v disagree (want k and v (%d, %d, Tk, %d), equal)",
			op, q.Dims(), k.Dims(), v.Dims(), b, h, hd))
	}
	m := mask
	if m == nil {
		m = &core.Mask{}
	}
	for _, s := range []struct {
		name string
		ids  []int32
		n    int
	}{{"QSeg", m.QSeg, b * tq}, {"QPos", m.QPos, b * tq}, {"KSeg", m.KSeg, b * tk}, {"KPos", m.KPos, b * tk}} {
		if s.ids != nil && len(s.ids) != s.n {
			panic(fmt.Sprintf("%s: mask %s has %d entries for q %v, k %v (want %d)", op, s.name, len(s.ids), q.Dims(), k.Dims(), s.n))
		}
	}
	if tq > tk && m.QPos == nil && m.Kind != core.MaskFull {
		panic(fmt.Sprintf("%s: %d queries but only %d keys and no mask query positions (q %v, k %v)", op, tq, tk, q.Dims(), k.Dims()))
	}
	return b, h, tq, tk, hd
}

// attentionRule is what a backward rule needs (see recordArgs).
type attentionRule struct {
	be              core.Backend
	q, k, v, o, lse *core.Tensor
	mask            *core.Mask
	scale           float32
}
