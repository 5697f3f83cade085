package ops

import (
	"fmt"
	"math"

	"xprompt/core"
)

// AddRMSNorm returns the residual sum s = x + y and its normalised value
// h = RMSNorm(s, w, eps), x and y (N, D), w (D): the pre-norm transformer's
// "add the branch, normalise for the next one", equal to
//
//	s := Add(x, y)
//	h := RMSNorm(s, w, eps)
//
// On the CPU the forward pass is one pass over the rows, and when s has a
// gradient from another consumer (the next residual add) by the time h's
// rule runs, h's rule leaves its gradient to s's rule, which adds the
// norm's backward to s's gradient and hands the sum to x and y in one pass
// (the composition zeroes y's gradient and adds to it, and makes another
// pass for the norm). Other backends compose the primitives.
func AddRMSNorm(x, y, w *core.Tensor, eps float32) (s, h *core.Tensor) {
	n, d := rows(x)
	if !core.SameShape(x, y) || w.Len() != d {
		panic(fmt.Sprintf("ops.AddRMSNorm: x %v, y %v, w %v (want x and y equal, w of their last axis)", x.Dims(), y.Dims(), w.Dims()))
	}
	be := backendOf(x, y, w)
	if be.Device() != core.CPU {
		return addRMSNormComposed(x, y, w, eps)
	}
	s, h = core.Empty(x.Dims()...), core.Empty(x.Dims()...)
	rstd := core.Empty(n)
	parallelArgs(n, max(1, 8192/max(d, 1)), addNormArgs{x.Data, y.Data, w.Data, s.Data, h.Data, rstd.Data, d, eps}, func(a *addNormArgs, lo, hi int) {
		d := a.d
		for r := lo; r < hi; r++ {
			ss := a.s[r*d : (r+1)*d]
			rs := rmsFromSum(addSumSquares64(a.x[r*d:(r+1)*d], a.y[r*d:(r+1)*d], ss), d, a.eps)
			a.rstd[r] = rs
			normScale(ss, a.w, a.h[r*d:(r+1)*d], rs)
		}
	})
	st := core.Alloc[addNormState]()
	*st = addNormState{x: x, y: y, w: w, s: s, rstd: rstd}
	s = recordArgs(s, "add", st, func(st **addNormState, g *core.Tensor) { (*st).backAdd(g) }, x, y)
	h = recordArgs(h, "rms_norm", st, func(st **addNormState, g *core.Tensor) { (*st).backNorm(g) }, s, w)
	st.s = s
	return s, h
}

// addNormArgs are AddRMSNorm's forward operands for parallelArgs.
type addNormArgs struct {
	x, y, w, s, h, rstd []float32
	d                   int
	eps                 float32
}

// rmsNormRow writes h = x·rs·w for one row and returns rs = 1/√(mean(x²) +
// eps): cpuBackend.RMSNorm's arithmetic.
func rmsNormRow(xs, w, h []float32, eps float32) float32 {
	rs := rmsFromSum(sumSquares64(xs), len(xs), eps)
	normScale(xs, w, h, rs)
	return rs
}

// rmsFromSum returns 1/√(ss/d + eps) in float32.
func rmsFromSum(ss float64, d int, eps float32) float32 {
	return float32(1 / math.Sqrt(ss/float64(d)+float64(eps)))
}

// normScale writes h = x·rs·w.
func normScale(xs, w, h []float32, rs float32) {
	w, h = w[:len(xs)], h[:len(xs)]
	for i, v := range xs {
		h[i] = v * rs * w[i]
	}
}

// addNormState is what the two backward rules of AddRMSNorm share: gh is
// h's gradient, left by h's rule for s's rule (nil when h's rule handled
// it).
type addNormState struct {
	x, y, w, s, rstd *core.Tensor
	gh               *core.Tensor
}

// backNorm is h's rule. The norm's gradient is added to s's gradient by
// s's rule when s already has one (its other consumers' gradients, to which
// the remaining ones keep adding until s's rule runs) and w is a leaf (so
// no rule reads w's gradient before s's rule completes it); otherwise it is
// written or added here.
func (st *addNormState) backNorm(g *core.Tensor) {
	s, w := st.s, st.w
	if s.RequiresGrad() && s.Grad() != nil && (w.IsLeaf() || !w.RequiresGrad()) {
		st.gh = g
		return
	}
	var gs, gw *core.Tensor
	accumulate := true
	if s.RequiresGrad() {
		var beta float32
		gs, beta = gradTarget(s)
		accumulate = beta != 0
	}
	if w.RequiresGrad() {
		gw = w.EnsureGrad()
	}
	addNormBackward(s, w, st.rstd, g, gs, accumulate, nil, false, gw)
}

// backAdd is s's rule: g (s's gradient) goes to x and y, with the norm's
// gradient added first when h's rule left it.
func (st *addNormState) backAdd(g *core.Tensor) {
	x, y := st.x, st.y
	if st.gh != nil {
		var gw, gy *core.Tensor
		yAcc := false
		if st.w.RequiresGrad() {
			gw = st.w.EnsureGrad()
		}
		if y.RequiresGrad() {
			var beta float32
			gy, beta = gradTarget(y)
			yAcc = beta != 0
		}
		addNormBackward(st.s, st.w, st.rstd, st.gh, g, true, gy, yAcc, gw) // g += norm's gradient; gy = g
		st.gh = nil
		if x.RequiresGrad() {
			x.AdoptGrad(g) // g is done with after this rule
		}
		return
	}
	if y.RequiresGrad() {
		gy, beta := gradTarget(y)
		if beta == 0 {
			copy(gy.Data, g.Data)
		} else {
			for i, v := range g.Data {
				gy.Data[i] += v
			}
		}
	}
	if x.RequiresGrad() {
		x.AdoptGrad(g)
	}
}

