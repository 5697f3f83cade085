package backendtest

import (
	"fmt"

	"xprompt/core"
)

// The cases of the convolution transforms, the codebook search and AdamW.

// convCases cover stride 1 and 2 and 3, padding 0 to 2, a 1×1 kernel, a
// kernel wider than the image, odd and non-square images, and batch > 1.
var convCases = []convGeom{
	{b: 1, c: 1, h: 5, w: 5, kh: 3, kw: 3, stride: 1, pad: 1},
	{b: 2, c: 3, h: 7, w: 6, kh: 3, kw: 3, stride: 2, pad: 1},
	{b: 2, c: 2, h: 8, w: 8, kh: 4, kw: 4, stride: 2, pad: 1},
	{b: 1, c: 3, h: 5, w: 7, kh: 1, kw: 1, stride: 1, pad: 0},
	{b: 1, c: 2, h: 6, w: 5, kh: 2, kw: 2, stride: 3, pad: 2},
	{b: 2, c: 4, h: 9, w: 9, kh: 3, kw: 3, stride: 1, pad: 0},
	{b: 1, c: 1, h: 4, w: 4, kh: 5, kw: 5, stride: 1, pad: 2},
	{b: 1, c: 2, h: 16, w: 13, kh: 3, kw: 2, stride: 1, pad: 1},
}

func (g convGeom) String() string {
	return fmt.Sprintf("x (%d,%d,%d,%d) kernel %d×%d stride %d pad %d", g.b, g.c, g.h, g.w, g.kh, g.kw, g.stride, g.pad)
}

func (g convGeom) shapes() (x, cols []int) {
	oh, ow := g.out()
	return []int{g.b, g.c, g.h, g.w}, []int{g.b, g.c * g.kh * g.kw, oh * ow}
}

// checkIm2Col checks every column, including the zeros of the padding
// (cols starts with other values).
func checkIm2Col(c *checker) {
	for _, g := range convCases {
		c.run(g.String(), func() {
			xs, cs := g.shapes()
			x := c.uniform(size(xs), -1, 1)
			cols := c.dev(c.uniform(size(cs), -1, 1), cs...)
			c.be.Im2Col(c.dev(x, xs...), cols, g.kh, g.kw, g.stride, g.pad)
			c.near("cols", cs, c.host(cols), refIm2Col(f64(x), g))
		})
	}
}

// checkCol2Im checks gx = gx₀ + the gradient of Im2Col for a random column
// gradient.
func checkCol2Im(c *checker) {
	for _, g := range convCases {
		c.run(g.String(), func() {
			xs, cs := g.shapes()
			cols, gx0 := c.uniform(size(cs), -1, 1), c.uniform(size(xs), -1, 1)
			gx := c.dev(gx0, xs...)
			c.be.Col2Im(c.dev(cols, cs...), gx, g.kh, g.kw, g.stride, g.pad)
			c.near("gx", xs, c.host(gx), refCol2Im(f64(cols), g, f64(gx0)))
		})
	}
}

// nearestCases: half the rows of x are a code plus small noise (a clear
// nearest code), half are random; x may have several leading axes.
var nearestCases = []struct {
	x []int // (…, D)
	k int
}{
	{[]int{1, 1}, 1},
	{[]int{10, 3}, 7},
	{[]int{64, 16}, 512},
	{[]int{2, 5, 8}, 33},
	{[]int{300, 64}, 256},
}

// checkNearestCodes accepts any code whose float64 distance is within
// tolerance of the nearest one (near ties may go either way in float32) and
// checks dist against the float64 distance of the chosen code.
func checkNearestCodes(c *checker) {
	for _, tc := range nearestCases {
		c.run(fmt.Sprintf("x %v, %d codes", tc.x, tc.k), func() {
			d := tc.x[len(tc.x)-1]
			n := size(tc.x) / d
			book := c.uniform(tc.k*d, -1, 1)
			x := c.uniform(n*d, -1, 1)
			for i := 0; i < n/2; i++ {
				code := c.rng.IntN(tc.k)
				for j := 0; j < d; j++ {
					x[i*d+j] = book[code*d+j] + 0.01*float32(c.rng.NormFloat64())
				}
			}
			ids, dist := make([]int32, n), make([]float32, n)
			for i := range ids {
				ids[i], dist[i] = -7, -7
			}
			c.be.NearestCodes(c.dev(x, tc.x...), c.dev(book, tc.k, d), ids, dist)
			all := refSquaredDistances(f64(x), f64(book), d)
			chosen := make([]float64, n)
			bad := 0
			for i, id := range ids {
				row := all[i*tc.k : (i+1)*tc.k]
				best := 0
				for j, v := range row {
					if v < row[best] {
						best = j
					}
				}
				if id < 0 || int(id) >= tc.k {
					c.failf("ids[%d] = %d, want a code in [0,%d) (nearest is %d)", i, id, tc.k, best)
					return
				}
				chosen[i] = row[id]
				if ok, _ := tolFor(c.prim, "choice").accepts(row[id], row[best]); !ok {
					if bad < maxReports {
						c.failf("ids[%d] = %d at squared distance %.9g, but code %d is nearer at %.9g",
							i, id, row[id], best, row[best])
					}
					bad++
				}
			}
			if bad > maxReports {
				c.failf("ids: %d of %d rows do not choose a nearest code", bad, n)
			}
			c.near("dist", []int{n}, dist, chosen)
		})
	}
}

// adamWCases: the moments v start non-negative; β₁ = 0 turns momentum off.
var adamWCases = []struct {
	shape []int
	cfg   core.AdamWConfig
}{
	{[]int{37}, core.AdamWConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Step: 1}},
	{[]int{3, 129}, core.AdamWConfig{LR: 3e-4, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0, Step: 7}},
	{[]int{40001}, core.AdamWConfig{LR: 0.05, Beta1: 0.8, Beta2: 0.95, Eps: 1e-6, WeightDecay: 0.01, Step: 1000}},
	{[]int{5}, core.AdamWConfig{LR: 1e-2, Beta1: 0, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.5, Step: 2}},
}

func checkAdamW(c *checker) {
	for _, tc := range adamWCases {
		cf := tc.cfg
		c.run(fmt.Sprintf("%v lr %g β (%g, %g) eps %g wd %g step %d", tc.shape, cf.LR, cf.Beta1, cf.Beta2, cf.Eps, cf.WeightDecay, cf.Step), func() {
			n := size(tc.shape)
			p, g, m, v := c.normal(n, 1), c.normal(n, 0.1), c.normal(n, 0.01), c.uniform(n, 0, 0.01)
			pt, mt, vt := c.dev(p, tc.shape...), c.dev(m, tc.shape...), c.dev(v, tc.shape...)
			c.be.AdamW(pt, c.dev(g, tc.shape...), mt, vt, cf)
			ref := adamW{lr: float64(cf.LR), beta1: float64(cf.Beta1), beta2: float64(cf.Beta2),
				eps: float64(cf.Eps), wd: float64(cf.WeightDecay), step: cf.Step}
			wantP, wantM, wantV := refAdamW(f64(p), f64(g), f64(m), f64(v), ref)
			c.near("p", tc.shape, c.host(pt), wantP)
			c.near("m", tc.shape, c.host(mt), wantM)
			c.near("v", tc.shape, c.host(vt), wantV)
		})
	}
}
