package backendtest

import (
	"fmt"

	"xprompt/core"
)

// The cases of the linear algebra and elementwise primitives.

type gemmCase struct {
	name             string
	batch, m, n, k   int
	transA, transB   bool
	alpha, beta      float32
	shareA, shareB   bool // batch stride 0: one matrix for every product
	gapA, gapB, gapC int  // extra values between batch elements
}

// gemmCases cover every transpose, alpha and beta, shared and strided batch
// operands, and products large enough for packed and parallel paths.
var gemmCases = []gemmCase{
	{name: "1×1×1", batch: 1, m: 1, n: 1, k: 1, alpha: 1},
	{name: "7×5×3 NN", batch: 1, m: 7, n: 5, k: 3, alpha: 1},
	{name: "33×17×65 TN", batch: 1, m: 33, n: 17, k: 65, transA: true, alpha: 1},
	{name: "16×31×9 NT alpha beta", batch: 1, m: 16, n: 31, k: 9, transB: true, alpha: -0.5, beta: 0.75},
	{name: "batch 3 13×11×19 TT beta 1", batch: 3, m: 13, n: 11, k: 19, transA: true, transB: true, alpha: 1, beta: 1},
	{name: "batch 4 shared B 9×20×12", batch: 4, m: 9, n: 20, k: 12, shareB: true, alpha: 2},
	{name: "batch 3 shared A 5×6×7 NT", batch: 3, m: 5, n: 6, k: 7, transB: true, shareA: true, alpha: 1, beta: 0.5},
	{name: "batch 3 strided with gaps 6×10×4", batch: 3, m: 6, n: 10, k: 4, gapA: 5, gapB: 3, gapC: 7, alpha: 1, beta: -1},
	{name: "70×50×300 NN", batch: 1, m: 70, n: 50, k: 300, alpha: 1},
	{name: "128×129×127 NT parallel", batch: 1, m: 128, n: 129, k: 127, transB: true, alpha: 1},
	{name: "batch 5 64×48×40 TN beta", batch: 5, m: 64, n: 48, k: 40, transA: true, alpha: 0.7, beta: 0.3},
	{name: "K=0 scales C", batch: 2, m: 4, n: 3, k: 0, alpha: 1, beta: 0.5},
}

// checkGemm compares every product of the batch, and checks that C's gaps
// between batch elements are left alone.
func checkGemm(c *checker) {
	for _, tc := range gemmCases {
		c.run(tc.name, func() {
			strideA, strideB := tc.m*tc.k+tc.gapA, tc.k*tc.n+tc.gapB
			strideC := tc.m*tc.n + tc.gapC
			if tc.shareA {
				strideA = 0
			}
			if tc.shareB {
				strideB = 0
			}
			span := func(stride, n int) int { return (tc.batch-1)*stride + n }
			a := c.uniform(span(strideA, tc.m*tc.k), -1, 1)
			b := c.uniform(span(strideB, tc.k*tc.n), -1, 1)
			c0 := c.uniform(span(strideC, tc.m*tc.n), -1, 1)
			spec := core.GemmSpec{Batch: tc.batch, M: tc.m, N: tc.n, K: tc.k, TransA: tc.transA, TransB: tc.transB,
				StrideA: strideA, StrideB: strideB, StrideC: strideC, Alpha: tc.alpha, Beta: tc.beta}
			ct := c.dev(c0, len(c0))
			c.be.Gemm(spec, c.dev(a, len(a)), c.dev(b, len(b)), ct)

			want := f64(c0)
			a64, b64 := f64(a), f64(b)
			for i := 0; i < tc.batch; i++ {
				oc := i * strideC
				r := refGemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, float64(tc.alpha),
					a64[i*strideA:], b64[i*strideB:], float64(tc.beta), want[oc:oc+tc.m*tc.n])
				copy(want[oc:], r)
			}
			shape := []int{len(want)}
			if tc.gapC == 0 {
				shape = []int{tc.batch, tc.m, tc.n}
			}
			c.near("C", shape, c.host(ct), want)
		})
	}
}

type unaryCase struct {
	op       core.UnaryOp
	name     string
	p        float32
	positive bool // the domain is (0, 4] instead of [−4, 4]
}

var unaryCases = []unaryCase{
	{core.OpNeg, "neg", 0, false},
	{core.OpExp, "exp", 0, false},
	{core.OpLog, "log", 0, true},
	{core.OpTanh, "tanh", 0, false},
	{core.OpSigmoid, "sigmoid", 0, false},
	{core.OpSiLU, "silu", 0, false},
	{core.OpGELU, "gelu", 0, false},
	{core.OpReLU, "relu", 0, false},
	{core.OpSqrt, "sqrt", 0, true},
	{core.OpSquare, "square", 0, false},
	{core.OpAbs, "abs", 0, false},
	{core.OpScale, "scale", -1.7, false},
	{core.OpAddScalar, "addscalar", 0.3, false},
	{core.OpPow, "pow", 3, false},
	{core.OpPow, "pow", 2.5, true},
	{core.OpPow, "pow", -0.5, true},
}

// unaryShapes include one size above a CPU parallel chunk (2¹⁵ values).
var unaryShapes = [][]int{{1}, {37}, {3, 5, 129}, {40001}}

func (tc unaryCase) input(c *checker, n int) []float32 {
	if tc.positive {
		return c.uniform(n, 0.05, 4)
	}
	return c.uniform(n, -4, 4)
}

