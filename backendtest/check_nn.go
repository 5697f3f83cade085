package backendtest

import "fmt"

// The cases of the row-wise network kernels. Rows are the last axis; shapes
// include a single value, odd widths, several leading axes and wide rows.

// softmaxCases scale and shift the logits: a shift of 80 overflows a float32
// exponential that does not subtract the row maximum first.
var softmaxCases = []struct {
	shape        []int
	scale, shift float64
}{
	{[]int{1, 1}, 1, 0},
	{[]int{3, 17}, 1, 0},
	{[]int{2, 3, 129}, 3, 0},
	{[]int{4, 1000}, 10, 80},
	{[]int{7}, 20, -50},
}

func logits(c *checker, n int, scale, shift float64) []float32 {
	x := c.uniform(n, -1, 1)
	for i, v := range x {
		x[i] = float32(float64(v)*scale + shift)
	}
	return x
}

func checkSoftmax(c *checker) {
	for _, tc := range softmaxCases {
		for _, log := range []bool{false, true} {
			c.run(fmt.Sprintf("%v ×%g%+g log=%v", tc.shape, tc.scale, tc.shift, log), func() {
				d := tc.shape[len(tc.shape)-1]
				x := logits(c, size(tc.shape), tc.scale, tc.shift)
				y := c.dev(c.uniform(len(x), -1, 1), tc.shape...)
				c.be.Softmax(c.dev(x, tc.shape...), y, log)
				output := "y"
				if log {
					output = "logy"
				}
				c.near(output, tc.shape, c.host(y), refSoftmax(f64(x), d, log))
			})
		}
	}
}

// checkSoftmaxBackward passes y of the reference forward, rounded, and
// checks gx = gx₀ + ∂/∂x of Σ gy·y.
func checkSoftmaxBackward(c *checker) {
	for _, tc := range softmaxCases {
		for _, log := range []bool{false, true} {
			c.run(fmt.Sprintf("%v ×%g%+g log=%v", tc.shape, tc.scale, tc.shift, log), func() {
				n, d := size(tc.shape), tc.shape[len(tc.shape)-1]
				x := f64(logits(c, n, tc.scale, tc.shift))
				g, gx0 := c.uniform(n, -1, 1), c.uniform(n, -1, 1)
				p := refSoftmax(x, d, false)
				y := refSoftmax(x, d, log)
				gx := c.dev(gx0, tc.shape...)
				c.be.SoftmaxBackward(c.dev(f32(y), tc.shape...), c.dev(g, tc.shape...), gx, log)
				c.near("gx", tc.shape, c.host(gx), refSoftmaxBackward(p, f64(g), f64(gx0), d, log))
			})
		}
	}
}

// crossEntropyCases: ignored rows get the target ignore (which may be a valid
// class, and then random targets may hit it too); zeroWeights rows get
// weight 0.
var crossEntropyCases = []struct {
	name              string
	shape             []int // logits; the last axis is the vocabulary
	scale             float64
	ignore            int32
	ignored           int
	weights           bool
	zeroWeights       int
	noDlogits         bool
	allIgnoredTargets bool
}{
	{name: "1×1", shape: []int{1, 1}, scale: 1, ignore: -1},
	{name: "7×11", shape: []int{7, 11}, scale: 2, ignore: -1},
	{name: "13×50 weights, 3 ignored, 2 zero weights", shape: []int{13, 50}, scale: 3, ignore: -100, ignored: 3, weights: true, zeroWeights: 2},
	{name: "2×3×17 ignore is class 2", shape: []int{2, 3, 17}, scale: 2, ignore: 2, ignored: 2},
	{name: "4×3000 wide", shape: []int{4, 3000}, scale: 8, ignore: -100, weights: true},
	{name: "9×20 no dlogits", shape: []int{9, 20}, scale: 2, ignore: -100, ignored: 1, weights: true, noDlogits: true},
	{name: "5×8 all ignored", shape: []int{5, 8}, scale: 1, ignore: -100, allIgnoredTargets: true},
	{name: "64×257", shape: []int{64, 257}, scale: 4, ignore: -100, ignored: 5},
}

