package backendtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"xprompt/core"
)

// The references are checked here on their own: forwards against values
// worked by hand, backward formulas against float64 central differences of
// the forwards.

func closeTo(t *testing.T, what string, got, want []float64, tl float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tl*(1+math.Abs(want[i])) {
			t.Errorf("%s[%d] = %.12g, want %.12g", what, i, got[i], want[i])
		}
	}
}

func TestReferenceHandValues(t *testing.T) {
	a, b := []float64{1, 2, 3, 4}, []float64{5, 6, 7, 8}
	closeTo(t, "A·B", refGemm(false, false, 2, 2, 2, 1, a, b, 0, make([]float64, 4)), []float64{19, 22, 43, 50}, 0)
	closeTo(t, "Aᵀ·B", refGemm(true, false, 2, 2, 2, 1, a, b, 0, make([]float64, 4)), []float64{26, 30, 38, 44}, 0)
	closeTo(t, "A·Bᵀ", refGemm(false, true, 2, 2, 2, 1, a, b, 0, make([]float64, 4)), []float64{17, 23, 39, 53}, 0)
	closeTo(t, "2·A·B + C", refGemm(false, false, 2, 2, 2, 2, a, b, 1, []float64{1, 1, 1, 1}), []float64{39, 45, 87, 101}, 0)

	out, shape := refBinary(core.OpSub, []float64{10, 20}, []int{2, 1}, []float64{1, 2, 3}, []int{3})
	closeTo(t, "[[10],[20]] − [1 2 3]", out, []float64{9, 8, 7, 19, 18, 17}, 0)
	if !core.EqualShapes(shape, []int{2, 3}) {
		t.Errorf("broadcast shape %v, want [2 3]", shape)
	}
	x23 := []float64{1, 2, 3, 4, 5, 6}
	closeTo(t, "SumTo (2,3)→(3)", refSumTo(x23, []int{2, 3}, []int{3}, nil), []float64{5, 7, 9}, 0)
	closeTo(t, "SumTo (2,3)→(2,1)", refSumTo(x23, []int{2, 3}, []int{2, 1}, []float64{1, 1}), []float64{7, 16}, 0)
	closeTo(t, "SumTo (2,3)→()", refSumTo(x23, []int{2, 3}, []int{}, nil), []float64{21}, 0)
	tr, _ := refPermute(x23, []int{2, 3}, []int{1, 0}, nil)
	closeTo(t, "transpose", tr, []float64{1, 4, 2, 5, 3, 6}, 0)
	closeTo(t, "CopyAxis", refCopyAxis([]float64{7, 8, 9}, []int{3, 1}, []float64{0, 0, 0, 0}, []int{4, 1}, 0, 1, 2, 2, false),
		[]float64{0, 0, 8, 9}, 0)
	closeTo(t, "GatherRows", refGatherRows(x23, 2, []int32{2, 0, 2}), []float64{5, 6, 1, 2, 5, 6}, 0)
	closeTo(t, "ScatterAddRows", refScatterAddRows([]float64{1, 2, 3}, 1, []int32{1, 1, 0}, []float64{0, 10}), []float64{3, 13}, 0)

	closeTo(t, "softmax [0, ln 3]", refSoftmax([]float64{0, math.Log(3)}, 2, false), []float64{0.25, 0.75}, 1e-15)
	loss, weight, d := refCrossEntropy([]float64{0, math.Log(3), 5, 5}, 2, []int32{1, -1}, nil, -1)
	closeTo(t, "cross-entropy", []float64{loss, weight}, []float64{-math.Log(0.75), 1}, 1e-15)
	closeTo(t, "dlogits", d, []float64{0.25, -0.25, 0, 0}, 1e-15)

	y, rstd := refRMSNorm([]float64{3, 4}, []float64{1, 2}, 0)
	closeTo(t, "RMSNorm", append(y, rstd...), []float64{3 / math.Sqrt(12.5), 8 / math.Sqrt(12.5), 1 / math.Sqrt(12.5)}, 1e-15)
	y, mean, rstd := refLayerNorm([]float64{1, 3}, nil, []float64{0, 10}, 2, 0)
	closeTo(t, "LayerNorm", append(append(y, mean...), rstd...), []float64{-1, 11, 2, 1}, 1e-15)
	closeTo(t, "SwiGLU", refSwiGLU([]float64{2, 3}, 1), []float64{2 / (1 + math.Exp(-2)) * 3}, 1e-15)

	// RoPE with hd = 2 turns (1, 0) at position p by p radians (θ₀ = 1).
	closeTo(t, "RoPE", refRoPE([]float64{1, 0, 1, 0}, 1, 1, 2, 2, []int32{1, 3}, 10000, false, nil),
		[]float64{math.Cos(1), math.Sin(1), math.Cos(3), math.Sin(3)}, 1e-15)
	// θ₁ = base^(−2/4) = 1/100 for hd = 4 and base 10⁴.
	closeTo(t, "RoPE θ₁", refRoPE([]float64{0, 0, 0, 1}, 1, 1, 1, 4, []int32{50}, 10000, false, nil),
		[]float64{0, 0, -math.Sin(0.5), math.Cos(0.5)}, 1e-15)

	// One query, three keys with equal scores, the last one in the future.
	q, k := []float64{1, 0}, []float64{2, 0, 2, 5, 2, -5}
	v := []float64{1, 0, 3, 0, 100, 100}
	o, lse, p := refAttention(q, k, v, attnDims{1, 1, 1, 3, 2}, &core.Mask{QPos: []int32{1}}, 0.5)
	closeTo(t, "attention out", o, []float64{2, 0}, 1e-15)
	closeTo(t, "attention lse", lse, []float64{1 + math.Log(2)}, 1e-15)
	closeTo(t, "attention p", p, []float64{0.5, 0.5, 0}, 1e-15)
	_, lse, _ = refAttention(q, k, v, attnDims{1, 1, 1, 3, 2}, &core.Mask{QSeg: []int32{core.SegPad}}, 0.5)
	if !math.IsInf(lse[0], -1) {
		t.Errorf("lse of a padding query = %g, want −Inf", lse[0])
	}

	// A 2×2 kernel over a 2×3 image, no padding: two windows.
	cols := refIm2Col([]float64{1, 2, 3, 4, 5, 6}, convGeom{b: 1, c: 1, h: 2, w: 3, kh: 2, kw: 2, stride: 1})
	closeTo(t, "im2col", cols, []float64{1, 2, 2, 3, 4, 5, 5, 6}, 0)
	// Padding 1 with stride 2 over a 1×1 image: one window, the pixel at its center.
	cols = refIm2Col([]float64{7}, convGeom{b: 1, c: 1, h: 1, w: 1, kh: 3, kw: 3, stride: 2, pad: 1})
	closeTo(t, "im2col padded", cols, []float64{0, 0, 0, 0, 7, 0, 0, 0, 0}, 0)

	closeTo(t, "distances", refSquaredDistances([]float64{0, 0, 1, 1}, []float64{1, 0, 3, 4}, 2),
		[]float64{1, 25, 1, 13}, 0)
	// Step 1 from zero moments without decay moves each parameter by lr·g/(|g| + eps).
	p2, m2, v2 := refAdamW([]float64{1, 1}, []float64{0.5, -2}, []float64{0, 0}, []float64{0, 0},
		adamW{lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 0, wd: 0, step: 1})
	closeTo(t, "AdamW p", p2, []float64{0.9, 1.1}, 1e-15)
	closeTo(t, "AdamW moments", append(m2, v2...), []float64{0.05, -0.2, 0.0025, 0.04}, 1e-15)
	p2, _, _ = refAdamW([]float64{2}, []float64{0}, []float64{0}, []float64{1}, adamW{lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 0, wd: 0.5, step: 1})
	closeTo(t, "AdamW decay", p2, []float64{2 - 0.1*0.5*2}, 1e-15)
}

