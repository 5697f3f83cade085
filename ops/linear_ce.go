package ops

import (
	"fmt"

	"xprompt/core"
)

// crossEntropyChunk is the number of rows whose logits LinearCrossEntropy
// holds at once: 256 rows of a 1040-entry vocabulary are 1 MiB.
const crossEntropyChunk = 256

// LinearCrossEntropy returns CrossEntropy(Linear(x, w), targets, weights) for
// x (N, D) and w (V, D) without storing the N×V logits. Rows go through in
// chunks of crossEntropyChunk: a chunk's logits are computed, turned in place
// into their gradient wᵢ·(softmax − onehot) by the backend's CrossEntropy, and
// multiplied back at once into dx = dlogits·w and dw += dlogitsᵀ·x (each
// scaled by 1/Σwᵢ). The loss is a scalar, so the backward rule only scales
// these by the incoming gradient. Other backends than the CPU compose
// Linear and CrossEntropy.
func LinearCrossEntropy(x, w *core.Tensor, targets []int32, weights []float32) *core.Tensor {
	if x.Rank() != 2 || w.Rank() != 2 || x.Dim(1) != w.Dim(1) {
		panic(fmt.Sprintf("ops.LinearCrossEntropy: x %v with weight %v (want x (N, D), weight (V, D))", x.Dims(), w.Dims()))
	}
	n, d, v := x.Dim(0), x.Dim(1), w.Dim(0)
	if len(targets) != n || (weights != nil && len(weights) != n) {
		panic(fmt.Sprintf("ops.LinearCrossEntropy: x %v with %d targets and %d weights", x.Dims(), len(targets), len(weights)))
	}
	var total float64 // Σ wᵢ over counted rows, known before the first chunk
	for i, t := range targets {
		if t == IgnoreIndex {
			continue
		}
		if weights == nil {
			total++
		} else {
			total += float64(weights[i])
		}
	}
	if total == 0 {
		total = 1
	}
	be := backendOf(x, w)
	if be.Device() != core.CPU { // chunks are slices of host storage
		return CrossEntropy(Linear(x, w), targets, weights)
	}
	grad := core.GradEnabled() && (x.RequiresGrad() || w.RequiresGrad())
	var dx, dw *core.Tensor
	if grad {
		dx = core.Empty(n, d)
		dw = core.Zeros(v, d)
	}
	c := min(n, crossEntropyChunk)
	buf := core.Empty(c * v)
	alpha := float32(1 / total)
	var loss float64
	for lo := 0; lo < n; lo += c {
		rows := min(c, n-lo)
		xc := core.New(x.Data[lo*d:(lo+rows)*d], rows, d)
		logits := core.New(buf.Data[:rows*v], rows, v)
		be.Gemm(core.GemmSpec{Batch: 1, M: rows, N: v, K: d, TransB: true, Alpha: 1}, xc, w, logits)
		var wc []float32
		if weights != nil {
			wc = weights[lo : lo+rows]
		}
		var dl *core.Tensor
		if grad {
			dl = logits // overwritten in place by the gradient
		}
		l, _ := be.CrossEntropy(logits, targets[lo:lo+rows], wc, IgnoreIndex, dl)
		loss += l
		if grad {
			be.Gemm(core.GemmSpec{Batch: 1, M: rows, N: d, K: v, Alpha: alpha},
				dl, w, core.New(dx.Data[lo*d:(lo+rows)*d], rows, d))
			be.Gemm(core.GemmSpec{Batch: 1, M: v, N: d, K: rows, TransA: true, Alpha: alpha, Beta: 1}, dl, xc, dw)
		}
	}
	out := core.Scalar(float32(loss / total))
	return recordArgs(out, "linear_cross_entropy", linearCERule{be, x, w, dx, dw}, func(r *linearCERule, g *core.Tensor) {
		be, x, w, dx, dw := r.be, r.x, r.w, r.dx, r.dw
		s := g.Data[0]
		for _, p := range [2]struct{ t, d *core.Tensor }{{x, dx}, {w, dw}} {
			if !p.t.RequiresGrad() {
				continue
			}
			if s != 1 {
				be.Unary(core.OpScale, s, p.d, p.d)
			}
			p.t.AdoptGrad(p.d)
		}
	}, x, w)
}

// linearCERule is what a backward rule needs (see recordArgs).
type linearCERule struct {
	be           core.Backend
	x, w, dx, dw *core.Tensor
}
