package ops

import (
	"fmt"
	"math"

	"xprompt/core"
)

const elemChunk = 1 << 15 // elements per parallel chunk of pointwise work

func (cpuBackend) Unary(op core.UnaryOp, p float32, x, out *core.Tensor) {
	if x.Len() != out.Len() {
		panic(fmt.Sprintf("cpu.Unary: x %v and out %v differ in size", x.Dims(), out.Dims()))
	}
	xs, ys := x.Data, out.Data
	parallelArgs(len(xs), elemChunk, unaryArgs{xs, ys, op, p}, func(a *unaryArgs, lo, hi int) {
		xs, ys, op, p := a.xs, a.ys, a.op, a.p
		unaryRange(op, p, xs[lo:hi], ys[lo:hi])
	})
}

func unaryRange(op core.UnaryOp, p float32, xs, ys []float32) {
	switch op {
	case core.OpNeg:
		for i, v := range xs {
			ys[i] = -v
		}
	case core.OpExp:
		for i, v := range xs {
			ys[i] = float32(math.Exp(float64(v)))
		}
	case core.OpLog:
		for i, v := range xs {
			ys[i] = float32(math.Log(float64(v)))
		}
	case core.OpTanh:
		for i, v := range xs {
			ys[i] = float32(math.Tanh(float64(v)))
		}
	case core.OpSigmoid:
		for i, v := range xs {
			ys[i] = sigmoid(v)
		}
	case core.OpSiLU:
		for i, v := range xs {
			ys[i] = v * sigmoid(v)
		}
	case core.OpGELU:
		for i, v := range xs {
			ys[i] = gelu(v)
		}
	case core.OpReLU:
		for i, v := range xs {
			ys[i] = max(v, 0)
		}
	case core.OpSqrt:
		for i, v := range xs {
			ys[i] = float32(math.Sqrt(float64(v)))
		}
	case core.OpSquare:
		for i, v := range xs {
			ys[i] = v * v
		}
	case core.OpAbs:
		for i, v := range xs {
			ys[i] = float32(math.Abs(float64(v)))
		}
	case core.OpScale:
		for i, v := range xs {
			ys[i] = p * v
		}
	case core.OpAddScalar:
		for i, v := range xs {
			ys[i] = v + p
		}
	case core.OpPow:
		for i, v := range xs {
			ys[i] = float32(math.Pow(float64(v), float64(p)))
		}
	default:
		panic(fmt.Sprintf("cpu.Unary: unknown op %d", op))
	}
}

// sigmoid returns 1/(1+e⁻ᵛ) with the fast float32 exponential.
func sigmoid(v float32) float32 { return 1 / (1 + expf(-v)) }

const geluC = 0.7978845608028654 // √(2/π)

func gelu(v float32) float32 {
	x := float64(v)
	return float32(0.5 * x * (1 + math.Tanh(geluC*(x+0.044715*x*x*x))))
}

func (cpuBackend) UnaryBackward(op core.UnaryOp, p float32, x, y, gy, gx *core.Tensor) {
	if gy.Len() != gx.Len() {
		panic(fmt.Sprintf("cpu.UnaryBackward: gy %v and gx %v differ in size", gy.Dims(), gx.Dims()))
	}
	xs, g, d := x.Data, gy.Data, gx.Data
	var ys []float32
	if y != nil {
		ys = y.Data
	}
	parallelArgs(len(g), elemChunk, unaryBackArgs{xs, g, d, ys, op, p}, func(a *unaryBackArgs, lo, hi int) {
		xs, g, d, ys, op, p := a.xs, a.g, a.d, a.ys, a.op, a.p
		for i := lo; i < hi; i++ {
			d[i] += g[i] * unaryDeriv(op, p, xs[i], ys, i)
		}
	})
}

// unaryDeriv returns f'(x) for element i; ys holds f(x) where available.
func unaryDeriv(op core.UnaryOp, p, x float32, ys []float32, i int) float32 {
	switch op {
	case core.OpNeg:
		return -1
	case core.OpExp:
		return ys[i]
	case core.OpLog:
		return 1 / x
	case core.OpTanh:
		return 1 - ys[i]*ys[i]
	case core.OpSigmoid:
		return ys[i] * (1 - ys[i])
	case core.OpSiLU:
		s := sigmoid(x)
		return s * (1 + x*(1-s))
	case core.OpGELU:
		v := float64(x)
		t := math.Tanh(geluC * (v + 0.044715*v*v*v))
		return float32(0.5*(1+t) + 0.5*v*(1-t*t)*geluC*(1+3*0.044715*v*v))
	case core.OpReLU:
		if x > 0 {
			return 1
		}
		return 0
	case core.OpSqrt:
		return 0.5 / ys[i]
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
		return p * float32(math.Pow(float64(x), float64(p-1)))
	}
	panic(fmt.Sprintf("cpu.UnaryBackward: unknown op %d", op))
}

// BroadcastShape returns the NumPy broadcast of two shapes, or an error.
// Inside core.WithArena the result lives in the arena (valid until Reset).
func BroadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := core.Make[int](n) // from the step arena inside one
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// broadcastStrides returns the strides of shape viewed inside the larger
// shape full (0 along broadcast axes).
func broadcastStrides(shape, full []int) []int {
	st := core.Make[int](len(full))
	s := 1
	for i := len(full) - 1; i >= 0; i-- {
		j := len(shape) - len(full) + i
		if j >= 0 && shape[j] != 1 {
			st[i] = s
			s *= shape[j]
		}
	}
	return st
}

