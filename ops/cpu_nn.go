package ops

import (
	"fmt"
	"math"

	"xprompt/core"
)

// rows returns the row count and width of t viewed as (N, D) over its last axis.
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

func (cpuBackend) Softmax(x, y *core.Tensor, log bool) {
	n, d := rows(x)
	if y.Len() != x.Len() {
		panic(fmt.Sprintf("cpu.Softmax: x %v, y %v", x.Dims(), y.Dims()))
	}
	parallelArgs(n, max(1, 4096/max(d, 1)), softmaxArgs{x, y, d, log}, func(a *softmaxArgs, lo, hi int) {
		x, y, d, log := a.x, a.y, a.d, a.log
		for r := lo; r < hi; r++ {
			softmaxRow(x.Data[r*d:(r+1)*d], y.Data[r*d:(r+1)*d], log)
		}
	})
}

// softmaxRow writes softmax (or log-softmax) of xs into ys and returns the
// row's log-sum-exp.
func softmaxRow(xs, ys []float32, log bool) float64 {
	m := float32(math.Inf(-1))
	for _, v := range xs {
		m = max(m, v)
	}
	var s float64
	for i, v := range xs {
		e := math.Exp(float64(v - m))
		ys[i] = float32(e)
		s += e
	}
	lse := float64(m) + math.Log(s)
	if log {
		for i, v := range xs {
			ys[i] = float32(float64(v) - lse)
		}
	} else {
		inv := float32(1 / s)
		for i := range ys {
			ys[i] *= inv
		}
	}
	return lse
}

func (cpuBackend) SoftmaxBackward(y, gy, gx *core.Tensor, log bool) {
	n, d := rows(y)
	parallelArgs(n, max(1, 4096/max(d, 1)), softmaxBackArgs{y, gy, gx, d, log}, func(a *softmaxBackArgs, lo, hi int) {
		y, gy, gx, d, log := a.y, a.gy, a.gx, a.d, a.log
		for r := lo; r < hi; r++ {
			ys, g, dx := y.Data[r*d:(r+1)*d], gy.Data[r*d:(r+1)*d], gx.Data[r*d:(r+1)*d]
			if log { // dx = g − softmax·Σg
				var s float64
				for _, v := range g {
					s += float64(v)
				}
				for i := range dx {
					dx[i] += g[i] - float32(math.Exp(float64(ys[i]))*s)
				}
			} else { // dx = y·(g − Σ y·g)
				var s float64
				for i := range g {
					s += float64(ys[i]) * float64(g[i])
				}
				for i := range dx {
					dx[i] += ys[i] * (g[i] - float32(s))
				}
			}
		}
	})
}

func (cpuBackend) CrossEntropy(logits *core.Tensor, targets []int32, weights []float32, ignore int32, dlogits *core.Tensor) (float64, float64) {
	n, v := rows(logits)
	if len(targets) != n || (weights != nil && len(weights) != n) || (dlogits != nil && dlogits.Len() != logits.Len()) {
		panic(fmt.Sprintf("cpu.CrossEntropy: logits %v with %d targets, %d weights", logits.Dims(), len(targets), len(weights)))
	}
	losses := core.Make[float64](n)
	parallelArgs(n, max(1, 4096/max(v, 1)), crossEntropyArgs{logits, dlogits, targets, weights, losses, v, ignore}, func(a *crossEntropyArgs, lo, hi int) {
		logits, dlogits, targets, weights, losses, v, ignore := a.logits, a.dlogits, a.targets, a.weights, a.losses, a.v, a.ignore
		for r := lo; r < hi; r++ {
			xs := logits.Data[r*v : (r+1)*v]
			t := targets[r]
			w := float32(1)
			if weights != nil {
				w = weights[r]
			}
			if t == ignore || w == 0 {
				if dlogits != nil {
					clear(dlogits.Data[r*v : (r+1)*v])
				}
				continue
			}
			if t < 0 || int(t) >= v {
				panic(fmt.Sprintf("cpu.CrossEntropy: target %d out of range [0,%d) at row %d", t, v, r))
			}
			if dlogits != nil && attnAVX512 && v >= 16 {
				losses[r] = crossEntropyRowAVX512(xs, dlogits.Data[r*v:(r+1)*v], t, w)
				continue
			}
			m := float32(math.Inf(-1))
			for _, x := range xs {
				m = max(m, x)
			}
			var s float64
			for _, x := range xs {
				s += math.Exp(float64(x - m))
			}
			lse := float64(m) + math.Log(s)
			losses[r] = float64(w) * (lse - float64(xs[t]))
			if dlogits != nil {
				d := dlogits.Data[r*v : (r+1)*v]
				for i, x := range xs {
					d[i] = w * float32(math.Exp(float64(x)-lse))
				}
				d[t] -= w
			}
		}
	})
	var loss, weight float64
	for r, t := range targets {
		if t == ignore {
			continue
		}
		loss += losses[r]
		if weights != nil {
			weight += float64(weights[r])
		} else {
			weight++
		}
	}
	return loss, weight
}

