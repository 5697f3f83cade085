package ops

import (
	"fmt"
	"time"

	"xprompt/core"
)

// xpromptSegments returns the segment ids of the benchmark sequence of t
// tokens with s X-Prompt tokens, the layout of the PyTorch peer
// (bench/peers/torch_train_step.py): [BOS], then 40% of the remaining
// t−1−s tokens IE, then s XP, then TD for the rest.
func xpromptSegments(t, s int) []int32 {
	if t < 1+s {
		panic(fmt.Sprintf("ops.BenchAttention: %d tokens cannot hold BOS and %d X-Prompt tokens", t, s))
	}
	ie := (t - 1 - s) * 2 / 5
	seg := make([]int32, t)
	for i := range seg {
		switch {
		case i == 0:
			seg[i] = core.SegBOS
		case i <= ie:
			seg[i] = core.SegIE
		case i <= ie+s:
			seg[i] = core.SegXP
		default:
			seg[i] = core.SegTD
		}
	}
	return seg
}

// BenchAttention times the CPU backend's fused attention, forward and
// backward (gradients of q, k and v), on b sequences of t tokens with h heads
// of size hd, with the segment layout of xpromptSegments(t, 8) in every
// sequence under mask kind (MaskCausal keeps the same ids, so it is plain
// causal attention). q, k and v are random; it runs one untimed warm-up and
// returns the mean duration of iters forward+backward passes.
func BenchAttention(b, h, t, hd int, kind core.MaskKind, iters int) (fwdBwd time.Duration) {
	if b < 1 || h < 1 || t < 9 || hd < 1 || iters < 1 {
		panic(fmt.Sprintf("ops.BenchAttention: b=%d h=%d t=%d hd=%d iters=%d (want positive sizes, t ≥ 9)", b, h, t, hd, iters))
	}
	mask := benchMask(b, t, kind)
	rng := core.NewRNG(1)
	q, k, v := rng.Randn(1, b, h, t, hd), rng.Randn(1, b, h, t, hd), rng.Randn(1, b, h, t, hd)
	gout := rng.Randn(1, b, h, t, hd)
	out, lse := core.Zeros(b, h, t, hd), core.Zeros(b, h, t)
	gq, gk, gv := core.ZerosLike(q), core.ZerosLike(k), core.ZerosLike(v)
	scale := defaultScale(hd)
	step := func() {
		CPU.Attention(q, k, v, mask, scale, out, lse, nil)
		CPU.AttentionBackward(q, k, v, out, lse, gout, mask, scale, gq, gk, gv)
	}
	step()
	start := time.Now()
	for i := 0; i < iters; i++ {
		step()
	}
	return time.Since(start) / time.Duration(iters)
}

// benchMask returns the mask of kind over b copies of xpromptSegments(t, 8).
func benchMask(b, t int, kind core.MaskKind) *core.Mask {
	one := xpromptSegments(t, 8)
	seg := make([]int32, 0, b*t)
	for i := 0; i < b; i++ {
		seg = append(seg, one...)
	}
	return &core.Mask{Kind: kind, QSeg: seg, KSeg: seg}
}
