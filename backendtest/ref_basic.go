package backendtest

import (
	"fmt"
	"math"

	"xprompt/core"
)

// The float64 references of the linear algebra, elementwise and layout
// primitives: plain loops over the definitions in core/backend.go.

// refGemm returns alpha·op(A)·op(B) + beta·C for one product: a holds A
// (M×K, or K×M when transA), b holds B (K×N, or N×K when transB), c holds C
// (M×N).
func refGemm(transA, transB bool, m, n, k int, alpha float64, a, b []float64, beta float64, c []float64) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av, bv := a[i*k+p], b[p*n+j]
				if transA {
					av = a[p*m+i]
				}
				if transB {
					bv = b[j*k+p]
				}
				s += av * bv
			}
			out[i*n+j] = alpha*s + beta*c[i*n+j]
		}
	}
	return out
}

// geluC is √(2/π), the constant of the tanh approximation of GELU.
var geluC = math.Sqrt(2 / math.Pi)

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// refUnary returns f(x; p) of an elementwise function.
func refUnary(op core.UnaryOp, p, x float64) float64 {
	switch op {
	case core.OpNeg:
		return -x
	case core.OpExp:
		return math.Exp(x)
	case core.OpLog:
		return math.Log(x)
	case core.OpTanh:
		return math.Tanh(x)
	case core.OpSigmoid:
		return sigmoid64(x)
	case core.OpSiLU:
		return x * sigmoid64(x)
	case core.OpGELU:
		return 0.5 * x * (1 + math.Tanh(geluC*(x+0.044715*x*x*x)))
	case core.OpReLU:
		return math.Max(x, 0)
	case core.OpSqrt:
		return math.Sqrt(x)
	case core.OpSquare:
		return x * x
	case core.OpAbs:
		return math.Abs(x)
	case core.OpScale:
		return p * x
	case core.OpAddScalar:
		return x + p
	case core.OpPow:
		return math.Pow(x, p)
	}
	panic(fmt.Sprintf("backendtest.refUnary: unknown op %d", op))
}

// refUnaryDeriv returns f'(x; p), the analytic derivative of refUnary
// (0 for ReLU and Abs at 0).
func refUnaryDeriv(op core.UnaryOp, p, x float64) float64 {
	switch op {
	case core.OpNeg:
		return -1
	case core.OpExp:
		return math.Exp(x)
	case core.OpLog:
		return 1 / x
	case core.OpTanh:
		t := math.Tanh(x)
		return 1 - t*t
	case core.OpSigmoid:
		s := sigmoid64(x)
		return s * (1 - s)
	case core.OpSiLU:
		s := sigmoid64(x)
		return s + x*s*(1-s)
	case core.OpGELU:
		u := geluC * (x + 0.044715*x*x*x)
		du := geluC * (1 + 3*0.044715*x*x)
		t := math.Tanh(u)
		return 0.5*(1+t) + 0.5*x*(1-t*t)*du
	case core.OpReLU:
		if x > 0 {
			return 1
		}
		return 0
	case core.OpSqrt:
		return 0.5 / math.Sqrt(x)
	case core.OpSquare:
		return 2 * x
	case core.OpAbs:
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	case core.OpScale:
		return p
	case core.OpAddScalar:
		return 1
	case core.OpPow:
		return p * math.Pow(x, p-1)
	}
	panic(fmt.Sprintf("backendtest.refUnaryDeriv: unknown op %d", op))
}

// refBinary1 returns x ∘ y.
func refBinary1(op core.BinaryOp, x, y float64) float64 {
	switch op {
	case core.OpAdd:
		return x + y
	case core.OpSub:
		return x - y
	case core.OpMul:
		return x * y
	case core.OpDiv:
		return x / y
	}
	panic(fmt.Sprintf("backendtest.refBinary1: unknown op %d", op))
}

// refBroadcastShape returns the NumPy broadcast of two shapes: aligned on
// the right, each axis equal or 1.
func refBroadcastShape(a, b []int) []int {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range out {
		da, db := 1, 1
		if j := i - (n - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			db = b[j]
		}
		if da != db && da != 1 && db != 1 {
			panic(fmt.Sprintf("backendtest.refBroadcastShape: %v and %v do not broadcast", a, b))
		}
		out[i] = max(da, db)
		if da == 0 || db == 0 {
			out[i] = 0
		}
	}
	return out
}