// crossEntropyRowAVX512 returns w·(lse(x) − x[t]) and sets d = w·(softmax(x)
// − onehot(t)) for one row with the AVX-512 row kernels: the max, exp(x − max)
// summed in the same pass, one scaling. d may be x itself.
func crossEntropyRowAVX512(x, d []float32, t int32, w float32) float64 {
	xt := x[t]
	if &d[0] != &x[0] {
		copy(d, x)
	}
	m := rowMaxAVX512(d, float32(math.Inf(-1)))
	s := expSumAVX512(d, m)
	lse := float64(m) + math.Log(float64(s))
	scaleRowAVX512(d, w/s)
	d[t] -= w
	return float64(w) * (lse - float64(xt))
}

func (cpuBackend) RMSNorm(x, w, y, rstd *core.Tensor, eps float32) {
	n, d := rows(x)
	if w.Len() != d || y.Len() != x.Len() || rstd.Len() != n {
		panic(fmt.Sprintf("cpu.RMSNorm: x %v, w %v, y %v, rstd %v", x.Dims(), w.Dims(), y.Dims(), rstd.Dims()))
	}
	parallelArgs(n, max(1, 8192/max(d, 1)), rmsNormArgs{x, w, y, rstd, d, eps}, func(a *rmsNormArgs, lo, hi int) {
		x, w, y, rstd, d, eps := a.x, a.w, a.y, a.rstd, a.d, a.eps
		for r := lo; r < hi; r++ {
			rstd.Data[r] = rmsNormRow(x.Data[r*d:(r+1)*d], w.Data, y.Data[r*d:(r+1)*d], eps)
		}
	})
}

func (cpuBackend) RMSNormBackward(x, w, rstd, gy, gx, gw *core.Tensor) {
	n, d := rows(x)
	// dx = rs·(g·w − x̂·mean(g·w·x̂)), x̂ = x·rs;  dw = Σ g·x̂.
	// Per-chunk partial sums of dw, added in chunk order so that results do
	// not depend on goroutine timing.
	minChunk := max(1, 8192/max(d, 1))
	chunk, chunks := parallelChunks(n, minChunk)
	var parts []float64
	if gw != nil {
		parts = core.Make[float64](chunks * d)
	}
	parallelArgs(n, minChunk, rmsNormBackArgs{x, w, rstd, gy, gx, parts, d, chunk}, func(a *rmsNormBackArgs, lo, hi int) {
		x, w, rstd, gy, gx, d := a.x, a.w, a.rstd, a.gy, a.gx, a.d
		var acc []float64
		if a.parts != nil {
			c := lo / a.chunk
			acc = a.parts[c*d : (c+1)*d]
		}
		for r := lo; r < hi; r++ {
			xs, g := x.Data[r*d:(r+1)*d], gy.Data[r*d:(r+1)*d]
			rs := rstd.Data[r]
			mean := float32(normDot64(g, w.Data, xs, rs) / float64(d))
			if gx != nil {
				dx := gx.Data[r*d : (r+1)*d]
				for i, v := range xs {
					dx[i] += rs * (g[i]*w.Data[i] - v*rs*mean)
				}
			}
			for i := range acc {
				acc[i] += float64(g[i] * xs[i] * rs)
			}
		}
	})
	if gw != nil {
		addChunkSums(gw.Data, parts, d)
	}
}

// rmsNormBackArgs are the operands of RMSNormBackward's loop; parts holds
// one row of dw partial sums per chunk of chunk rows.
type rmsNormBackArgs struct {
	x, w, rstd, gy, gx *core.Tensor
	parts              []float64
	d, chunk           int
}

