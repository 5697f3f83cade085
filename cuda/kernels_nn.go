package cuda

import (
	"fmt"
	"math"

	"xprompt/core"
)

// rows returns the number of rows and the row width (the last axis) of t.
func rows(t *core.Tensor) (n, d int) {
	if t.Rank() == 0 {
		return 1, 1
	}
	d = t.Dim(-1)
	if d == 0 {
		return 0, 0
	}
	return t.Len() / d, d
}

// rowThreads is the block size of the row kernels.
const rowThreads = 256

// Softmax runs softmax_fwd, one block per row.
func (b *Backend) Softmax(x, y *core.Tensor, log bool) {
	n, d := rows(x)
	if y.Len() != x.Len() {
		panic(fmt.Sprintf("%s.Softmax: x %v, y %v", b.device, x.Dims(), y.Dims()))
	}
	if n > 0 {
		b.launch("softmax_fwd", n, rowThreads, 0, x, y, int32(d), cbool(log))
	}
}

// SoftmaxBackward runs softmax_bwd, one block per row.
func (b *Backend) SoftmaxBackward(y, gy, gx *core.Tensor, log bool) {
	n, d := rows(y)
	if gy.Len() != y.Len() || gx.Len() != y.Len() {
		panic(fmt.Sprintf("%s.SoftmaxBackward: y %v, gy %v, gx %v", b.device, y.Dims(), gy.Dims(), gx.Dims()))
	}
	if n > 0 {
		b.launch("softmax_bwd", n, rowThreads, 0, y, gy, gx, int32(d), cbool(log))
	}
}

// CrossEntropy runs cross_entropy (loss, weight and dlogits in one pass over
// each row) and adds the per-row losses and weights in float64.
func (b *Backend) CrossEntropy(logits *core.Tensor, targets []int32, weights []float32, ignore int32, dlogits *core.Tensor) (float64, float64) {
	n, v := rows(logits)
	if len(targets) != n || (weights != nil && len(weights) != n) || (dlogits != nil && dlogits.Len() != logits.Len()) {
		panic(fmt.Sprintf("%s.CrossEntropy: logits %v with %d targets, %d weights", b.device, logits.Dims(), len(targets), len(weights)))
	}
	for r, t := range targets {
		w := float32(1)
		if weights != nil {
			w = weights[r]
		}
		if t != ignore && w != 0 && (t < 0 || int(t) >= v) {
			panic(fmt.Sprintf("%s.CrossEntropy: target %d out of range [0,%d) at row %d", b.device, t, v, r))
		}
	}
	if n == 0 {
		return 0, 0
	}
	tg, wt := upload(b, targets), upload(b, weights)
	defer tg.release()
	defer wt.release()
	loss, counted := b.empty(n), b.empty(n)
	b.launch("cross_entropy", n, rowThreads, 0, logits, tg, wt, cbool(weights != nil), ignore,
		dlogits, cbool(dlogits != nil), loss, counted, int32(v))
	var l, w float64
	for _, x := range b.ToHost(loss).Data {
		l += float64(x)
	}
	for _, x := range b.ToHost(counted).Data {
		w += float64(x)
	}
	return l, w
}

// RMSNorm runs rmsnorm_fwd, one block per row.
func (b *Backend) RMSNorm(x, w, y, rstd *core.Tensor, eps float32) {
	n, d := rows(x)
	if w.Len() != d || y.Len() != x.Len() || rstd.Len() != n {
		panic(fmt.Sprintf("%s.RMSNorm: x %v, w %v, y %v, rstd %v", b.device, x.Dims(), w.Dims(), y.Dims(), rstd.Dims()))
	}
	if n > 0 {
		b.launch("rmsnorm_fwd", n, rowThreads, 0, x, w, y, rstd, int32(d), eps)
	}
}

// RMSNormBackward runs rmsnorm_bwd per row and rmsnorm_bwd_w per column.
func (b *Backend) RMSNormBackward(x, w, rstd, gy, gx, gw *core.Tensor) {
	n, d := rows(x)
	if w.Len() != d || rstd.Len() != n || gy.Len() != x.Len() || gx.Len() != x.Len() || (gw != nil && gw.Len() != d) {
		panic(fmt.Sprintf("%s.RMSNormBackward: x %v, w %v, rstd %v, gy %v, gx %v", b.device, x.Dims(), w.Dims(), rstd.Dims(), gy.Dims(), gx.Dims()))
	}
	if n == 0 {
		return
	}
	b.launch("rmsnorm_bwd", n, rowThreads, 0, x, w, rstd, gy, gx, int32(d))
	if gw != nil {
		b.launch("rmsnorm_bwd_w", (d+255)/256, 256, 0, x, rstd, gy, gw, int32(n), int32(d))
	}
}

