package ops

import (
	"fmt"

	"xprompt/core"
)

func backendOf(ts ...*core.Tensor) core.Backend {
	d := ts[0].Device()
	for _, t := range ts[1:] {
		if t != nil && t.Device() != d {
			panic(fmt.Sprintf("ops: tensors on different devices (%s and %s)", d, t.Device()))
		}
	}
	return core.BackendOf(ts[0])
}

func unary(name string, op core.UnaryOp, p float32, x *core.Tensor, keepOut bool) *core.Tensor {
	be := backendOf(x)
	out := core.ZerosOn(x.Device(), x.Dims()...)
	be.Unary(op, p, x, out)
	var y *core.Tensor
	if keepOut {
		y = out.Detach()
	}
	return recordArgs(out, name, unaryRule{be, x, y, op, p}, func(r *unaryRule, g *core.Tensor) {
		be, x, y, op, p := r.be, r.x, r.y, r.op, r.p
		be.UnaryBackward(op, p, x, y, g, x.EnsureGrad())
	}, x)
}

// Neg returns −x.
func Neg(x *core.Tensor) *core.Tensor { return unary("neg", core.OpNeg, 0, x, false) }

// Exp returns eˣ elementwise.
func Exp(x *core.Tensor) *core.Tensor { return unary("exp", core.OpExp, 0, x, true) }

// Log returns the natural logarithm elementwise.
func Log(x *core.Tensor) *core.Tensor { return unary("log", core.OpLog, 0, x, false) }

// Tanh returns tanh(x) elementwise.
func Tanh(x *core.Tensor) *core.Tensor { return unary("tanh", core.OpTanh, 0, x, true) }

// Sigmoid returns 1/(1+e⁻ˣ) elementwise.
func Sigmoid(x *core.Tensor) *core.Tensor { return unary("sigmoid", core.OpSigmoid, 0, x, true) }

// SiLU returns x·sigmoid(x) elementwise.
func SiLU(x *core.Tensor) *core.Tensor { return unary("silu", core.OpSiLU, 0, x, false) }

// GELU returns the tanh approximation of x·Φ(x) elementwise.
func GELU(x *core.Tensor) *core.Tensor { return unary("gelu", core.OpGELU, 0, x, false) }

// ReLU returns max(x, 0) elementwise.
func ReLU(x *core.Tensor) *core.Tensor { return unary("relu", core.OpReLU, 0, x, false) }

// Sqrt returns √x elementwise.
func Sqrt(x *core.Tensor) *core.Tensor { return unary("sqrt", core.OpSqrt, 0, x, true) }

// Square returns x² elementwise.
func Square(x *core.Tensor) *core.Tensor { return unary("square", core.OpSquare, 0, x, false) }

// Abs returns |x| elementwise.
func Abs(x *core.Tensor) *core.Tensor { return unary("abs", core.OpAbs, 0, x, false) }

// Scale returns s·x.
func Scale(x *core.Tensor, s float32) *core.Tensor { return unary("scale", core.OpScale, s, x, false) }

// AddScalar returns x + s.
func AddScalar(x *core.Tensor, s float32) *core.Tensor {
	return unary("add_scalar", core.OpAddScalar, s, x, false)
}

// Pow returns xᵖ elementwise.
func Pow(x *core.Tensor, p float32) *core.Tensor { return unary("pow", core.OpPow, p, x, false) }

func binary(name string, op core.BinaryOp, a, b *core.Tensor) *core.Tensor {
	be := backendOf(a, b)
	shape, err := BroadcastShape(a.Dims(), b.Dims())
	if err != nil {
		panic(fmt.Sprintf("ops.%s: shapes %v and %v do not broadcast", name, a.Dims(), b.Dims()))
	}
	out := core.ZerosOn(a.Device(), shape...)
	be.Binary(op, a, b, out)
	return recordArgs(out, name, binaryRule{be, a, b, out, op, shape}, func(r *binaryRule, g *core.Tensor) {
		be, a, b, out, op, shape := r.be, r.a, r.b, r.out, r.op, r.shape
		// reduce sums a full-shape gradient into t's gradient.
		reduce := func(t, full *core.Tensor) { be.SumTo(full, t.EnsureGrad(), true) }
		tmp := func(x, y *core.Tensor, op core.BinaryOp) *core.Tensor {
			r := core.ZerosOn(a.Device(), shape...)
			be.Binary(op, x, y, r)
			return r
		}
		switch op {
		case core.OpAdd, core.OpSub:
			if a.RequiresGrad() {
				if a.Grad() == nil && core.SameShape(a, g) {
					a.AdoptGrad(g) // g is out's gradient, done with after this rule: share it
				} else {
					reduce(a, g)
				}
			}
			if b.RequiresGrad() {
				if op == core.OpSub {
					ng := core.ZerosOn(a.Device(), shape...)
					be.Unary(core.OpNeg, 0, g, ng)
					reduce(b, ng)
				} else {
					reduce(b, g)
				}
			}
		case core.OpMul:
			if a.RequiresGrad() {
				reduce(a, tmp(g, b, core.OpMul))
			}
			if b.RequiresGrad() {
				reduce(b, tmp(g, a, core.OpMul))
			}
		case core.OpDiv: // d(a/b)/da = 1/b, d(a/b)/db = −out/b
			gb := tmp(g, b, core.OpDiv)
			if a.RequiresGrad() {
				reduce(a, gb)
			}
			if b.RequiresGrad() {
				r := tmp(gb, out.Detach(), core.OpMul)
				be.Unary(core.OpNeg, 0, r, r)
				reduce(b, r)
			}
		}
	}, a, b)
}

// Add returns a + b with broadcasting.
func Add(a, b *core.Tensor) *core.Tensor { return binary("add", core.OpAdd, a, b) }

// Sub returns a − b with broadcasting.
func Sub(a, b *core.Tensor) *core.Tensor { return binary("sub", core.OpSub, a, b) }

// Mul returns a·b elementwise with broadcasting.
func Mul(a, b *core.Tensor) *core.Tensor { return binary("mul", core.OpMul, a, b) }

// Div returns a/b elementwise with broadcasting.
func Div(a, b *core.Tensor) *core.Tensor { return binary("div", core.OpDiv, a, b) }

// scalarOn returns a 0-dimensional tensor holding v on device d.
func scalarOn(d core.Device, v float32) *core.Tensor { return onDevice(core.Scalar(v), d) }

// onDevice returns the host tensor t on device d (t itself on the CPU).
func onDevice(t *core.Tensor, d core.Device) *core.Tensor {
	m, err := core.To(t, d)
	if err != nil {
		panic("ops: " + err.Error())
	}
	return m
}

// batchSlice returns batch element i of t as a (rows, cols) matrix: a view
// of the host storage on the CPU, a copy on a device.
func batchSlice(be core.Backend, t *core.Tensor, i, rows, cols int) *core.Tensor {
	if t.Storage() == nil {
		return core.New(t.Data[i*rows*cols:(i+1)*rows*cols], rows, cols)
	}
	out := core.ZerosOn(t.Device(), 1, rows*cols)
	be.CopyAxis(t.View(t.Len()/(rows*cols), rows*cols), out, 0, i, 0, 1, false)
	return out.View(rows, cols)
}

// binaryRule is what a backward rule needs (see recordArgs).
type binaryRule struct {
	be        core.Backend
	a, b, out *core.Tensor
	op        core.BinaryOp
	shape     []int
}

// unaryRule is what a backward rule needs (see recordArgs).
type unaryRule struct {
	be   core.Backend
	x, y *core.Tensor
	op   core.UnaryOp
	p    float32
}
