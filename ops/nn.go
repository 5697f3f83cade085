package ops

import (
	"fmt"

	"xprompt/core"
)

// Softmax returns softmax over the last axis.
func Softmax(x *core.Tensor) *core.Tensor { return softmax(x, false) }

// LogSoftmax returns log-softmax over the last axis.
func LogSoftmax(x *core.Tensor) *core.Tensor { return softmax(x, true) }

func softmax(x *core.Tensor, log bool) *core.Tensor {
	be := backendOf(x)
	out := core.ZerosOn(x.Device(), x.Dims()...)
	be.Softmax(x, out, log)
	y := out.Detach()
	return recordArgs(out, "softmax", softmaxRule{be, x, y, log}, func(r *softmaxRule, g *core.Tensor) {
		be, x, y, log := r.be, r.x, r.y, r.log
		be.SoftmaxBackward(y, g, x.EnsureGrad(), log)
	}, x)
}

// IgnoreIndex is the target value CrossEntropy skips by default.
const IgnoreIndex int32 = -100

// CrossEntropy returns the weighted mean of −log softmax(logits)[target] over
// rows of logits (N, V) (leading axes are flattened): Σ wᵢ·ℓᵢ / Σ wᵢ over rows
// whose target is not IgnoreIndex. weights may be nil (all 1). The gradient is
// computed in the same pass as the loss; the probabilities are never stored
// twice. With no counted rows the loss is 0.
func CrossEntropy(logits *core.Tensor, targets []int32, weights []float32) *core.Tensor {
	n, _ := rows(logits)
	if len(targets) != n || (weights != nil && len(weights) != n) {
		panic(fmt.Sprintf("ops.CrossEntropy: logits %v (%d rows) with %d targets and %d weights", logits.Dims(), n, len(targets), len(weights)))
	}
	be := backendOf(logits)
	var dl *core.Tensor
	if core.GradEnabled() && logits.RequiresGrad() {
		dl = core.ZerosOn(logits.Device(), logits.Dims()...)
	}
	loss, weight := be.CrossEntropy(logits, targets, weights, IgnoreIndex, dl)
	if weight == 0 {
		weight = 1
	}
	out := scalarOn(logits.Device(), float32(loss/weight))
	return recordArgs(out, "cross_entropy", crossEntropyRule{be, logits, dl, weight}, func(r *crossEntropyRule, g *core.Tensor) {
		be, logits, dl, weight := r.be, r.logits, r.dl, r.weight
		s := g.HostData()[0] / float32(weight)
		gx := logits.EnsureGrad()
		be.Binary(core.OpAdd, gx, scaled(be, dl, s), gx)
	}, logits)
}

func scaled(be core.Backend, t *core.Tensor, s float32) *core.Tensor {
	if s == 1 {
		return t
	}
	out := core.ZerosOn(t.Device(), t.Dims()...)
	be.Unary(core.OpScale, s, t, out)
	return out
}

// RMSNorm returns x / √(mean(x²) + eps) · w over the last axis; w has that axis' size.
func RMSNorm(x, w *core.Tensor, eps float32) *core.Tensor {
	n, d := rows(x)
	if w.Len() != d {
		panic(fmt.Sprintf("ops.RMSNorm: weight %v for x %v", w.Dims(), x.Dims()))
	}
	be := backendOf(x, w)
	out := core.EmptyOn(x.Device(), x.Dims()...)
	rstd := core.EmptyOn(x.Device(), n)
	be.RMSNorm(x, w, out, rstd, eps)
	return recordArgs(out, "rms_norm", rmsNormRule{be, x, w, rstd}, func(r *rmsNormRule, g *core.Tensor) {
		be, x, w, rstd := r.be, r.x, r.w, r.rstd
		var gx, gw *core.Tensor
		if x.RequiresGrad() {
			gx = x.EnsureGrad()
		}
		if w.RequiresGrad() {
			gw = w.EnsureGrad()
		}
		be.RMSNormBackward(x, w, rstd, g, gx, gw)
	}, x, w)
}

