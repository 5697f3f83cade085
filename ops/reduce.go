package ops

import (
	"fmt"

	"xprompt/core"
)

// reducedShape returns x's shape with the given axes set to 1 (keep) and
// removed (squeezed). No axes means all axes.
func reducedShape(op string, shape []int, axes []int) (keep, squeezed []int) {
	r := len(shape)
	on := make([]bool, r)
	if len(axes) == 0 {
		for i := range on {
			on[i] = true
		}
	}
	for _, a := range axes {
		if a < 0 {
			a += r
		}
		if a < 0 || a >= r {
			panic(fmt.Sprintf("ops.%s: axis out of range for shape %v", op, shape))
		}
		on[a] = true
	}
	for i, d := range shape {
		if on[i] {
			keep = append(keep, 1)
		} else {
			keep = append(keep, d)
			squeezed = append(squeezed, d)
		}
	}
	return keep, squeezed
}

// Sum returns the sum of x over the given axes (all axes if none), removing them.
func Sum(x *core.Tensor, axes ...int) *core.Tensor {
	return sumKeep("Sum", x, false, axes)
}

// SumKeep is Sum keeping the reduced axes with size 1.
func SumKeep(x *core.Tensor, axes ...int) *core.Tensor { return sumKeep("SumKeep", x, true, axes) }

func sumKeep(op string, x *core.Tensor, keepDims bool, axes []int) *core.Tensor {
	be := backendOf(x)
	keep, squeezed := reducedShape(op, x.Dims(), axes)
	k := core.ZerosOn(x.Device(), keep...)
	be.SumTo(x, k, false)
	out := k
	if !keepDims {
		out = k.View(squeezed...)
	}
	return recordArgs(out, "sum", sumRule{be, x, keep}, func(r *sumRule, g *core.Tensor) {
		be, x, keep := r.be, r.x, r.keep
		gx := x.EnsureGrad()
		be.Binary(core.OpAdd, gx, g.View(keep...), gx)
	}, x)
}

// Mean returns the mean of x over the given axes (all axes if none).
func Mean(x *core.Tensor, axes ...int) *core.Tensor {
	keep, _ := reducedShape("Mean", x.Dims(), axes)
	n := 1
	for i, d := range x.Dims() {
		if keep[i] == 1 {
			n *= d
		}
	}
	if n == 0 {
		panic(fmt.Sprintf("ops.Mean: empty reduction over shape %v", x.Dims()))
	}
	return Scale(Sum(x, axes...), 1/float32(n))
}

// sumRule is what a backward rule needs (see recordArgs).
type sumRule struct {
	be   core.Backend
	x    *core.Tensor
	keep []int
}
