package core

import (
	"fmt"
	"sync/atomic"
)

// node records how a tensor was computed: the operator's name, its inputs and
// the rule that turns the output's gradient into the inputs' gradients.
type node struct {
	op       string
	inputs   []*Tensor
	backward func(g *Tensor)
}

// noGradDepth counts nested NoGrad scopes. Gradient recording is a process-wide
// switch: run graph-building code on one goroutine at a time.
var noGradDepth atomic.Int32

// GradEnabled reports whether operators currently record the graph.
func GradEnabled() bool { return noGradDepth.Load() == 0 }

// NoGrad runs f with gradient recording disabled (inference, optimizer steps).
// The scope is restored even if f panics.
func NoGrad(f func()) {
	noGradDepth.Add(1)
	defer noGradDepth.Add(-1)
	f()
}

// RequiresGrad reports whether gradients flow to t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// SetRequiresGrad marks a leaf tensor as needing (or not) a gradient and
// returns it. It panics on a tensor computed by an operator.
func (t *Tensor) SetRequiresGrad(on bool) *Tensor {
	if t.node != nil {
		panic("core.Tensor.SetRequiresGrad: not a leaf tensor (computed by " + t.node.op + "); use Detach")
	}
	t.requiresGrad = on
	return t
}

// Grad returns the accumulated gradient of t, or nil if none has been computed.
func (t *Tensor) Grad() *Tensor { return t.grad }

// ZeroGrad drops the accumulated gradient.
func (t *Tensor) ZeroGrad() { t.grad = nil }

// IsLeaf reports whether t was not computed by a recorded operator.
func (t *Tensor) IsLeaf() bool { return t.node == nil }

// Op returns the name of the operator that computed t, or "" for a leaf.
func (t *Tensor) Op() string {
	if t.node == nil {
		return ""
	}
	return t.node.op
}

// GradBuffer returns t's gradient storage, allocating zeros on first use, so
// that backward rules can accumulate into it directly. Use it only for tensors
// with RequiresGrad.
func (t *Tensor) GradBuffer() []float32 {
	if t.grad == nil {
		t.grad = Zeros(t.shape...)
	}
	return t.grad.Data
}

// EnsureGrad returns t's gradient tensor, allocating zeros on first use.
func (t *Tensor) EnsureGrad() *Tensor {
	if t.grad == nil {
		t.grad = ZerosOn(t.device, t.shape...)
	}
	return t.grad
}

// AccumulateGrad adds g (same number of elements) to t's gradient.
func (t *Tensor) AccumulateGrad(g []float32) {
	if len(g) != len(t.Data) {
		panic(fmt.Sprintf("core.Tensor.AccumulateGrad: gradient of %d values for shape %v", len(g), t.shape))
	}
	dst := t.GradBuffer()
	for i, v := range g {
		dst[i] += v
	}
}

// AdoptGrad adds g (same number of elements) to t's gradient, taking g's
// storage when t has none yet. The caller must not use g afterwards.
func (t *Tensor) AdoptGrad(g *Tensor) {
	if t.grad == nil && g.Len() == t.Len() && g.device == t.device {
		t.grad = g.View(t.shape...)
		return
	}
	if t.storage != nil {
		// On a device: add with the backend's kernel.
		grad := t.EnsureGrad()
		BackendOf(t).Binary(OpAdd, grad, g.View(t.shape...), grad)
		return
	}
	t.AccumulateGrad(g.Data)
}

// Record attaches a backward rule to out when gradient recording is on and any
// input requires a gradient. The rule receives out's gradient and must
// accumulate into the gradients of the inputs that RequiresGrad. It returns out.
func Record(out *Tensor, op string, inputs []*Tensor, backward func(g *Tensor)) *Tensor {
	if !GradEnabled() {
		return out
	}
	need := false
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			need = true
			break
		}
	}
	if !need {
		return out
	}
	out.requiresGrad = true
	out.node = &node{op: op, inputs: inputs, backward: backward}
	return out
}

// Backward computes the gradient of the scalar t with respect to every tensor
// it depends on that requires a gradient, accumulating into their Grad. The
// graph is released afterwards; intermediate gradients are dropped.
func (t *Tensor) Backward() {
	if t.Len() != 1 {
		panic(fmt.Sprintf("core.Tensor.Backward: called on a tensor of shape %v; need a scalar (or use BackwardWith)", t.shape))
	}
	one, err := To(Ones(t.shape...), t.device)
	if err != nil {
		panic("core.Tensor.Backward: " + err.Error())
	}
	t.BackwardWith(one)
}

// BackwardWith runs backpropagation from t seeded with gradient g.
func (t *Tensor) BackwardWith(g *Tensor) {
	if !SameShape(t, g) {
		panic(fmt.Sprintf("core.Tensor.BackwardWith: gradient shape %v for tensor shape %v", g.shape, t.shape))
	}
	if !t.requiresGrad {
		panic("core.Tensor.Backward: tensor does not require a gradient (no input needs one, or it was computed under NoGrad)")
	}
	order := topoOrder(t)
	if t.storage == nil {
		t.AccumulateGrad(g.Data)
	} else {
		t.AdoptGrad(g.Clone())
	}
	for i := len(order) - 1; i >= 0; i-- {
		v := order[i]
		n := v.node
		if v.grad != nil {
			g := v.grad
			if v == t {
				g = g.Clone() // rules may hand their gradient on to an input: keep t's own
			}
			n.backward(g)
		}
		// Release the graph: intermediate tensors keep neither node nor grad.
		v.node = nil
		if v != t {
			v.grad = nil
		}
	}
}

// topoOrder returns the non-leaf tensors reachable from root, inputs before
// the tensors computed from them.
func topoOrder(root *Tensor) []*Tensor {
	type frame struct {
		t    *Tensor
		next int
	}
	var order []*Tensor
	seen := map[*Tensor]bool{root: true}
	stack := []frame{{t: root}}
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.t.node == nil {
			stack = stack[:len(stack)-1]
			continue
		}
		if f.next < len(f.t.node.inputs) {
			in := f.t.node.inputs[f.next]
			f.next++
			if in != nil && in.node != nil && !seen[in] {
				seen[in] = true
				stack = append(stack, frame{t: in})
			}
			continue
		}
		order = append(order, f.t)
		stack = stack[:len(stack)-1]
	}
	return order
}