func (cpuBackend) LayerNorm(x, w, b, y, mean, rstd *core.Tensor, eps float32) {
	n, d := rows(x)
	if (w != nil && w.Len() != d) || (b != nil && b.Len() != d) || y.Len() != x.Len() || mean.Len() != n || rstd.Len() != n {
		panic(fmt.Sprintf("cpu.LayerNorm: x %v, y %v, mean %v, rstd %v", x.Dims(), y.Dims(), mean.Dims(), rstd.Dims()))
	}
	parallelArgs(n, max(1, 8192/max(d, 1)), layerNormArgs{x, w, b, y, mean, rstd, d, eps}, func(a *layerNormArgs, lo, hi int) {
		x, w, b, y, mean, rstd, d, eps := a.x, a.w, a.b, a.y, a.mean, a.rstd, a.d, a.eps
		for r := lo; r < hi; r++ {
			xs, ys := x.Data[r*d:(r+1)*d], y.Data[r*d:(r+1)*d]
			var s, ss float64
			for _, v := range xs {
				s += float64(v)
			}
			mu := s / float64(d)
			for _, v := range xs {
				ss += (float64(v) - mu) * (float64(v) - mu)
			}
			rs := 1 / math.Sqrt(ss/float64(d)+float64(eps))
			mean.Data[r], rstd.Data[r] = float32(mu), float32(rs)
			for i, v := range xs {
				o := float32((float64(v) - mu) * rs)
				if w != nil {
					o *= w.Data[i]
				}
				if b != nil {
					o += b.Data[i]
				}
				ys[i] = o
			}
		}
	})
}

func (cpuBackend) LayerNormBackward(x, w, mean, rstd, gy, gx, gw, gb *core.Tensor) {
	n, d := rows(x)
	// x̂ = (x−μ)·rs, ĝ = g·w; dx = rs·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)).
	for r := 0; r < n; r++ {
		xs, g := x.Data[r*d:(r+1)*d], gy.Data[r*d:(r+1)*d]
		mu, rs := mean.Data[r], rstd.Data[r]
		var sg, sgx float64
		for i, v := range xs {
			gh := g[i]
			if w != nil {
				gh *= w.Data[i]
			}
			xh := (v - mu) * rs
			sg += float64(gh)
			sgx += float64(gh * xh)
			if gw != nil {
				gw.Data[i] += g[i] * xh
			}
			if gb != nil {
				gb.Data[i] += g[i]
			}
		}
		if gx == nil {
			continue
		}
		mg, mgx := float32(sg/float64(d)), float32(sgx/float64(d))
		dx := gx.Data[r*d : (r+1)*d]
		for i, v := range xs {
			gh := g[i]
			if w != nil {
				gh *= w.Data[i]
			}
			dx[i] += rs * (gh - mg - (v-mu)*rs*mgx)
		}
	}
}

func (cpuBackend) RoPE(x, out *core.Tensor, positions []int32, base float32, inverse, accumulate bool) {
	if x.Rank() != 4 || x.Len() != out.Len() || x.Dim(3)%2 != 0 {
		panic(fmt.Sprintf("cpu.RoPE: x %v (want B,H,T,hd with even hd), out %v", x.Dims(), out.Dims()))
	}
	b, h, t, hd := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	if positions != nil && len(positions) != b*t {
		panic(fmt.Sprintf("cpu.RoPE: %d positions for B·T = %d", len(positions), b*t))
	}
	maxPos := t - 1
	for _, p := range positions {
		if p < 0 {
			panic(fmt.Sprintf("cpu.RoPE: negative position %d", p))
		}
		maxPos = max(maxPos, int(p))
	}
	cos, sin := ropeCosSin(hd, base, maxPos)
	half := hd / 2
	sign := float32(1)
	if inverse {
		sign = -1
	}
	parallelArgs(b*h*t, 256, ropeArgs{x, out, positions, cos, sin, t, h, hd, half, sign, accumulate}, func(a *ropeArgs, lo, hi int) {
		x, out, positions, cos, sin, t, h, hd, half, sign, accumulate := a.x, a.out, a.positions, a.cos, a.sin, a.t, a.h, a.hd, a.half, a.sign, a.accumulate
		for r := lo; r < hi; r++ {
			ti, bi := r%t, r/(h*t)
			p := ti
			if positions != nil {
				p = int(positions[bi*t+ti])
			}
			c, s := cos[p*half:(p+1)*half], sin[p*half:(p+1)*half]
			xs, ys := x.Data[r*hd:(r+1)*hd], out.Data[r*hd:(r+1)*hd]
			for i := 0; i < half; i++ {
				x0, x1 := xs[2*i], xs[2*i+1]
				si := sign * s[i]
				y0, y1 := x0*c[i]-x1*si, x0*si+x1*c[i]
				if accumulate {
					ys[2*i] += y0
					ys[2*i+1] += y1
				} else {
					ys[2*i], ys[2*i+1] = y0, y1
				}
			}
		}
	})
}

