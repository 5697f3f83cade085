package ops

import (
	"fmt"
	"testing"

	"xprompt/core"
)

// allowedPairs counts the (query, key) pairs the mask allows over the batch.
func allowedPairs(m *core.Mask, b, tq, tk int) int {
	n := 0
	for bi := 0; bi < b; bi++ {
		for i := 0; i < tq; i++ {
			for j := 0; j < tk; j++ {
				if m.Allowed(bi, i, j, tq, tk) {
					n++
				}
			}
		}
	}
	return n
}

// Flops per allowed (query, key) pair and head: forward 4·hd (s = q·k and
// o += p·v), backward 10·hd (s recomputed, dv += p·dO, dp = dO·v,
// dk += ds·q, dq += ds·k). Masked pairs, even when a partial tile computes
// them, are not counted.
const (
	attnFwdFlopsPerPair = 4
	attnBwdFlopsPerPair = 10
)

// BenchmarkAttention times forward+backward of the fused kernel on the
// presets' shapes, and the float64 reference beside the fused kernel at a
// smaller size. Metrics: ms per forward+backward and GFLOP/s over allowed pairs.
func BenchmarkAttention(b *testing.B) {
	type shape struct {
		batch, h, t, hd int
		kind            core.MaskKind
	}
	for _, s := range []shape{
		{1, 8, 1024, 32, core.MaskXPrompt},
		{1, 8, 1024, 32, core.MaskCausal},
		{8, 8, 336, 32, core.MaskXPrompt},
		{8, 8, 336, 32, core.MaskCausal},
		{1, 8, 1024, 64, core.MaskXPrompt},
		{1, 8, 128, 32, core.MaskXPrompt},
	} {
		name := fmt.Sprintf("T%d_B%d_H%d_hd%d_%v", s.t, s.batch, s.h, s.hd, s.kind)
		if s.batch == 1 {
			name = fmt.Sprintf("T%d_H%d_hd%d_%v", s.t, s.h, s.hd, s.kind)
		}
		mask := benchMask(s.batch, s.t, s.kind)
		flops := float64(allowedPairs(mask, s.batch, s.t, s.t)*s.h*s.hd) * (attnFwdFlopsPerPair + attnBwdFlopsPerPair)
		b.Run(name, func(b *testing.B) {
			d := BenchAttention(s.batch, s.h, s.t, s.hd, s.kind, b.N)
			b.ReportMetric(float64(d.Microseconds())/1e3, "ms/fwd+bwd")
			b.ReportMetric(flops/d.Seconds()/1e9, "GFLOP/s")
		})
	}
	const t, h, hd = 128, 8, 32
	mask := benchMask(1, t, core.MaskXPrompt)
	r := core.NewRNG(1)
	q, k, v, gout := toF64(randData(r, h*t*hd)), toF64(randData(r, h*t*hd)), toF64(randData(r, h*t*hd)), toF64(randData(r, h*t*hd))
	flops := float64(allowedPairs(mask, 1, t, t)*h*hd) * (attnFwdFlopsPerPair + attnBwdFlopsPerPair)
	b.Run(fmt.Sprintf("reference_T%d_H%d_hd%d_xprompt", t, h, hd), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_, _, p := attentionReference(q, k, v, 1, h, t, t, hd, mask, 0.17)
			attentionReferenceBackward(q, k, v, p, gout, 1, h, t, t, hd, 0.17)
		}
		sec := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(sec*1e3, "ms/fwd+bwd")
		b.ReportMetric(flops/sec/1e9, "GFLOP/s")
	})
}