// checkCrossEntropy checks the loss, the weight and dlogits, which must be
// overwritten (zero on ignored rows).
func checkCrossEntropy(c *checker) {
	for _, tc := range crossEntropyCases {
		c.run(tc.name, func() {
			v := tc.shape[len(tc.shape)-1]
			n := size(tc.shape) / v
			x := logits(c, n*v, tc.scale, 0)
			targets := c.ints(n, v)
			for _, r := range c.rng.Perm(n)[:tc.ignored] {
				targets[r] = tc.ignore
			}
			if tc.allIgnoredTargets {
				for r := range targets {
					targets[r] = tc.ignore
				}
			}
			var weights []float32
			if tc.weights {
				weights = c.uniform(n, 0, 2)
				for _, r := range c.rng.Perm(n)[:tc.zeroWeights] {
					weights[r] = 0
				}
			}
			dlogits := c.dev(c.uniform(n*v, -1, 1), tc.shape...) // overwritten
			if tc.noDlogits {
				dlogits = nil
			}
			loss, weight := c.be.CrossEntropy(c.dev(x, tc.shape...), targets, weights, tc.ignore, dlogits)
			var w64 []float64
			if weights != nil {
				w64 = f64(weights)
			}
			wantLoss, wantWeight, wantD := refCrossEntropy(f64(x), v, targets, w64, tc.ignore)
			c.nearScalar("loss", loss, wantLoss)
			c.nearScalar("weight", weight, wantWeight)
			if dlogits != nil {
				c.near("dlogits", tc.shape, c.host(dlogits), wantD)
			}
		})
	}
}

// normCases: tiny rows make eps matter; offset rows test the variance of
// LayerNorm away from zero mean.
var normCases = []struct {
	shape         []int
	scale, offset float64
	eps           float32
}{
	{[]int{1, 1}, 1, 0, 1e-5},
	{[]int{3, 17}, 1, 0, 1e-5},
	{[]int{2, 5, 64}, 2, 0, 1e-6},
	{[]int{4, 769}, 1, 3, 1e-5},
	{[]int{6, 24}, 1e-3, 0, 1e-6},
	{[]int{64, 32}, 1, 0.5, 1e-5},
}

// shifted returns values of the given shape, uniform in offset ± scale.
func (c *checker) shifted(shape []int, scale, offset float64) []float32 {
	x := c.uniform(size(shape), -1, 1)
	for i, v := range x {
		x[i] = float32(float64(v)*scale + offset)
	}
	return x
}

func checkRMSNorm(c *checker) {
	for _, tc := range normCases {
		c.run(fmt.Sprintf("%v ×%g%+g eps=%g", tc.shape, tc.scale, tc.offset, tc.eps), func() {
			d := tc.shape[len(tc.shape)-1]
			x, w := c.shifted(tc.shape, tc.scale, tc.offset), c.uniform(d, 0.5, 1.5)
			y := c.dev(c.uniform(len(x), -1, 1), tc.shape...)
			rstd := c.dev(c.uniform(len(x)/d, -1, 1), len(x)/d)
			c.be.RMSNorm(c.dev(x, tc.shape...), c.dev(w, d), y, rstd, tc.eps)
			wantY, wantR := refRMSNorm(f64(x), f64(w), float64(tc.eps))
			c.near("y", tc.shape, c.host(y), wantY)
			c.near("rstd", []int{len(x) / d}, c.host(rstd), wantR)
		})
	}
}

