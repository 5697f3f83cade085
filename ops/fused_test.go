package ops

import (
	"testing"

	"xprompt/core"
)

// compareFused runs a fused operator and its composed reference on the same
// random inputs and checks every output and, through a random projection of
// the outputs, the gradient of every input.
func compareFused(t *testing.T, name string, shapes [][]int, fused, ref func(in []*core.Tensor) []*core.Tensor, tol float64) {
	t.Helper()
	rng := core.NewRNG(uint64(len(name)))
	data := make([][]float32, len(shapes))
	for i, s := range shapes {
		data[i] = make([]float32, size(s))
		for j := range data[i] {
			data[i][j] = float32(rng.Normal())
		}
	}
	run := func(f func([]*core.Tensor) []*core.Tensor) ([]*core.Tensor, []*core.Tensor) {
		ins := make([]*core.Tensor, len(shapes))
		for i, s := range shapes {
			ins[i] = core.New(append([]float32(nil), data[i]...), s...).SetRequiresGrad(true)
		}
		outs := f(ins)
		r := core.NewRNG(99)
		var loss *core.Tensor
		for _, o := range outs {
			w := core.Zeros(o.Shape()...)
			for j := range w.Data {
				w.Data[j] = float32(r.Normal())
			}
			term := Sum(Mul(o, w))
			if loss == nil {
				loss = term
			} else {
				loss = Add(loss, term)
			}
		}
		loss.Backward()
		return outs, ins
	}
	gotOut, gotIn := run(fused)
	wantOut, wantIn := run(ref)
	for i := range wantOut {
		if !core.EqualShapes(gotOut[i].Dims(), wantOut[i].Dims()) {
			t.Fatalf("%s: output %d has shape %v, reference %v", name, i, gotOut[i].Dims(), wantOut[i].Dims())
		}
		for j, w := range wantOut[i].Data {
			if g := gotOut[i].Data[j]; !close(float64(g), float64(w), tol) {
				t.Fatalf("%s: output %d[%d] = %g, reference %g", name, i, j, g, w)
			}
		}
	}
	for i := range wantIn {
		g, w := gotIn[i].Grad(), wantIn[i].Grad()
		if g == nil || w == nil {
			t.Fatalf("%s: input %d gradient missing (fused %v, reference %v)", name, i, g != nil, w != nil)
		}
		for j := range w.Data {
			if !close(float64(g.Data[j]), float64(w.Data[j]), tol) {
				t.Fatalf("%s: d/dx%d[%d] = %g, reference %g", name, i, j, g.Data[j], w.Data[j])
			}
		}
	}
}

func TestSplitHeadsRoPEMatchesComposed(t *testing.T) {
	for _, c := range []struct {
		name       string
		b, t, h, d int
		pos        []int32
	}{
		{"default positions", 2, 5, 2, 8, nil},
		{"given positions", 2, 3, 4, 16, []int32{4, 0, 9, 1, 2, 3}},
	} {
		split := func(f func(*core.Tensor, int, int, int, []int32, float32) (q, k, v *core.Tensor)) func([]*core.Tensor) []*core.Tensor {
			return func(in []*core.Tensor) []*core.Tensor {
				q, k, v := f(in[0], c.b, c.t, c.h, c.pos, 10000)
				return []*core.Tensor{q, k, v}
			}
		}
		compareFused(t, c.name, [][]int{{c.b * c.t, 3 * c.d}}, split(SplitHeadsRoPE), split(splitHeadsComposed), 1e-5)
	}
	mustPanic(t, func() { SplitHeadsRoPE(core.Zeros(6, 24), 2, 3, 3, nil, 10000) }, "ops.SplitHeadsRoPE", "D/H even")
}

func TestLinearCrossEntropyMatchesComposed(t *testing.T) {
	const n, d, v = 2*crossEntropyChunk + 37, 16, 50 // three chunks, the last partial
	rng := core.NewRNG(5)
	targets := make([]int32, n)
	weights := make([]float32, n)
	for i := range targets {
		targets[i] = int32(rng.IntN(v))
		weights[i] = float32(rng.IntN(4)) / 2 // some rows weigh 0
		if i%11 == 0 {
			targets[i] = IgnoreIndex
		}
	}
	for _, w := range [][]float32{nil, weights} {
		compareFused(t, "linear cross-entropy", [][]int{{n, d}, {v, d}},
			func(in []*core.Tensor) []*core.Tensor {
				return []*core.Tensor{Scale(LinearCrossEntropy(in[0], in[1], targets, w), 3)}
			},
			func(in []*core.Tensor) []*core.Tensor {
				return []*core.Tensor{Scale(CrossEntropy(Linear(in[0], in[1]), targets, w), 3)}
			}, 1e-4)
	}
}
