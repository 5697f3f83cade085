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
	backward func(g *Tensor) // the rule: a function,
	rule     Rule            // or a value (RecordRule)
	seen     uint64          // topoOrder's walk that last reached the node
}

// Rule is a backward rule as a value: Backward receives the output's
// gradient and accumulates into the gradients of the inputs that
// RequiresGrad. Operators draw rules with Alloc so that, inside an Arena,
// recording a step allocates nothing on the heap (a closure would).
type Rule interface {
	Backward(g *Tensor)
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
	if n := record(out, op, inputs); n != nil {
		n.backward = backward
	}
	return out
}

// RecordRule is Record with the backward rule as a value.
func RecordRule(out *Tensor, op string, rule Rule, inputs ...*Tensor) *Tensor {
	if n := record(out, op, inputs); n != nil {
		n.rule = rule
	}
	return out
}

// Recording reports whether an operator on inputs records the graph:
// gradients are enabled and some input requires one.
func Recording(inputs ...*Tensor) bool {
	if !GradEnabled() {
		return false
	}
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			return true
		}
	}
	return false
}

// record attaches a node for op to out when Recording(inputs...), with a
// copy of inputs (from the active arena when there is one), and returns it.
func record(out *Tensor, op string, inputs []*Tensor) *node {
	if !Recording(inputs...) {
		return nil
	}
	var n *node
	var in []*Tensor
	if a := activeArena.Load(); a != nil {
		a.mu.Lock()
		n = &a.nodes.take(1)[0]
		in = a.ptrs.take(len(inputs))
		a.mu.Unlock()
	} else {
		n, in = new(node), make([]*Tensor, len(inputs))
	}
	copy(in, inputs)
	n.op, n.inputs = op, in
	out.requiresGrad = true
	out.node = n
	return n
}

// runBackward applies n's rule to the gradient g.
func (n *node) runBackward(g *Tensor) {
	if n.rule != nil {
		n.rule.Backward(g)
		return
	}
	n.backward(g)
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
	sc := takeTopo()
	defer giveTopo(sc)
	order := topoOrder(t, sc)
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
				g = g.copyForRule() // rules may hand their gradient on to an input: keep t's own
			}
			n.runBackward(g)
		}
		// Release the graph: intermediate tensors keep neither node nor grad.
		v.node = nil
		if v != t {
			v.grad = nil
		}
	}
}

// copyForRule returns a copy of t: in the active arena on the CPU, else Clone.
func (t *Tensor) copyForRule() *Tensor {
	if t.storage != nil {
		return t.Clone()
	}
	c := Empty(t.shape...)
	copy(c.Data, t.Data)
	return c
}

// topoOrder returns the non-leaf tensors reachable from root, inputs before
// the tensors computed from them, in sc's buffers.
func topoOrder(root *Tensor, sc *topoScratch) []*Tensor {
	epoch := topoEpoch.Add(1)
	order, stack := sc.order[:0], sc.stack[:0]
	if root.node != nil {
		root.node.seen = epoch
	}
	stack = append(stack, topoFrame{t: root})
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.t.node == nil {
			stack = stack[:len(stack)-1]
			continue
		}
		if f.next < len(f.t.node.inputs) {
			in := f.t.node.inputs[f.next]
			f.next++
			if in != nil && in.node != nil && in.node.seen != epoch {
				in.node.seen = epoch
				stack = append(stack, topoFrame{t: in})
			}
			continue
		}
		order = append(order, f.t)
		stack = stack[:len(stack)-1]
	}
	sc.order, sc.stack = order, stack
	return order
}

// takeTopo returns the active arena's topoOrder buffers, or new ones.
func takeTopo() *topoScratch {
	if a := activeArena.Load(); a != nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		if sc := a.topo; sc != nil {
			a.topo = nil // a concurrent Backward gets its own
			return sc
		}
	}
	return new(topoScratch)
}

// giveTopo hands sc back to the active arena, emptied.
func giveTopo(sc *topoScratch) {
	clear(sc.order[:cap(sc.order)])
	clear(sc.stack[:cap(sc.stack)])
	sc.order, sc.stack = sc.order[:0], sc.stack[:0]
	if a := activeArena.Load(); a != nil {
		a.mu.Lock()
		if a.topo == nil {
			a.topo = sc
		}
		a.mu.Unlock()
	}
}

// topoScratch holds topoOrder's buffers between steps.
type topoScratch struct {
	order []*Tensor
	stack []topoFrame
}

type topoFrame struct {
	t    *Tensor
	next int
}

// topoEpoch numbers topoOrder's walks: a node is seen in the current walk
// when its seen field holds the walk's number.
var topoEpoch atomic.Uint64