// checkRMSNormBackward passes rstd of the reference forward, rounded; every
// other case leaves gw nil.
func checkRMSNormBackward(c *checker) {
	for i, tc := range normCases {
		withGW := i%2 == 0
		c.run(fmt.Sprintf("%v ×%g%+g eps=%g gw=%v", tc.shape, tc.scale, tc.offset, tc.eps, withGW), func() {
			d := tc.shape[len(tc.shape)-1]
			n := size(tc.shape) / d
			x, w := c.shifted(tc.shape, tc.scale, tc.offset), c.uniform(d, 0.5, 1.5)
			g, gx0, gw0 := c.uniform(n*d, -1, 1), c.uniform(n*d, -1, 1), c.uniform(d, -1, 1)
			_, rstd := refRMSNorm(f64(x), f64(w), float64(tc.eps))
			gx := c.dev(gx0, tc.shape...)
			gw := c.dev(gw0, d)
			var gw064 []float64
			if withGW {
				gw064 = f64(gw0)
			} else {
				gw = nil
			}
			c.be.RMSNormBackward(c.dev(x, tc.shape...), c.dev(w, d), c.dev(f32(rstd), n), c.dev(g, tc.shape...), gx, gw)
			wantGX, wantGW := refRMSNormBackward(f64(x), f64(w), rstd, f64(g), f64(gx0), gw064)
			c.nearWithin("gx", tc.shape, c.host(gx), wantGX, rmsNormBackwardRounding(f64(x), f64(w), rstd, f64(g), f64(gx0)))
			if withGW {
				c.near("gw", []int{d}, c.host(gw), wantGW)
			}
		})
	}
}

// layerNormParams cycles through w and b present or nil.
var layerNormParams = []struct{ w, b bool }{{true, true}, {false, false}, {true, false}, {false, true}}

func checkLayerNorm(c *checker) {
	for i, tc := range normCases {
		pp := layerNormParams[i%len(layerNormParams)]
		c.run(fmt.Sprintf("%v ×%g%+g eps=%g w=%v b=%v", tc.shape, tc.scale, tc.offset, tc.eps, pp.w, pp.b), func() {
			d := tc.shape[len(tc.shape)-1]
			n := size(tc.shape) / d
			x := c.shifted(tc.shape, tc.scale, tc.offset)
			w, b := c.uniform(d, 0.5, 1.5), c.uniform(d, -0.5, 0.5)
			wt, bt := c.dev(w, d), c.dev(b, d)
			var w64, b64 []float64
			if pp.w {
				w64 = f64(w)
			} else {
				wt = nil
			}
			if pp.b {
				b64 = f64(b)
			} else {
				bt = nil
			}
			y := c.dev(c.uniform(n*d, -1, 1), tc.shape...)
			mean, rstd := c.dev(c.uniform(n, -1, 1), n), c.dev(c.uniform(n, -1, 1), n)
			c.be.LayerNorm(c.dev(x, tc.shape...), wt, bt, y, mean, rstd, tc.eps)
			wantY, wantM, wantR := refLayerNorm(f64(x), w64, b64, d, float64(tc.eps))
			c.nearWithin("y", tc.shape, c.host(y), wantY, layerNormRounding(f64(x), w64, wantM, wantR, d))
			c.near("mean", []int{n}, c.host(mean), wantM)
			c.near("rstd", []int{n}, c.host(rstd), wantR)
		})
	}
}

// checkLayerNormBackward passes mean and rstd of the reference forward,
// rounded, with w, gw and gb present or nil in turn.
func checkLayerNormBackward(c *checker) {
	for i, tc := range normCases {
		pp := layerNormParams[i%len(layerNormParams)] // w: weight present; b: gw and gb wanted
		c.run(fmt.Sprintf("%v ×%g%+g eps=%g w=%v gw,gb=%v", tc.shape, tc.scale, tc.offset, tc.eps, pp.w, pp.b), func() {
			d := tc.shape[len(tc.shape)-1]
			n := size(tc.shape) / d
			x := c.shifted(tc.shape, tc.scale, tc.offset)
			w := c.uniform(d, 0.5, 1.5)
			g, gx0 := c.uniform(n*d, -1, 1), c.uniform(n*d, -1, 1)
			gw0, gb0 := c.uniform(d, -1, 1), c.uniform(d, -1, 1)
			wt := c.dev(w, d)
			var w64 []float64
			if pp.w {
				w64 = f64(w)
			} else {
				wt = nil
			}
			_, mean, rstd := refLayerNorm(f64(x), w64, nil, d, float64(tc.eps))
			gx, gw, gb := c.dev(gx0, tc.shape...), c.dev(gw0, d), c.dev(gb0, d)
			var gw064, gb064 []float64
			if pp.b {
				gw064, gb064 = f64(gw0), f64(gb0)
			} else {
				gw, gb = nil, nil
			}
			c.be.LayerNormBackward(c.dev(x, tc.shape...), wt, c.dev(f32(mean), n), c.dev(f32(rstd), n),
				c.dev(g, tc.shape...), gx, gw, gb)
			wantGX, wantGW, wantGB := refLayerNormBackward(f64(x), w64, mean, rstd, f64(g), f64(gx0), gw064, gb064, d)
			c.nearWithin("gx", tc.shape, c.host(gx), wantGX, layerNormBackwardRounding(f64(x), w64, mean, rstd, f64(g), f64(gx0), d))
			if pp.b {
				c.near("gw", []int{d}, c.host(gw), wantGW)
				c.near("gb", []int{d}, c.host(gb), wantGB)
			}
		})
	}
}