func checkUnary(c *checker) {
	for _, tc := range unaryCases {
		for _, shape := range unaryShapes {
			c.run(fmt.Sprintf("%s p=%g %v", tc.name, tc.p, shape), func() {
				x := tc.input(c, size(shape))
				out := c.dev(c.uniform(len(x), -1, 1), shape...) // overwritten
				c.be.Unary(tc.op, tc.p, c.dev(x, shape...), out)
				want := make([]float64, len(x))
				for i, v := range x {
					want[i] = refUnary(tc.op, float64(tc.p), float64(v))
				}
				c.near("out", shape, c.host(out), want)
			})
		}
	}
}

// checkUnaryBackward gives the kernel y = f(x) rounded from the reference
// and checks gx = gx₀ + f'(x)·gy.
func checkUnaryBackward(c *checker) {
	for _, tc := range unaryCases {
		for _, shape := range unaryShapes {
			c.run(fmt.Sprintf("%s p=%g %v", tc.name, tc.p, shape), func() {
				n := size(shape)
				x, gy, gx0 := tc.input(c, n), c.uniform(n, -1, 1), c.uniform(n, -1, 1)
				y := make([]float32, n)
				want := f64(gx0)
				for i, v := range x {
					y[i] = float32(refUnary(tc.op, float64(tc.p), float64(v)))
					want[i] += float64(gy[i]) * refUnaryDeriv(tc.op, float64(tc.p), float64(v))
				}
				gx := c.dev(gx0, shape...)
				c.be.UnaryBackward(tc.op, tc.p, c.dev(x, shape...), c.dev(y, shape...), c.dev(gy, shape...), gx)
				c.near("gx", shape, c.host(gx), want)
			})
		}
	}
}

var binaryOps = []struct {
	op   core.BinaryOp
	name string
}{{core.OpAdd, "add"}, {core.OpSub, "sub"}, {core.OpMul, "mul"}, {core.OpDiv, "div"}}

// binaryShapes are pairs of shapes that broadcast: equal, trailing vector,
// ones on both sides, a rank-0 scalar, the smaller operand first.
var binaryShapes = [][2][]int{
	{{3, 4, 5}, {3, 4, 5}},
	{{3, 4, 5}, {5}},
	{{3, 1, 5}, {4, 1}},
	{{1}, {2, 3}},
	{{}, {2, 3}},
	{{2, 3, 1}, {1, 1, 7}},
	{{6}, {3, 4, 6}},
	{{2, 1, 3, 1}, {5, 1, 4}},
	{{40001}, {40001}},
	{{300, 130}, {130}},
}

func checkBinary(c *checker) {
	for _, op := range binaryOps {
		for _, sh := range binaryShapes {
			c.run(fmt.Sprintf("%s %v∘%v", op.name, sh[0], sh[1]), func() {
				a := c.uniform(size(sh[0]), -2, 2)
				b := c.uniform(size(sh[1]), -2, 2)
				if op.op == core.OpDiv { // keep the divisor away from zero
					for i, v := range b {
						if v >= 0 {
							b[i] = 0.5 + v
						} else {
							b[i] = v - 0.5
						}
					}
				}
				want, shape := refBinary(op.op, f64(a), sh[0], f64(b), sh[1])
				out := c.dev(c.uniform(len(want), -1, 1), shape...)
				c.be.Binary(op.op, c.dev(a, sh[0]...), c.dev(b, sh[1]...), out)
				c.near("out", shape, c.host(out), want)
			})
		}
	}
}

// sumToCases reduce x to out: trailing axes, leading axes, both, everything
// (a rank-0 and a rank-1 scalar), nothing.
var sumToCases = []struct {
	x, out     []int
	accumulate bool
}{
	{[]int{3, 4, 5}, []int{4, 1}, false},
	{[]int{3, 4, 5}, []int{1, 4, 5}, true},
	{[]int{3, 4, 5}, []int{5}, false},
	{[]int{3, 4, 5}, []int{3, 1, 1}, true},
	{[]int{6, 7}, []int{}, false},
	{[]int{6, 7}, []int{1}, true},
	{[]int{2, 3, 4}, []int{2, 3, 4}, true},
	{[]int{2, 1, 3}, []int{1, 1}, false},
	{[]int{50, 300}, []int{300}, false},
	{[]int{100, 64}, []int{}, true},
	{[]int{4, 9, 33}, []int{4, 1, 33}, false},
}

func checkSumTo(c *checker) {
	for _, tc := range sumToCases {
		c.run(fmt.Sprintf("%v→%v accumulate=%v", tc.x, tc.out, tc.accumulate), func() {
			x := c.uniform(size(tc.x), -1, 1)
			out0 := c.uniform(size(tc.out), -1, 1)
			var init []float64
			if tc.accumulate {
				init = f64(out0)
			}
			out := c.dev(out0, tc.out...)
			c.be.SumTo(c.dev(x, tc.x...), out, tc.accumulate)
			c.nearWithin("out", tc.out, c.host(out), refSumTo(f64(x), tc.x, tc.out, init), sumRounding(f64(x), tc.x, tc.out, init))
		})
	}
}

func checkSumSquares(c *checker) {
	for _, shape := range [][]int{{1}, {37}, {10, 100}, {40001}, {3, 7, 11}} {
		c.run(fmt.Sprint(shape), func() {
			x := c.uniform(size(shape), -1, 1)
			var want float64
			for _, v := range x {
				want += float64(v) * float64(v)
			}
			c.nearScalar("sum", c.be.SumSquares(c.dev(x, shape...)), want)
		})
	}
}