func (cpuBackend) Binary(op core.BinaryOp, a, b, out *core.Tensor) {
	shape, err := BroadcastShape(a.Dims(), b.Dims())
	if err != nil || !core.EqualShapes(shape, out.Dims()) {
		panic(fmt.Sprintf("cpu.Binary: a %v, b %v, out %v do not agree", a.Dims(), b.Dims(), out.Dims()))
	}
	as, bs, os := a.Data, b.Data, out.Data
	if len(as) == len(os) && len(bs) == len(os) { // same shape
		parallelArgs(len(os), elemChunk, binarySameArgs{as, bs, os, op}, func(a *binarySameArgs, lo, hi int) {
			as, bs, os, op := a.as, a.bs, a.os, a.op
			binarySame(op, as[lo:hi], bs[lo:hi], os[lo:hi])
		})
		return
	}
	sa, sb := broadcastStrides(a.Dims(), shape), broadcastStrides(b.Dims(), shape)
	r := len(shape)
	if r == 0 {
		os[0] = binary1(op, as[0], bs[0])
		return
	}
	inner := shape[r-1]
	rows := len(os) / max(inner, 1)
	parallelArgs(rows, max(1, elemChunk/max(inner, 1)), binaryRowsArgs{as, bs, os, shape, sa, sb, r, inner, op}, func(a *binaryRowsArgs, lo, hi int) {
		as, bs, os, shape, sa, sb, r, inner, op := a.as, a.bs, a.os, a.shape, a.sa, a.sb, a.r, a.inner, a.op
		for row := lo; row < hi; row++ {
			// Offsets of this row in a and b.
			oa, ob, rem := 0, 0, row
			for ax := r - 2; ax >= 0; ax-- {
				i := rem % shape[ax]
				rem /= shape[ax]
				oa += i * sa[ax]
				ob += i * sb[ax]
			}
			binaryRow(op, as, bs, os[row*inner:(row+1)*inner], oa, ob, sa[r-1], sb[r-1])
		}
	})
}

func binary1(op core.BinaryOp, x, y float32) float32 {
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
	panic(fmt.Sprintf("cpu.Binary: unknown op %d", op))
}

func binarySame(op core.BinaryOp, as, bs, os []float32) {
	bs = bs[:len(as)]
	os = os[:len(as)]
	switch op {
	case core.OpAdd:
		for i := range as {
			os[i] = as[i] + bs[i]
		}
	case core.OpSub:
		for i := range as {
			os[i] = as[i] - bs[i]
		}
	case core.OpMul:
		for i := range as {
			os[i] = as[i] * bs[i]
		}
	case core.OpDiv:
		for i := range as {
			os[i] = as[i] / bs[i]
		}
	default:
		panic(fmt.Sprintf("cpu.Binary: unknown op %d", op))
	}
}

func binaryRow(op core.BinaryOp, as, bs, os []float32, oa, ob, sa, sb int) {
	if sa == 1 && sb == 1 {
		binarySame(op, as[oa:oa+len(os)], bs[ob:ob+len(os)], os)
		return
	}
	for i := range os {
		os[i] = binary1(op, as[oa+i*sa], bs[ob+i*sb])
	}
}

func (cpuBackend) SumTo(x, out *core.Tensor, accumulate bool) {
	full := x.Dims()
	if _, err := BroadcastShape(full, out.Dims()); err != nil || len(out.Dims()) > len(full) {
		panic(fmt.Sprintf("cpu.SumTo: cannot sum shape %v to %v", full, out.Dims()))
	}
	if !accumulate {
		clear(out.Data)
	}
	xs, os := x.Data, out.Data
	if len(os) == 1 {
		var s float64
		for _, v := range xs {
			s += float64(v)
		}
		os[0] += float32(s)
		return
	}
	if len(os) == len(xs) {
		for i, v := range xs {
			os[i] += v
		}
		return
	}
	st := broadcastStrides(out.Dims(), full)
	r := len(full)
	inner := full[r-1]
	rows := len(xs) / max(inner, 1)
	for row := 0; row < rows; row++ {
		oo, rem := 0, row
		for ax := r - 2; ax >= 0; ax-- {
			i := rem % full[ax]
			rem /= full[ax]
			oo += i * st[ax]
		}
		xr := xs[row*inner : (row+1)*inner]
		if st[r-1] == 0 {
			var s float32
			for _, v := range xr {
				s += v
			}
			os[oo] += s
		} else {
			dst := os[oo : oo+inner]
			for i, v := range xr {
				dst[i] += v
			}
		}
	}
}

func (cpuBackend) SumSquares(x *core.Tensor) float64 {
	var s float64
	for _, v := range x.Data {
		s += float64(v) * float64(v)
	}
	return s
}

// binaryRowsArgs are the operands of a parallel loop (see parallelArgs).
type binaryRowsArgs struct {
	as, bs, os    []float32
	shape, sa, sb []int
	r, inner      int
	op            core.BinaryOp
}

// binarySameArgs are the operands of a parallel loop (see parallelArgs).
type binarySameArgs struct {
	as, bs, os []float32
	op         core.BinaryOp
}

// unaryBackArgs are the operands of a parallel loop (see parallelArgs).
type unaryBackArgs struct {
	xs, g, d, ys []float32
	op           core.UnaryOp
	p            float32
}

// unaryArgs are the operands of a parallel loop (see parallelArgs).
type unaryArgs struct {
	xs, ys []float32
	op     core.UnaryOp
	p      float32
}