// LayerNorm returns (x − mean)/√(var + eps) · w + b over the last axis; w and
// b may be nil (no affine transform).
func LayerNorm(x, w, b *core.Tensor, eps float32) *core.Tensor {
	n, d := rows(x)
	if (w != nil && w.Len() != d) || (b != nil && b.Len() != d) {
		panic(fmt.Sprintf("ops.LayerNorm: weight/bias for x %v must have %d values", x.Dims(), d))
	}
	be := backendOf(x)
	out := core.ZerosOn(x.Device(), x.Dims()...)
	mean, rstd := core.ZerosOn(x.Device(), n), core.ZerosOn(x.Device(), n)
	be.LayerNorm(x, w, b, out, mean, rstd, eps)
	inputs := []*core.Tensor{x}
	if w != nil {
		inputs = append(inputs, w)
	}
	if b != nil {
		inputs = append(inputs, b)
	}
	return recordArgs(out, "layer_norm", layerNormRule{be, x, w, b, mean, rstd}, func(r *layerNormRule, g *core.Tensor) {
		be, x, w, b, mean, rstd := r.be, r.x, r.w, r.b, r.mean, r.rstd
		var gx, gw, gb *core.Tensor
		if x.RequiresGrad() {
			gx = x.EnsureGrad()
		}
		if w != nil && w.RequiresGrad() {
			gw = w.EnsureGrad()
		}
		if b != nil && b.RequiresGrad() {
			gb = b.EnsureGrad()
		}
		be.LayerNormBackward(x, w, mean, rstd, g, gx, gw, gb)
	}, inputs...)
}

// RoPE applies rotary position embeddings to x (B, H, T, hd): pairs
// (x[2i], x[2i+1]) rotate by pos·base^(−2i/hd). positions (B·T values) may be
// nil for 0…T−1.
func RoPE(x *core.Tensor, positions []int32, base float32) *core.Tensor {
	be := backendOf(x)
	out := core.ZerosOn(x.Device(), x.Dims()...)
	be.RoPE(x, out, positions, base, false, false)
	return recordArgs(out, "rope", ropeRule{be, x, positions, base}, func(r *ropeRule, g *core.Tensor) {
		be, x, positions, base := r.be, r.x, r.positions, r.base
		be.RoPE(g, x.EnsureGrad(), positions, base, true, true)
	}, x)
}

// SwiGLU returns silu(a)·b where x = [a | b] splits the last axis in halves:
// (…, 2h) → (…, h).
func SwiGLU(x *core.Tensor) *core.Tensor {
	if x.Rank() == 0 || x.Dim(-1)%2 != 0 {
		panic(fmt.Sprintf("ops.SwiGLU: last axis of %v must be even", x.Dims()))
	}
	be := backendOf(x)
	shape := stepInts(x.Dims()...)
	shape[len(shape)-1] /= 2
	out := core.EmptyOn(x.Device(), shape...)
	be.SwiGLU(x, out)
	return recordArgs(out, "swiglu", swigluRule{be, x}, func(r *swigluRule, g *core.Tensor) {
		be, x := r.be, r.x
		if be.Device() == core.CPU && x.Grad() == nil { // write the fresh gradient, no zeroing
			gx, _ := gradTarget(x)
			swigluBackward(x, g, gx, false)
			return
		}
		be.SwiGLUBackward(x, g, x.EnsureGrad())
	}, x)
}

// Dropout zeroes each value with probability p and scales the rest by
// 1/(1−p). It returns x unchanged when p is 0 or rng is nil (evaluation).
func Dropout(x *core.Tensor, p float32, rng *core.RNG) *core.Tensor {
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("ops.Dropout: probability %g outside [0,1)", p))
	}
	if p == 0 || rng == nil {
		return x
	}
	mask := core.Zeros(x.Dims()...)
	keep := 1 / (1 - p)
	for i := range mask.Data {
		if rng.Float32() >= p {
			mask.Data[i] = keep
		}
	}
	return Mul(x, onDevice(mask, x.Device()))
}

// swigluRule is what a backward rule needs (see recordArgs).
type swigluRule struct {
	be core.Backend
	x  *core.Tensor
}

// ropeRule is what a backward rule needs (see recordArgs).
type ropeRule struct {
	be        core.Backend
	x         *core.Tensor
	positions []int32
	base      float32
}

// layerNormRule is what a backward rule needs (see recordArgs).
type layerNormRule struct {
	be                  core.Backend
	x, w, b, mean, rstd *core.Tensor
}

// rmsNormRule is what a backward rule needs (see recordArgs).
type rmsNormRule struct {
	be         core.Backend
	x, w, rstd *core.Tensor
}

// crossEntropyRule is what a backward rule needs (see recordArgs).
type crossEntropyRule struct {
	be         core.Backend
	logits, dl *core.Tensor
	weight     float64
}

// softmaxRule is what a backward rule needs (see recordArgs).
type softmaxRule struct {
	be   core.Backend
	x, y *core.Tensor
	log  bool
}
