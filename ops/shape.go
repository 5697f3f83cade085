package ops

import (
	"fmt"

	"xprompt/core"
)

// Reshape returns x with a new shape of the same size; one dimension may be −1.
func Reshape(x *core.Tensor, shape ...int) *core.Tensor {
	dims := stepInts(shape...) // filled in below; the caller's shape stays on its stack
	infer, n := -1, 1
	for i, d := range dims {
		if d == -1 {
			if infer >= 0 {
				panic(fmt.Sprintf("ops.Reshape: more than one −1 in %v", dims))
			}
			infer = i
			continue
		}
		n *= d
	}
	if infer >= 0 && n > 0 && x.Len()%n == 0 {
		dims[infer] = x.Len() / n
		n *= dims[infer]
	}
	if n != x.Len() {
		panic(fmt.Sprintf("ops.Reshape: cannot reshape %v into %v", x.Dims(), dims))
	}
	out := x.Detach().View(dims...)
	return recordArgs(out, "reshape", reshapeRule{x}, func(r *reshapeRule, g *core.Tensor) {
		x := r.x
		x.AdoptGrad(g) // g belongs to out, which is released after this rule
	}, x)
}

// Permute reorders axes: output axis i is input axis perm[i].
func Permute(x *core.Tensor, perm ...int) *core.Tensor {
	r := x.Rank()
	order := stepInts(perm...) // the backend's interface call would move the caller's perm to the heap
	if len(order) != r {
		panic(fmt.Sprintf("ops.Permute: perm %v for shape %v", order, x.Dims()))
	}
	seen := core.Make[bool](r)
	shape := core.Make[int](r)
	inv := core.Make[int](r)
	for i, p := range order {
		if p < 0 || p >= r || seen[p] {
			panic(fmt.Sprintf("ops.Permute: perm %v is not a permutation of %d axes", order, r))
		}
		seen[p] = true
		shape[i] = x.Dim(p)
		inv[p] = i
	}
	be := backendOf(x)
	out := core.EmptyOn(x.Device(), shape...)
	be.Permute(x, out, order, false)
	return recordArgs(out, "permute", permuteRule{be, x, inv}, func(r *permuteRule, g *core.Tensor) {
		be, x, inv := r.be, r.x, r.inv
		be.Permute(g, x.EnsureGrad(), inv, true)
	}, x)
}

// Transpose swaps axes a and b (negative values count from the end).
func Transpose(x *core.Tensor, a, b int) *core.Tensor {
	r := x.Rank()
	if a < 0 {
		a += r
	}
	if b < 0 {
		b += r
	}
	if a < 0 || a >= r || b < 0 || b >= r {
		panic(fmt.Sprintf("ops.Transpose: axes %d,%d out of range for shape %v", a, b, x.Dims()))
	}
	perm := make([]int, r)
	for i := range perm {
		perm[i] = i
	}
	perm[a], perm[b] = b, a
	return Permute(x, perm...)
}

// Concat joins tensors along axis; they must agree on every other axis.
func Concat(axis int, xs ...*core.Tensor) *core.Tensor {
	if len(xs) == 0 {
		panic("ops.Concat: no tensors")
	}
	r := xs[0].Rank()
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		panic(fmt.Sprintf("ops.Concat: axis out of range for shape %v", xs[0].Dims()))
	}
	shape := stepInts(xs[0].Dims()...)
	shape[axis] = 0
	for _, x := range xs {
		if x.Rank() != r {
			panic(fmt.Sprintf("ops.Concat: shapes %v and %v differ in rank", xs[0].Dims(), x.Dims()))
		}
		for i, d := range x.Dims() {
			if i != axis && d != shape[i] {
				panic(fmt.Sprintf("ops.Concat: shapes %v and %v differ on axis %d", xs[0].Dims(), x.Dims(), i))
			}
		}
		shape[axis] += x.Dim(axis)
	}
	be := backendOf(xs...)
	out := core.ZerosOn(xs[0].Device(), shape...)
	off := 0
	offs := core.Make[int](len(xs))
	ins := append(core.Make[*core.Tensor](len(xs))[:0], xs...) // kept by the rule: not the caller's
	for i, x := range xs {
		offs[i] = off
		be.CopyAxis(x, out, axis, 0, off, x.Dim(axis), false)
		off += x.Dim(axis)
	}
	return recordArgs(out, "concat", concatRule{be, ins, axis, offs}, func(r *concatRule, g *core.Tensor) {
		be, xs, axis, offs := r.be, r.xs, r.axis, r.offs
		for i, x := range xs {
			if x.RequiresGrad() {
				be.CopyAxis(g, x.EnsureGrad(), axis, offs[i], 0, x.Dim(axis), true)
			}
		}
	}, xs...)
}