// swigluShapes are the shapes of x = [a | b]; the last axis is 2h.
var swigluShapes = [][]int{{1, 2}, {3, 34}, {2, 3, 128}, {64, 66}}

func checkSwiGLU(c *checker) {
	for _, shape := range swigluShapes {
		c.run(fmt.Sprint(shape), func() {
			h := shape[len(shape)-1] / 2
			x := c.uniform(size(shape), -4, 4)
			yShape := append(append([]int(nil), shape[:len(shape)-1]...), h)
			y := c.dev(c.uniform(size(yShape), -1, 1), yShape...)
			c.be.SwiGLU(c.dev(x, shape...), y)
			c.near("y", yShape, c.host(y), refSwiGLU(f64(x), h))
		})
	}
}

func checkSwiGLUBackward(c *checker) {
	for _, shape := range swigluShapes {
		c.run(fmt.Sprint(shape), func() {
			h := shape[len(shape)-1] / 2
			x, gx0 := c.uniform(size(shape), -4, 4), c.uniform(size(shape), -1, 1)
			yShape := append(append([]int(nil), shape[:len(shape)-1]...), h)
			g := c.uniform(size(yShape), -1, 1)
			gx := c.dev(gx0, shape...)
			c.be.SwiGLUBackward(c.dev(x, shape...), c.dev(g, yShape...), gx)
			c.near("gx", shape, c.host(gx), refSwiGLUBackward(f64(x), f64(g), f64(gx0), h))
		})
	}
}

// ropeCases: positions (when explicit) are drawn below maxPos, in any order.
var ropeCases = []struct {
	b, h, t, hd         int
	base                float32
	maxPos              int // 0: nil positions (0…T−1)
	inverse, accumulate bool
}{
	{1, 1, 1, 2, 10000, 0, false, false},
	{2, 3, 7, 16, 10000, 0, false, false},
	{2, 3, 7, 16, 10000, 0, true, false},
	{2, 2, 33, 64, 10000, 128, false, true},
	{2, 2, 33, 64, 10000, 128, true, true},
	{1, 4, 5, 8, 500, 100, true, false},
	{2, 1, 9, 2, 10000, 50, false, false},
	{1, 2, 100, 32, 10000, 0, false, true},
}

// checkRoPE checks the rotation and, with inverse, the gradient of the
// rotation (its transpose).
func checkRoPE(c *checker) {
	for _, tc := range ropeCases {
		name := fmt.Sprintf("(%d,%d,%d,%d) base %g maxPos %d inverse=%v accumulate=%v",
			tc.b, tc.h, tc.t, tc.hd, tc.base, tc.maxPos, tc.inverse, tc.accumulate)
		c.run(name, func() {
			shape := []int{tc.b, tc.h, tc.t, tc.hd}
			x, out0 := c.uniform(size(shape), -1, 1), c.uniform(size(shape), -1, 1)
			var positions []int32
			if tc.maxPos > 0 {
				positions = c.ints(tc.b*tc.t, tc.maxPos)
			}
			var init []float64
			if tc.accumulate {
				init = f64(out0)
			}
			out := c.dev(out0, shape...)
			c.be.RoPE(c.dev(x, shape...), out, positions, tc.base, tc.inverse, tc.accumulate)
			want := refRoPE(f64(x), tc.b, tc.h, tc.t, tc.hd, positions, float64(tc.base), tc.inverse, init)
			c.near("out", shape, c.host(out), want)
		})
	}
}
