package ops

import (
	"math"
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
		{"heads of 16", 1, 4, 2, 32, []int32{3, 1, 4, 1}},
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

// TestAttentionQKVMatchesComposed compares the single-node attention on the
// fused projection with SplitHeadsRoPE → Attention → merged heads, with the
// gradient of qkv written fresh (the only consumer) and added to one that
// another consumer made first or adds later.
func TestAttentionQKVMatchesComposed(t *testing.T) {
	seg := []int32{0, 1, 1, 2, 3, 3, 3, -1, 0, 1, 2, 2, 3, 3, 3, 3}
	pos := []int32{0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7}
	for _, c := range []struct {
		name       string
		b, t, h, d int
		pos        []int32
		mask       *core.Mask
		other      int // 0 none, 1 another consumer recorded before, 2 after
	}{
		{"causal", 2, 5, 2, 8, nil, nil, 0},
		{"xprompt mask, positions", 2, 8, 4, 16, pos, &core.Mask{Kind: core.MaskXPrompt, QSeg: seg, KSeg: seg, QPos: pos, KPos: pos}, 0},
		{"other consumer before", 2, 5, 2, 8, nil, nil, 1},
		{"other consumer after", 1, 7, 3, 12, nil, &core.Mask{Kind: core.MaskFull}, 2},
		{"heads of 32", 2, 6, 2, 64, nil, nil, 1},
	} {
		attn := func(f func(*core.Tensor, int, int, int, []int32, float32, *core.Mask, float32) *core.Tensor) func([]*core.Tensor) []*core.Tensor {
			return func(in []*core.Tensor) []*core.Tensor {
				var outs []*core.Tensor
				if c.other == 1 {
					outs = append(outs, Scale(in[0], 0.5))
				}
				outs = append(outs, f(in[0], c.b, c.t, c.h, c.pos, 10000, c.mask, 0))
				if c.other == 2 {
					outs = append(outs, Mul(in[0], in[0]))
				}
				return outs
			}
		}
		// In an arena whose recycled buffers hold NaN: every buffer the
		// fused path leaves unzeroed must be written completely.
		poisonedArena(func() {
			compareFused(t, c.name, [][]int{{c.b * c.t, 3 * c.d}}, attn(AttentionQKV), attn(attentionQKVComposed), 1e-5)
		}, c.b*c.t*3*c.d, c.b*c.t*c.d, c.b*c.t)
	}
	mustPanic(t, func() { AttentionQKV(core.Zeros(6, 24), 2, 3, 3, nil, 10000, nil, 0) }, "ops.AttentionQKV", "D/H even")
	mustPanic(t, func() { AttentionQKV(core.Zeros(6, 24), 2, 3, 2, []int32{0, 1}, 10000, nil, 0) }, "ops.AttentionQKV", "2 positions")
}

// poisonedArena runs f in an arena that recycles, for each of sizes, 64
// buffers filled with NaN (Empty, unlike outside an arena, then returns
// them as they are).
func poisonedArena(f func(), sizes ...int) {
	a := core.NewArena()
	core.WithArena(a, func() {
		for _, n := range sizes {
			for i := 0; i < 64; i++ {
				b := core.Empty(n)
				for j := range b.Data {
					b.Data[j] = float32(math.NaN())
				}
			}
		}
	})
	a.Reset()
	core.WithArena(a, f)
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

// TestAddRMSNormMatchesComposed compares AddRMSNorm with Add then RMSNorm
// in each of its backward ways: h's gradient left to s's rule (s already
// has a gradient when h's rule runs), written by h's rule (it has none),
// added by h's rule (w computed, not a leaf), and x and y the same tensor.
func TestAddRMSNormMatchesComposed(t *testing.T) {
	const n, d = 37, 24
	shapes := [][]int{{n, d}, {n, d}, {d}}
	for _, c := range []struct {
		name  string
		build func(f func(x, y, w *core.Tensor, eps float32) (s, h *core.Tensor), in []*core.Tensor) []*core.Tensor
	}{
		{"norm's gradient left to the add", func(f func(x, y, w *core.Tensor, eps float32) (s, h *core.Tensor), in []*core.Tensor) []*core.Tensor {
			s, h := f(in[0], in[1], in[2], 1e-5)
			return []*core.Tensor{h, s} // s's consumer is recorded last: its rule runs first
		}},
		{"norm's gradient written", func(f func(x, y, w *core.Tensor, eps float32) (s, h *core.Tensor), in []*core.Tensor) []*core.Tensor {
			s, h := f(in[0], in[1], in[2], 1e-5)
			return []*core.Tensor{s, h}
		}},
		{"residual chain", func(f func(x, y, w *core.Tensor, eps float32) (s, h *core.Tensor), in []*core.Tensor) []*core.Tensor {
			s, h := f(in[0], in[1], in[2], 1e-5)
			s2, h2 := f(s, Mul(h, h), in[2], 1e-5)
			return []*core.Tensor{h2, s2}
		}},
		{"computed weight", func(f func(x, y, w *core.Tensor, eps float32) (s, h *core.Tensor), in []*core.Tensor) []*core.Tensor {
			s, h := f(in[0], in[1], Scale(in[2], 1.5), 1e-5)
			return []*core.Tensor{h, s}
		}},
		{"x and y the same", func(f func(x, y, w *core.Tensor, eps float32) (s, h *core.Tensor), in []*core.Tensor) []*core.Tensor {
			s, h := f(in[0], in[0], in[2], 1e-5)
			return []*core.Tensor{h, s, Scale(in[1], 1)}
		}},
	} {
		poisonedArena(func() {
			compareFused(t, c.name, shapes,
				func(in []*core.Tensor) []*core.Tensor { return c.build(AddRMSNorm, in) },
				func(in []*core.Tensor) []*core.Tensor { return c.build(addRMSNormComposed, in) }, 1e-5)
		}, n*d, n)
	}
	mustPanic(t, func() { AddRMSNorm(core.Zeros(2, 4), core.Zeros(2, 3), core.Zeros(4), 1e-5) }, "ops.AddRMSNorm")
}