// numGrad returns the gradient of L(x) = Σ g·f(x) by central differences.
func numGrad(x []float64, g []float64, f func(x []float64) []float64) []float64 {
	const h = 1e-6
	grad := make([]float64, len(x))
	for i := range x {
		old := x[i]
		x[i] = old + h
		up := f(x)
		x[i] = old - h
		down := f(x)
		x[i] = old
		for j := range g {
			grad[i] += g[j] * (up[j] - down[j]) / (2 * h)
		}
	}
	return grad
}

func randSlice(r *rand.Rand, n int, lo, hi float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = lo + (hi-lo)*r.Float64()
	}
	return out
}

const fdTol = 2e-6 // central differences in float64 with h = 1e-6

func TestReferenceGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range unaryCases {
		x := randSlice(r, 9, -3, 3)
		if tc.positive {
			x = randSlice(r, 9, 0.2, 3)
		}
		g := randSlice(r, 9, -1, 1)
		want := numGrad(x, g, func(x []float64) []float64 {
			y := make([]float64, len(x))
			for i, v := range x {
				y[i] = refUnary(tc.op, float64(tc.p), v)
			}
			return y
		})
		got := make([]float64, len(x))
		for i, v := range x {
			got[i] = g[i] * refUnaryDeriv(tc.op, float64(tc.p), v)
		}
		closeTo(t, "d"+tc.name, got, want, fdTol)
	}

	const n, d = 3, 7
	x, g := randSlice(r, n*d, -2, 2), randSlice(r, n*d, -1, 1)
	zeros := make([]float64, n*d)
	for _, log := range []bool{false, true} {
		want := numGrad(x, g, func(x []float64) []float64 { return refSoftmax(x, d, log) })
		closeTo(t, "softmax gx", refSoftmaxBackward(refSoftmax(x, d, false), g, zeros, d, log), want, fdTol)
	}

	targets, weights := []int32{4, -1, 0}, []float64{0.5, 2, 1.5}
	_, _, dl := refCrossEntropy(x, d, targets, weights, -1)
	want := numGrad(x, []float64{1}, func(x []float64) []float64 {
		loss, _, _ := refCrossEntropy(x, d, targets, weights, -1)
		return []float64{loss}
	})
	closeTo(t, "dlogits", dl, want, fdTol)

	w, b := randSlice(r, d, 0.5, 1.5), randSlice(r, d, -1, 1)
	_, rs := refRMSNorm(x, w, 1e-3)
	gx, gw := refRMSNormBackward(x, w, rs, g, zeros, make([]float64, d))
	closeTo(t, "RMSNorm gx", gx, numGrad(x, g, func(x []float64) []float64 { y, _ := refRMSNorm(x, w, 1e-3); return y }), fdTol)
	closeTo(t, "RMSNorm gw", gw, numGrad(w, g, func(w []float64) []float64 { y, _ := refRMSNorm(x, w, 1e-3); return y }), fdTol)

	for _, ww := range [][]float64{w, nil} {
		_, mean, rstd := refLayerNorm(x, ww, b, d, 1e-3)
		gx, gw, gb := refLayerNormBackward(x, ww, mean, rstd, g, zeros, make([]float64, d), make([]float64, d), d)
		fx := func(x []float64) []float64 { y, _, _ := refLayerNorm(x, ww, b, d, 1e-3); return y }
		closeTo(t, "LayerNorm gx", gx, numGrad(x, g, fx), fdTol)
		closeTo(t, "LayerNorm gb", gb, numGrad(b, g, func(b []float64) []float64 { y, _, _ := refLayerNorm(x, ww, b, d, 1e-3); return y }), fdTol)
		if ww != nil {
			closeTo(t, "LayerNorm gw", gw, numGrad(w, g, func(w []float64) []float64 { y, _, _ := refLayerNorm(x, w, b, d, 1e-3); return y }), fdTol)
		}
	}

	xs, gs := randSlice(r, 4*6, -3, 3), randSlice(r, 4*3, -1, 1)
	closeTo(t, "SwiGLU gx", refSwiGLUBackward(xs, gs, make([]float64, len(xs)), 3),
		numGrad(xs, gs, func(x []float64) []float64 { return refSwiGLU(x, 3) }), fdTol)

	// The inverse rotation is the gradient of the rotation.
	xr, gr := randSlice(r, 2*2*3*6, -1, 1), randSlice(r, 2*2*3*6, -1, 1)
	pos := []int32{4, 0, 9, 2, 2, 7}
	closeTo(t, "RoPE adjoint", refRoPE(gr, 2, 2, 3, 6, pos, 100, true, nil),
		numGrad(xr, gr, func(x []float64) []float64 { return refRoPE(x, 2, 2, 3, 6, pos, 100, false, nil) }), fdTol)

	// Col2Im is the gradient of Im2Col.
	geom := convGeom{b: 2, c: 2, h: 5, w: 4, kh: 3, kw: 2, stride: 2, pad: 1}
	xi := randSlice(r, 2*2*5*4, -1, 1)
	gc := randSlice(r, len(refIm2Col(xi, geom)), -1, 1)
	closeTo(t, "Col2Im", refCol2Im(gc, geom, make([]float64, len(xi))),
		numGrad(xi, gc, func(x []float64) []float64 { return refIm2Col(x, geom) }), fdTol)
}