// Slice returns x[..., start:end, ...] along axis.
func Slice(x *core.Tensor, axis, start, end int) *core.Tensor {
	r := x.Rank()
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r || start < 0 || end > x.Dim(axis) || start > end {
		panic(fmt.Sprintf("ops.Slice: [%d:%d] on axis %d of shape %v", start, end, axis, x.Dims()))
	}
	shape := stepInts(x.Dims()...)
	shape[axis] = end - start
	be := backendOf(x)
	out := core.ZerosOn(x.Device(), shape...)
	be.CopyAxis(x, out, axis, start, 0, end-start, false)
	return recordArgs(out, "slice", sliceRule{be, x, axis, start, end}, func(r *sliceRule, g *core.Tensor) {
		be, x, axis, start, end := r.be, r.x, r.axis, r.start, r.end
		be.CopyAxis(g, x.EnsureGrad(), axis, 0, start, end-start, true)
	}, x)
}

// Gather returns rows of the 2-D table: out[i] = table[ids[i]], with shape
// (shape..., D) where shape is the ids' shape (default: len(ids)).
func Gather(table *core.Tensor, ids []int32, shape ...int) *core.Tensor {
	if table.Rank() != 2 {
		panic(fmt.Sprintf("ops.Gather: table must be 2-D, got %v", table.Dims()))
	}
	if len(shape) == 0 {
		shape = stepInts(len(ids))
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n != len(ids) {
		panic(fmt.Sprintf("ops.Gather: %d ids for shape %v", len(ids), shape))
	}
	be := backendOf(table)
	oshape := core.Make[int](len(shape) + 1)
	copy(oshape, shape)
	oshape[len(shape)] = table.Dim(1)
	out := core.EmptyOn(table.Device(), oshape...)
	be.GatherRows(table, ids, out)
	own := core.Make[int32](len(ids)) // the caller may reuse ids before the backward pass
	copy(own, ids)
	ids = own
	return recordArgs(out, "gather", gatherRule{be, ids, table}, func(r *gatherRule, g *core.Tensor) {
		be, ids, table := r.be, r.ids, r.table
		be.ScatterAddRows(g, ids, table.EnsureGrad())
	}, table)
}

// Embedding looks up token embeddings: table (V, D), ids of the given shape.
func Embedding(table *core.Tensor, ids []int32, shape ...int) *core.Tensor {
	return Gather(table, ids, shape...)
}

// gatherRule is what a backward rule needs (see recordArgs).
type gatherRule struct {
	be    core.Backend
	ids   []int32
	table *core.Tensor
}

// sliceRule is what a backward rule needs (see recordArgs).
type sliceRule struct {
	be               core.Backend
	x                *core.Tensor
	axis, start, end int
}

// concatRule is what a backward rule needs (see recordArgs).
type concatRule struct {
	be   core.Backend
	xs   []*core.Tensor
	axis int
	offs []int
}

// permuteRule is what a backward rule needs (see recordArgs).
type permuteRule struct {
	be  core.Backend
	x   *core.Tensor
	inv []int
}

// reshapeRule is what a backward rule needs (see recordArgs).
type reshapeRule struct {
	x *core.Tensor
}

// stepInts returns a copy of v drawn with core.Make: inside an arena it
// lives until Reset, so operators can keep shapes in backward rules or hand
// them to backends without a heap allocation.
func stepInts(v ...int) []int {
	c := core.Make[int](len(v))
	copy(c, v)
	return c
}