// addNormBackward computes, row by row, the norm's input gradient
// dx = rs·(gh·w − x̂·mean(gh·w·x̂)), x̂ = s·rs, into gs (added when accumulate
// is set, written otherwise; nil: not wanted), then copies the row of gs
// into gy (added when yAcc; nil: none), and adds dw = Σ gh·x̂ to gw (nil:
// none). The arithmetic is cpuBackend.RMSNormBackward's, dw summed per
// chunk in chunk order.
func addNormBackward(s, w, rstd, gh, gs *core.Tensor, accumulate bool, gy *core.Tensor, yAcc bool, gw *core.Tensor) {
	n, d := rows(s)
	minChunk := max(1, 8192/max(d, 1))
	chunk, chunks := parallelChunks(n, minChunk)
	var parts []float64
	if gw != nil {
		parts = core.Make[float64](chunks * d)
		clear(parts)
	}
	parallelArgs(n, minChunk, addNormBackArgs{s.Data, w.Data, rstd.Data, gh.Data, tensorData(gs), tensorData(gy), parts, d, chunk, accumulate, yAcc},
		func(a *addNormBackArgs, lo, hi int) {
			d := a.d
			var acc []float64
			if a.parts != nil {
				c := lo / a.chunk
				acc = a.parts[c*d : (c+1)*d]
			}
			for r := lo; r < hi; r++ {
				xs, g, w := a.s[r*d:(r+1)*d], a.gh[r*d:(r+1)*d], a.w[:d]
				rs := a.rstd[r]
				mean := float32(normDot64(g, w, xs, rs) / float64(d))
				if a.gs != nil {
					dx := a.gs[r*d : (r+1)*d]
					if a.accumulate {
						for i, v := range xs {
							dx[i] += rs * (g[i]*w[i] - v*rs*mean)
						}
					} else {
						for i, v := range xs {
							dx[i] = rs * (g[i]*w[i] - v*rs*mean)
						}
					}
					if a.gy != nil {
						dy := a.gy[r*d : (r+1)*d]
						if a.yAcc {
							for i, v := range dx {
								dy[i] += v
							}
						} else {
							copy(dy, dx)
						}
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

// addNormBackArgs are addNormBackward's operands for parallelArgs.
type addNormBackArgs struct {
	s, w, rstd, gh, gs, gy []float32
	parts                  []float64
	d, chunk               int
	accumulate, yAcc       bool
}

// addRMSNormComposed is AddRMSNorm composed of primitives: the reference
// for the fused CPU path and the path of other backends.
func addRMSNormComposed(x, y, w *core.Tensor, eps float32) (s, h *core.Tensor) {
	s = Add(x, y)
	return s, RMSNorm(s, w, eps)
}

// sumSquares64 returns Σ x² in float64, in four interleaved partial sums
// added pairwise at the end (one running sum makes the loop wait on the
// add's latency). sumSquares64Ref is the one-sum reference.
func sumSquares64(xs []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		a, b, c, d := float64(xs[i]), float64(xs[i+1]), float64(xs[i+2]), float64(xs[i+3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(xs); i++ {
		s0 += float64(xs[i]) * float64(xs[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// addSumSquares64 writes s = x + y and returns Σ s² as sumSquares64(s)
// does, in the same pass.
func addSumSquares64(xs, ys, s []float32) float64 {
	ys, s = ys[:len(xs)], s[:len(xs)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		a, b, c, d := xs[i]+ys[i], xs[i+1]+ys[i+1], xs[i+2]+ys[i+2], xs[i+3]+ys[i+3]
		s[i], s[i+1], s[i+2], s[i+3] = a, b, c, d
		s0 += float64(a) * float64(a)
		s1 += float64(b) * float64(b)
		s2 += float64(c) * float64(c)
		s3 += float64(d) * float64(d)
	}
	for ; i < len(xs); i++ {
		a := xs[i] + ys[i]
		s[i] = a
		s0 += float64(a) * float64(a)
	}
	return (s0 + s1) + (s2 + s3)
}

func sumSquares64Ref(xs []float32) float64 {
	var s float64
	for _, v := range xs {
		s += float64(v) * float64(v)
	}
	return s
}

// normDot64 returns Σ float64(g·w)·float64(x·rs) (the RMSNorm backward's
// Σ ĝ·x̂) in four interleaved partial sums; normDot64Ref is the reference.
func normDot64(g, w, xs []float32, rs float32) float64 {
	g, w = g[:len(xs)], w[:len(xs)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		s0 += float64(g[i]*w[i]) * float64(xs[i]*rs)
		s1 += float64(g[i+1]*w[i+1]) * float64(xs[i+1]*rs)
		s2 += float64(g[i+2]*w[i+2]) * float64(xs[i+2]*rs)
		s3 += float64(g[i+3]*w[i+3]) * float64(xs[i+3]*rs)
	}
	for ; i < len(xs); i++ {
		s0 += float64(g[i]*w[i]) * float64(xs[i]*rs)
	}
	return (s0 + s1) + (s2 + s3)
}

func normDot64Ref(g, w, xs []float32, rs float32) float64 {
	var s float64
	for i, v := range xs {
		s += float64(g[i]*w[i]) * float64(v*rs)
	}
	return s
}