// LayerNorm runs layernorm_fwd, one block per row (w and b may be nil).
func (b *Backend) LayerNorm(x, w, bias, y, mean, rstd *core.Tensor, eps float32) {
	n, d := rows(x)
	if (w != nil && w.Len() != d) || (bias != nil && bias.Len() != d) || y.Len() != x.Len() || mean.Len() != n || rstd.Len() != n {
		panic(fmt.Sprintf("%s.LayerNorm: x %v, y %v, mean %v, rstd %v", b.device, x.Dims(), y.Dims(), mean.Dims(), rstd.Dims()))
	}
	if n > 0 {
		b.launch("layernorm_fwd", n, rowThreads, 0, x, w, bias, y, mean, rstd, int32(d), eps, cbool(w != nil), cbool(bias != nil))
	}
}

// LayerNormBackward runs layernorm_bwd per row and layernorm_bwd_wb per column.
func (b *Backend) LayerNormBackward(x, w, mean, rstd, gy, gx, gw, gb *core.Tensor) {
	n, d := rows(x)
	if (w != nil && w.Len() != d) || mean.Len() != n || rstd.Len() != n || gy.Len() != x.Len() || gx.Len() != x.Len() ||
		(gw != nil && gw.Len() != d) || (gb != nil && gb.Len() != d) {
		panic(fmt.Sprintf("%s.LayerNormBackward: x %v, gy %v, gx %v", b.device, x.Dims(), gy.Dims(), gx.Dims()))
	}
	if n == 0 {
		return
	}
	b.launch("layernorm_bwd", n, rowThreads, 0, x, w, mean, rstd, gy, gx, int32(d), cbool(w != nil))
	if gw != nil || gb != nil {
		b.launch("layernorm_bwd_wb", (d+255)/256, 256, 0, x, mean, rstd, gy, gw, gb, int32(n), int32(d), cbool(gw != nil), cbool(gb != nil))
	}
}

// SwiGLU runs swiglu_fwd.
func (b *Backend) SwiGLU(x, y *core.Tensor) {
	n, d2 := rows(x)
	if d2%2 != 0 || y.Len() != x.Len()/2 {
		panic(fmt.Sprintf("%s.SwiGLU: x %v (even last axis), y %v", b.device, x.Dims(), y.Dims()))
	}
	if t := n * d2 / 2; t > 0 {
		b.launch("swiglu_fwd", grid1(t), 256, 0, x, y, int64(n), int32(d2/2))
	}
}

// SwiGLUBackward runs swiglu_bwd.
func (b *Backend) SwiGLUBackward(x, gy, gx *core.Tensor) {
	n, d2 := rows(x)
	if d2%2 != 0 || gy.Len() != x.Len()/2 || gx.Len() != x.Len() {
		panic(fmt.Sprintf("%s.SwiGLUBackward: x %v, gy %v, gx %v", b.device, x.Dims(), gy.Dims(), gx.Dims()))
	}
	if t := n * d2 / 2; t > 0 {
		b.launch("swiglu_bwd", grid1(t), 256, 0, x, gy, gx, int64(n), int32(d2/2))
	}
}

// ropeTables returns cos and sin of p·θᵢ, θᵢ = base^(−2i/hd), for positions
// 0…npos−1, computed in float64 and rounded (as the CPU backend does).
func ropeTables(hd int, base float32, npos int) (cos, sin []float32) {
	half := hd / 2
	cos, sin = make([]float32, npos*half), make([]float32, npos*half)
	for i := 0; i < half; i++ {
		theta := math.Pow(float64(base), -2*float64(i)/float64(hd))
		for p := 0; p < npos; p++ {
			s, c := math.Sincos(float64(p) * theta)
			cos[p*half+i], sin[p*half+i] = float32(c), float32(s)
		}
	}
	return cos, sin
}

// RoPE runs rope with cos/sin tables uploaded for the positions used.
func (b *Backend) RoPE(x, out *core.Tensor, positions []int32, base float32, inverse, accumulate bool) {
	if x.Rank() != 4 || x.Len() != out.Len() || x.Dim(3)%2 != 0 {
		panic(fmt.Sprintf("%s.RoPE: x %v (want B,H,T,hd with even hd), out %v", b.device, x.Dims(), out.Dims()))
	}
	bs, h, t, hd := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	if positions != nil && len(positions) != bs*t {
		panic(fmt.Sprintf("%s.RoPE: %d positions for B·T = %d", b.device, len(positions), bs*t))
	}
	maxPos := t - 1
	for _, p := range positions {
		if p < 0 {
			panic(fmt.Sprintf("%s.RoPE: negative position %d", b.device, p))
		}
		maxPos = max(maxPos, int(p))
	}
	total := x.Len() / 2
	if total == 0 {
		return
	}
	cos, sin := ropeTables(hd, base, maxPos+1)
	ct, st, pt := upload(b, cos), upload(b, sin), upload(b, positions)
	defer ct.release()
	defer st.release()
	defer pt.release()
	sign := float32(1)
	if inverse {
		sign = -1
	}
	b.launch("rope", grid1(total), 256, 0, x, out, pt, ct, st, int32(bs), int32(h), int32(t), int32(hd), sign, cbool(accumulate))
}
