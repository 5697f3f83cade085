package core

import (
	"testing"
	"unsafe"
)

// scaleRule is a backward rule as a value: the gradient of s·x.
type scaleRule struct {
	x *Tensor
	s float32
}

func (r *scaleRule) Backward(g *Tensor) {
	gx := r.x.EnsureGrad()
	for i, v := range g.Data {
		gx.Data[i] += r.s * v
	}
}

// scaled returns s·x recorded with a rule drawn by Alloc.
func scaled(x *Tensor, s float32) *Tensor {
	out := Empty(x.shape...)
	for i, v := range x.Data {
		out.Data[i] = s * v
	}
	r := Alloc[scaleRule]()
	r.x, r.s = x, s
	return RecordRule(out, "scale", r, x)
}

// sum returns the sum of x's values as a scalar, recorded with a closure.
func sum(x *Tensor) *Tensor {
	var s float32
	for _, v := range x.Data {
		s += v
	}
	return Record(Scalar(s), "sum", []*Tensor{x}, func(g *Tensor) {
		gx := x.EnsureGrad()
		for i := range gx.Data {
			gx.Data[i] += g.Data[0]
		}
	})
}

// sumAll is the gradient of the sum of x's values.
type sumAll struct{ x *Tensor }

func (r *sumAll) Backward(g *Tensor) {
	gx := r.x.EnsureGrad()
	for i := range gx.Data {
		gx.Data[i] += g.Data[0]
	}
}

// sumRule is sum with its rule as a value (a closure would be allocated).
func sumRule(x *Tensor) *Tensor {
	var s float32
	for _, v := range x.Data {
		s += v
	}
	r := Alloc[sumAll]()
	r.x = x
	return RecordRule(Scalar(s), "sum", r, x)
}

// Headers, shapes and nodes made inside an arena come from its slabs and are
// handed out again, zeroed, after Reset; those made outside are the heap's.
func TestArenaRecyclesHeaders(t *testing.T) {
	a := NewArena()
	var first, view *Tensor
	WithArena(a, func() {
		first = Zeros(2, 3).SetName("activation")
		first.SetRequiresGrad(true)
		view = first.View(3, 2)
	})
	if d := first.Dims(); cap(d) != len(d) {
		t.Fatalf("shape from the slab has capacity %d for %d dims: appending would write into a neighbour", cap(d), len(d))
	}
	outside := Zeros(2, 3)
	a.Reset()
	var second *Tensor
	WithArena(a, func() { second = Empty(4) })
	if second != first {
		t.Fatal("after Reset the first header was not handed out again")
	}
	if second.Name() != "" || second.RequiresGrad() || second.Grad() != nil || !EqualShapes(second.Dims(), []int{4}) {
		t.Fatalf("recycled header kept state: name %q, grad %v, shape %v", second.Name(), second.RequiresGrad(), second.Dims())
	}
	if view == outside || !EqualShapes(outside.Dims(), []int{2, 3}) || len(outside.Data) != 6 {
		t.Fatal("a tensor made outside the arena was affected by its Reset")
	}
	if Scalar(1) == Scalar(1) {
		t.Fatal("outside an arena two tensors share a header")
	}
}

// Make and Alloc hand out zeroed values of exactly the asked length from the
// arena, reused after Reset, and from the heap outside it.
func TestMakeAndAlloc(t *testing.T) {
	a := NewArena()
	var ints []int
	var big []int32
	var floats []float32
	var p *scaleRule
	WithArena(a, func() {
		ints = Make[int](5)
		big = Make[int32](3 * slabChunk) // more than a chunk
		floats = Make[float32](100)
		p = Alloc[scaleRule]()
	})
	if len(ints) != 5 || cap(ints) != 5 || len(big) != 3*slabChunk || len(floats) != 100 || cap(floats) != 100 {
		t.Fatalf("lengths %d/%d, %d, %d/%d", len(ints), cap(ints), len(big), len(floats), cap(floats))
	}
	if a.Bytes() < 400 {
		t.Fatalf("arena holds %d bytes after Make[float32](100): float scratch should use its buffers", a.Bytes())
	}
	for i := range ints {
		ints[i] = 7
	}
	for i := range floats {
		floats[i] = 7
	}
	p.s = 3
	a.Reset()
	var ints2 []int
	var floats2 []float32
	var p2 *scaleRule
	WithArena(a, func() {
		ints2 = Make[int](5)
		_ = Make[int32](3 * slabChunk)
		floats2 = Make[float32](100)
		p2 = Alloc[scaleRule]()
	})
	if &ints2[0] != &ints[0] || &floats2[0] != &floats[0] {
		t.Fatal("after Reset Make did not reuse the arena's values")
	}
	for i := range ints2 {
		if ints2[i] != 0 || floats2[i] != 0 {
			t.Fatalf("reused values not zeroed: %d, %g", ints2[i], floats2[i])
		}
	}
	if p2.s != 0 || p2.x != nil {
		t.Fatal("reused Alloc value not zeroed")
	}
	h1, h2 := Make[int](4), Make[int](4)
	if unsafe.SliceData(h1) == unsafe.SliceData(h2) || Alloc[int]() == Alloc[int]() {
		t.Fatal("outside an arena Make and Alloc share storage")
	}
}

// Backward through rules recorded as values (RecordRule) and as closures
// (Record) gives the same gradients inside and outside an arena; Record keeps
// its own copy of the inputs.
func TestRecordRuleBackward(t *testing.T) {
	for _, inArena := range []bool{false, true} {
		x := New([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
		run := func() {
			ins := []*Tensor{x}
			y := scaled(x, 2)
			l := Record(Scalar(y.Data[0]+y.Data[1]+y.Data[2]), "sum", ins, func(g *Tensor) {
				gy := y.EnsureGrad()
				for i := range gy.Data {
					gy.Data[i] += g.Data[0]
				}
			})
			ins[0] = nil // the node must not see the caller's slice change
			if l.node.inputs[0] != x {
				t.Fatal("Record kept the caller's inputs slice")
			}
			l.node.inputs[0] = y // the rule above feeds y, which feeds x
			l.Backward()
			l2 := sum(scaled(x, 5))
			l2.Backward()
		}
		if inArena {
			a := NewArena()
			for range 2 {
				x.ZeroGrad()
				a.Reset()
				WithArena(a, run)
			}
		} else {
			run()
		}
		for i, g := range x.Grad().Data {
			if g != 7 {
				t.Fatalf("arena %v: grad[%d] = %g, want 2 + 5", inArena, i, g)
			}
		}
	}
}

// After warm-up a step that makes tensors, records rules and runs Backward
// inside an arena allocates nothing on the heap.
func TestArenaStepAllocatesNothing(t *testing.T) {
	a := NewArena()
	x := New([]float32{1, 2, 3, 4}, 2, 2).SetRequiresGrad(true)
	step := func() {
		x.ZeroGrad()
		a.Reset()
		WithArena(a, func() {
			y := scaled(scaled(x, 2), 3)
			sumRule(y.Detach().View(4)).Data[0] += 0 // headers outside the graph too
			sumRule(y).Backward()
		})
	}
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Fatalf("%v heap allocations per step inside an arena, want 0", n)
	}
	if g := x.Grad().Data; g[0] != 6 || g[3] != 6 {
		t.Fatalf("gradient %v, want 6 everywhere", g)
	}
}