func (cpuBackend) SwiGLU(x, y *core.Tensor) {
	n, d2 := rows(x)
	h := d2 / 2
	if d2%2 != 0 || y.Len() != n*h {
		panic(fmt.Sprintf("cpu.SwiGLU: x %v (last axis must be even), y %v", x.Dims(), y.Dims()))
	}
	parallelArgs(n, max(1, elemChunk/max(d2, 1)), swigluArgs{x, y, d2, h}, func(a *swigluArgs, lo, hi int) {
		x, y, d2, h := a.x, a.y, a.d2, a.h
		for r := lo; r < hi; r++ {
			swigluRow(x.Data[r*d2:r*d2+h], x.Data[r*d2+h:(r+1)*d2], y.Data[r*h:(r+1)*h])
		}
	})
}

func (cpuBackend) SwiGLUBackward(x, gy, gx *core.Tensor) { swigluBackward(x, gy, gx, true) }

// swigluBackward adds (or, without accumulate, writes) the gradient through
// y = silu(a)·b: da = g·b·s·(1 + a·(1−s)), db = g·a·s with s = sigmoid(a).
func swigluBackward(x, gy, gx *core.Tensor, accumulate bool) {
	n, d2 := rows(x)
	h := d2 / 2
	if d2%2 != 0 || gy.Len() != n*h || gx.Len() != x.Len() {
		panic(fmt.Sprintf("cpu.SwiGLUBackward: x %v, gy %v, gx %v", x.Dims(), gy.Dims(), gx.Dims()))
	}
	parallelArgs(n, max(1, elemChunk/max(d2, 1)), swigluBackArgs{x, gy, gx, d2, h, accumulate}, func(a *swigluBackArgs, lo, hi int) {
		x, gy, gx, d2, h, accumulate := a.x, a.gy, a.gx, a.d2, a.h, a.accumulate
		for r := lo; r < hi; r++ {
			swigluBackRow(x.Data[r*d2:r*d2+h], x.Data[r*d2+h:(r+1)*d2], gy.Data[r*h:(r+1)*h],
				gx.Data[r*d2:r*d2+h], gx.Data[r*d2+h:(r+1)*d2], accumulate)
		}
	})
}

// swigluBackArgs are the operands of a parallel loop (see parallelArgs).
type swigluBackArgs struct {
	x, gy, gx  *core.Tensor
	d2, h      int
	accumulate bool
}

// swigluArgs are the operands of a parallel loop (see parallelArgs).
type swigluArgs struct {
	x, y  *core.Tensor
	d2, h int
}

// ropeArgs are the operands of a parallel loop (see parallelArgs).
type ropeArgs struct {
	x, out         *core.Tensor
	positions      []int32
	cos, sin       []float32
	t, h, hd, half int
	sign           float32
	accumulate     bool
}

// rmsNormArgs are the operands of a parallel loop (see parallelArgs).
type rmsNormArgs struct {
	x, w, y, rstd *core.Tensor
	d             int
	eps           float32
}

// crossEntropyArgs are the operands of a parallel loop (see parallelArgs).
type crossEntropyArgs struct {
	logits, dlogits *core.Tensor
	targets         []int32
	weights         []float32
	losses          []float64
	v               int
	ignore          int32
}

// layerNormArgs are the operands of a parallel loop (see parallelArgs).
type layerNormArgs struct {
	x, w, b, y, mean, rstd *core.Tensor
	d                      int
	eps                    float32
}

// softmaxBackArgs are the operands of a parallel loop (see parallelArgs).
type softmaxBackArgs struct {
	y, gy, gx *core.Tensor
	d         int
	log       bool
}

// softmaxArgs are the operands of a parallel loop (see parallelArgs).
type softmaxArgs struct {
	x, y *core.Tensor
	d    int
	log  bool
}

// addChunkSums adds to dst (length d) the float64 partial sums of a norm's
// weight gradient, one row of d per chunk of rows.
func addChunkSums(dst []float32, parts []float64, d int) {
	for c := 0; c < len(parts)/max(d, 1); c++ {
		for i, v := range parts[c*d : (c+1)*d] {
			dst[i] += float32(v)
		}
	}
}