// broadcastIndex returns the flat index in shape of the element that the
// multi-index idx of the (larger, right-aligned) broadcast shape reads.
func broadcastIndex(idx, shape []int) int {
	off := 0
	lead := len(idx) - len(shape)
	for ax, d := range shape {
		i := idx[lead+ax]
		if d == 1 {
			i = 0
		}
		off = off*d + i
	}
	return off
}

// refBinary returns a ∘ b broadcast to the shape of refBroadcastShape.
func refBinary(op core.BinaryOp, a []float64, as []int, b []float64, bs []int) ([]float64, []int) {
	shape := refBroadcastShape(as, bs)
	out := make([]float64, size(shape))
	for i := range out {
		idx := unravel(i, shape)
		out[i] = refBinary1(op, a[broadcastIndex(idx, as)], b[broadcastIndex(idx, bs)])
	}
	return out, shape
}

// refSumTo returns init (or zeros, if init is nil) plus the sum of x
// (shape xs) over the axes where the shape os is 1 or missing on the left.
func refSumTo(x []float64, xs []int, os []int, init []float64) []float64 {
	out := make([]float64, size(os))
	copy(out, init)
	for i, v := range x {
		out[broadcastIndex(unravel(i, xs), os)] += v
	}
	return out
}

// sumRounding returns, per output of refSumTo's reduction, the rounding a
// float32 sum may carry: 4u·√(Σ s²) over the partial sums s of adding init
// and then x in order. Each addition rounds its partial sum by up to u·|s|,
// with random sign on random inputs; these add like a random walk of
// standard deviation u·√(Σ s²/3), and 4u·√(Σ s²) is about seven of them.
// Orders that add in a tree have smaller partial sums and so less rounding.
func sumRounding(x []float64, xs, os []int, init []float64) []float64 {
	partial, squares := make([]float64, size(os)), make([]float64, size(os))
	copy(partial, init)
	for i, v := range x {
		o := broadcastIndex(unravel(i, xs), os)
		partial[o] += v
		squares[o] += partial[o] * partial[o]
	}
	for o := range squares {
		squares[o] = 4 * unitRoundoff * math.Sqrt(squares[o])
	}
	return squares
}

// refPermute returns init (or zeros) plus x (shape xs) with axes reordered:
// out axis i is x axis perm[i].
func refPermute(x []float64, xs []int, perm []int, init []float64) ([]float64, []int) {
	os := make([]int, len(perm))
	for i, p := range perm {
		os[i] = xs[p]
	}
	out := make([]float64, len(x))
	copy(out, init)
	xi := make([]int, len(xs))
	for o := range out {
		idx := unravel(o, os)
		for i, p := range perm {
			xi[p] = idx[i]
		}
		out[o] += x[ravel(xi, xs)]
	}
	return out, os
}

// refCopyAxis returns dst (shape ds) with slices dstOff…dstOff+n−1 along
// axis replaced by (or, with accumulate, increased by) slices srcOff… of src
// (shape ss).
func refCopyAxis(src []float64, ss []int, dst []float64, ds []int, axis, srcOff, dstOff, n int, accumulate bool) []float64 {
	out := append([]float64(nil), dst...)
	for o := range out {
		idx := unravel(o, ds)
		if idx[axis] < dstOff || idx[axis] >= dstOff+n {
			continue
		}
		idx[axis] += srcOff - dstOff
		v := src[ravel(idx, ss)]
		if accumulate {
			out[o] += v
		} else {
			out[o] = v
		}
	}
	return out
}

// refGatherRows returns the rows table[ids[i]] (rows of width d), concatenated.
func refGatherRows(table []float64, d int, ids []int32) []float64 {
	out := make([]float64, 0, len(ids)*d)
	for _, id := range ids {
		out = append(out, table[int(id)*d:int(id+1)*d]...)
	}
	return out
}

// refScatterAddRows returns table with g[i] added to row ids[i].
func refScatterAddRows(g []float64, d int, ids []int32, table []float64) []float64 {
	out := append([]float64(nil), table...)
	for i, id := range ids {
		for j := 0; j < d; j++ {
			out[int(id)*d+j] += g[i*d+j]
		}
	}
	return out
}
