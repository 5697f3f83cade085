package ops

import (
	"testing"

	"xprompt/core"
)

// BenchmarkAttentionQKV times forward+backward from the fused projection qkv
// of the small preset's step (B 8, T 336, 8 heads of 32, X-Prompt mask) to
// the merged heads, inside a step arena: "split" is the three-node path
// (SplitHeadsRoPE, Attention, Permute), "fused" is AttentionQKV. Run with
// -count > 1 so that the two alternate under the same load.
func BenchmarkAttentionQKV(b *testing.B) {
	const bsz, t, h, hd = 8, 336, 8, 32
	d := h * hd
	mask := benchMask(bsz, t, core.MaskXPrompt)
	r := core.NewRNG(3)
	qkvData, gData := randData(r, bsz*t*3*d), randData(r, bsz*t*d)
	split := func(qkv *core.Tensor) *core.Tensor {
		q, k, v := SplitHeadsRoPE(qkv, bsz, t, h, mask.QPos, 10000)
		return Reshape(Permute(Attention(q, k, v, mask, 0), 0, 2, 1, 3), bsz*t, d)
	}
	fused := func(qkv *core.Tensor) *core.Tensor {
		return AttentionQKV(qkv, bsz, t, h, mask.QPos, 10000, mask, 0)
	}
	for _, c := range []struct {
		name string
		f    func(*core.Tensor) *core.Tensor
	}{{"split", split}, {"fused", fused}} {
		b.Run(c.name, func(b *testing.B) {
			arena := core.NewArena()
			qkv := core.New(qkvData, bsz*t, 3*d).SetRequiresGrad(true)
			g := core.New(gData, bsz*t, d)
			for i := 0; i < b.N; i++ {
				core.WithArena(arena, func() {
					c.f(qkv).BackwardWith(g)
					qkv.ZeroGrad()
				})
				arena.Reset()
			}
		})
	}
}

// BenchmarkHeadLayout times one split of the small preset's fused
// projection into rotated heads and one merge of their gradients back
// (written), with the portable rotation ("go") and the AVX-512 one.
func BenchmarkHeadLayout(b *testing.B) {
	const bsz, t, h, hd = 8, 336, 8, 32
	r := core.NewRNG(5)
	rows := randData(r, bsz*t*3*h*hd)
	var heads [3][]float32
	for i := range heads {
		heads[i] = make([]float32, bsz*t*h*hd)
	}
	l := qkvLayout(core.New(rows, bsz*t, 3*h*hd), bsz, t, h, nil, 10000)
	goL := l
	goL.ce, goL.se = nil, nil
	for _, c := range []struct {
		name string
		l    headLayout
	}{{"go", goL}, {"avx512", l}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				c.l.run(rows, heads, false, false, 0)
				c.l.run(rows, heads, true, false, 0)
			}
		})
	}
}
