package cuda

import (
	"fmt"
	"time"

	"xprompt/core"
)

// syncDevice waits for the device work of be (a no-op for host backends).
func syncDevice(be core.Backend) {
	if b, ok := be.(*Backend); ok {
		b.check("synchronize", b.drv.Synchronize())
	}
}

// timeIters runs f once to warm up (compiling kernels, filling the
// allocator's cache), then iters times, and returns the mean wall time per
// run, the device synchronised before and after.
func timeIters(be core.Backend, iters int, f func()) time.Duration {
	f()
	syncDevice(be)
	start := time.Now()
	for i := 0; i < iters; i++ {
		f()
	}
	syncDevice(be)
	return time.Since(start) / time.Duration(max(iters, 1))
}

func randomOn(be core.Backend, rng *core.RNG, shape ...int) *core.Tensor {
	t := rng.Randn(1, shape...)
	if m, ok := be.(core.DeviceMemory); ok {
		return m.ToDevice(t)
	}
	return t
}

// BenchGemm returns the mean time of one C = A·B (M×K times K×N, float32)
// with be's Gemm.
func BenchGemm(be core.Backend, m, k, n, iters int) time.Duration {
	rng := core.NewRNG(1)
	a, b := randomOn(be, rng, m, k), randomOn(be, rng, k, n)
	c := core.ZerosOn(be.Device(), m, n)
	spec := core.GemmSpec{Batch: 1, M: m, N: n, K: k, Alpha: 1}
	return timeIters(be, iters, func() { be.Gemm(spec, a, b, c) })
}

// BenchAttention returns the mean time of one fused attention forward and
// backward pass (B, H, T, hd) with the given mask kind (X-Prompt segments
// laid out as the training batches: BOS, 40% IE, 8 XP, TD).
func BenchAttention(be core.Backend, b, h, t, hd int, kind core.MaskKind, iters int) (time.Duration, error) {
	if t < 9 || b < 1 || h < 1 || hd < 2 {
		return 0, fmt.Errorf("bench attention: sizes must be positive (t ≥ 9)")
	}
	rng := core.NewRNG(1)
	q, k, v := randomOn(be, rng, b, h, t, hd), randomOn(be, rng, b, h, t, hd), randomOn(be, rng, b, h, t, hd)
	gout := randomOn(be, rng, b, h, t, hd)
	out, lse := core.ZerosOn(be.Device(), b, h, t, hd), core.ZerosOn(be.Device(), b, h, t)
	gq, gk, gv := core.ZerosOn(be.Device(), b, h, t, hd), core.ZerosOn(be.Device(), b, h, t, hd), core.ZerosOn(be.Device(), b, h, t, hd)
	seg := make([]int32, b*t)
	ie := (t - 9) * 2 / 5
	for s := 0; s < b; s++ {
		for i := 0; i < t; i++ {
			switch {
			case i == 0:
				seg[s*t+i] = core.SegBOS
			case i < 1+ie:
				seg[s*t+i] = core.SegIE
			case i < 9+ie:
				seg[s*t+i] = core.SegXP
			default:
				seg[s*t+i] = core.SegTD
			}
		}
	}
	mask := &core.Mask{Kind: kind, QSeg: seg, KSeg: seg}
	scale := float32(1 / float64(hd))
	return timeIters(be, iters, func() {
		be.Attention(q, k, v, mask, scale, out, lse, nil)
		be.AttentionBackward(q, k, v, out, lse, gout, mask, scale, gq, gk, gv)
	}), nil
}
