package ops

import "xprompt/core"

// recordArgs is core.Record for a backward rule that reads what it needs
// from args instead of capturing it: back must be a function literal that
// captures nothing, and args is copied into a rule drawn with core.Alloc
// (only when the graph is recorded). Inside an arena it allocates nothing.
func recordArgs[A any](out *core.Tensor, op string, args A, back func(a *A, g *core.Tensor), inputs ...*core.Tensor) *core.Tensor {
	if !core.Recording(inputs...) {
		return out
	}
	r := core.Alloc[argRule[A]]()
	r.args, r.back = args, back
	return core.RecordRule(out, op, r, inputs...)
}

// argRule is recordArgs' rule.
type argRule[A any] struct {
	args A
	back func(a *A, g *core.Tensor)
}

func (r *argRule[A]) Backward(g *core.Tensor) { r.back(&r.args, g) }
