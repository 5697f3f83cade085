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
