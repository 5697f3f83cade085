package ops

import (
	"xprompt/core"
)

// AttentionQKV is multi-head self-attention on the fused projection qkv
// (B·T, 3·D) = [q | k | v] of H heads of hd = D/H: q and k rotated by RoPE
// at positions (B·T entries, nil = 0…T−1), attended under mask with scale
// (0 means 1/√hd), heads merged back into rows (B·T, D). It equals
//
//	q, k, v := SplitHeadsRoPE(qkv, B, T, H, positions, base)
//	y := Attention(q, k, v, mask, scale)                // (B, H, T, hd)
//	Reshape(Permute(y, 0, 2, 1, 3), B·T, D)
//
// recorded as one node: on the CPU the backward rule writes the gradient of
// qkv in a single pass over all three parts (SplitHeadsRoPE's three rules
// each add their part to a zeroed buffer). Other backends compose the
// primitives (attentionQKVComposed).
func AttentionQKV(qkv *core.Tensor, b, t, heads int, positions []int32, base float32, mask *core.Mask, scale float32) *core.Tensor {
	checkQKV("ops.AttentionQKV", qkv, b, t, heads, positions)
	be := backendOf(qkv)
	if be.Device() != core.CPU {
		return attentionQKVComposed(qkv, b, t, heads, positions, base, mask, scale)
	}
	l := qkvLayout(qkv, b, t, heads, positions, base)
	hd, d := l.hd, heads*l.hd
	// q and k rotated into their own (B, H, T, hd); v read where it is
	q, k := core.Empty(b, heads, t, hd), core.Empty(b, heads, t, hd)
	attentionDims("ops.AttentionQKV", q, k, k, mask)
	if scale == 0 {
		scale = defaultScale(hd)
	}
	l.run(qkv.Data, [3][]float32{q.Data, k.Data, nil}, false, false, 0)
	// the kernel writes the merged heads (B·T, D) directly
	y, lse := core.Empty(b*t, d), core.Empty(b, heads, t)
	p := newAttnPlan(mask, b, t, t, attnBq, attnBk)
	rows := qkvRows(heads, t, hd)
	lay := attnLayouts{v: rows, o: mergedRows(heads, t, hd)}
	attentionForwardRows(p, heads, hd, scale, q.Data, k.Data, qkv.Data[2*d:], y.Data, lay, lse.Data, nil)
	return recordArgs(y, "attention_qkv", attentionQKVRule{be, l, qkv, q, k, y.Detach(), lse, mask, scale}, func(r *attentionQKVRule, g *core.Tensor) {
		l := r.l
		d := l.h * l.hd
		p := newAttnPlan(r.mask, l.b, l.t, l.t, attnBq, attnBk)
		rows := qkvRows(l.h, l.t, l.hd)
		lay := attnLayouts{v: rows, o: mergedRows(l.h, l.t, l.hd)}
		v := r.qkv.Data[2*d:]
		gq := core.ZerosLike(r.q) // summed over key tiles
		gqkv, beta := gradTarget(r.qkv)
		if beta == 0 {
			// A fresh gradient: the kernel writes dK and dV into their
			// columns, then one pass writes dQ rotated back and rotates
			// dK back where it is.
			lay.gk, lay.gv = rows, rows
			attentionBackwardKV(p, l.h, l.hd, r.scale, r.q.Data, r.k.Data, v, r.o.Data, r.lse.Data, g.Data, lay, gq.Data, gqkv.Data[d:], gqkv.Data[2*d:], true)
			l.run(gqkv.Data, [3][]float32{gq.Data, nil, nil}, true, false, 1<<1)
			return
		}
		gk, gv := core.Empty(l.b, l.h, l.t, l.hd), core.Empty(l.b, l.h, l.t, l.hd)
		lay.gk, lay.gv = packedRows(l.h, l.t, l.hd), packedRows(l.h, l.t, l.hd)
		attentionBackwardKV(p, l.h, l.hd, r.scale, r.q.Data, r.k.Data, v, r.o.Data, r.lse.Data, g.Data, lay, gq.Data, gk.Data, gv.Data, true)
		l.run(gqkv.Data, [3][]float32{gq.Data, gk.Data, gv.Data}, true, true, 0)
	}, qkv)
}

// attentionQKVRule is what AttentionQKV's backward rule needs.
type attentionQKVRule struct {
	be                core.Backend
	l                 headLayout
	qkv, q, k, o, lse *core.Tensor
	mask              *core.Mask
	scale             float32
}

// attentionQKVComposed is AttentionQKV composed of primitives: the reference
// for the fused CPU path and the path of other backends.
func attentionQKVComposed(qkv *core.Tensor, b, t, heads int, positions []int32, base float32, mask *core.Mask, scale float32) *core.Tensor {
	q, k, v := splitHeadsComposed(qkv, b, t, heads, positions, base)
	y := Attention(q, k, v, mask, scale)
	return Reshape(Permute(y, 0, 2, 1, 3), b*t, qkv.Dim(1)/3)
}