// TestReferenceAttentionGradients checks the analytic attention gradients
// under a mask with padding, explicit positions and a query that sees
// nothing.
func TestReferenceAttentionGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	dm := attnDims{2, 2, 5, 6, 3}
	mask := &core.Mask{Kind: core.MaskXPrompt,
		QSeg: []int32{td, td, td, td, pad, td, td, td, td, td},
		KSeg: []int32{bos, ie, ie, xp, td, td, pad, bos, ie, xp, td, td},
		QPos: []int32{1, 2, 3, 4, 0, 0, 3, 4, 5, 6},
		KPos: []int32{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}}
	q, k, v := randSlice(r, 2*2*5*3, -2, 2), randSlice(r, 2*2*6*3, -2, 2), randSlice(r, 2*2*6*3, -1, 1)
	g := randSlice(r, len(q), -1, 1)
	const scale = 0.7
	_, lse, p := refAttention(q, k, v, dm, mask, scale)
	if !math.IsInf(lse[4], -1) || !math.IsInf(lse[9], -1) { // query 4 of batch 0, both heads
		t.Fatalf("padding queries have lse %g, %g; want −Inf", lse[4], lse[9])
	}
	gq, gk, gv := refAttentionBackward(q, k, v, p, g, dm, scale)
	out := func(q, k, v []float64) []float64 { o, _, _ := refAttention(q, k, v, dm, mask, scale); return o }
	closeTo(t, "gq", gq, numGrad(q, g, func(q []float64) []float64 { return out(q, k, v) }), fdTol)
	closeTo(t, "gk", gk, numGrad(k, g, func(k []float64) []float64 { return out(q, k, v) }), fdTol)
	closeTo(t, "gv", gv, numGrad(v, g, func(v []float64) []float64 { return out(q, k, v) }), fdTol)
}

// TestSumRounding checks the rounding allowance of a sum on values worked by
// hand: x of shape [2 2] summed over its rows, so output 0 adds 1 and 2 to
// init 0.5 (partial sums 1.5, 3.5) and output 1 adds −1 and 0 to 0 (−1, −1).
func TestSumRounding(t *testing.T) {
	got := sumRounding([]float64{1, -1, 2, 0}, []int{2, 2}, []int{2}, []float64{0.5, 0})
	want := []float64{4 * unitRoundoff * math.Sqrt(1.5*1.5+3.5*3.5), 4 * unitRoundoff * math.Sqrt(2)}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12*want[i] {
			t.Errorf("sumRounding output %d = %g, want %g", i, got[i], want[i])
		}
	}
}
