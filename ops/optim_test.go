package ops

import (
	"math"
	"testing"

	"xprompt/core"
)

func TestAdamWMatchesReference(t *testing.T) {
	w := core.New([]float32{0.5, -1, 2, 0.1}, 2, 2).SetRequiresGrad(true)
	gain := core.New([]float32{1, 1}, 2).SetRequiresGrad(true)
	o := NewAdamW([]*core.Tensor{w, gain}, 0.1)
	grads := [][]float32{{0.1, -0.2, 0.3, 0}, {0.5, -0.5, 1, 2}}
	// float64 reference of two steps.
	p := []float64{0.5, -1, 2, 0.1}
	m, v := make([]float64, 4), make([]float64, 4)
	const lr, b1, b2, eps, wd = 0.01, 0.9, 0.95, 1e-8, 0.1
	for step := 1; step <= 2; step++ {
		g := grads[step-1]
		w.ZeroGrad()
		w.AccumulateGrad(g)
		gain.ZeroGrad()
		gain.AccumulateGrad([]float32{1, -1})
		o.Step(lr)
		for i := range p {
			m[i] = b1*m[i] + (1-b1)*float64(g[i])
			v[i] = b2*v[i] + (1-b2)*float64(g[i])*float64(g[i])
			mh := m[i] / (1 - math.Pow(b1, float64(step)))
			vh := v[i] / (1 - math.Pow(b2, float64(step)))
			p[i] = p[i]*(1-lr*wd) - lr*mh/(math.Sqrt(vh)+eps)
		}
	}
	for i := range p {
		if math.Abs(float64(w.Data[i])-p[i]) > 1e-6 {
			t.Fatalf("param %d = %g, reference %g", i, w.Data[i], p[i])
		}
	}
	// Vectors are not decayed: two steps with g = ±1 move them by ≈ lr each.
	if math.Abs(float64(gain.Data[0])-(1-2*lr)) > 1e-4 || math.Abs(float64(gain.Data[1])-(1+2*lr)) > 1e-4 {
		t.Fatalf("undecayed gains = %v, want [%g %g]", gain.Data, 1-2*lr, 1+2*lr)
	}
}

func TestClipGradNorm(t *testing.T) {
	a := core.Zeros(2).SetRequiresGrad(true)
	b := core.Zeros(1).SetRequiresGrad(true)
	a.AccumulateGrad([]float32{3, 0})
	b.AccumulateGrad([]float32{4})
	if n := ClipGradNorm([]*core.Tensor{a, b}, 1); math.Abs(n-5) > 1e-6 {
		t.Fatalf("norm before clipping = %g, want 5", n)
	}
	if n := GradNorm([]*core.Tensor{a, b}); math.Abs(n-1) > 1e-5 {
		t.Fatalf("norm after clipping = %g, want 1", n)
	}
	if math.Abs(float64(a.Grad().Data[0])-0.6) > 1e-5 || math.Abs(float64(b.Grad().Data[0])-0.8) > 1e-5 {
		t.Fatalf("clipped grads %v %v, want 0.6, 0.8", a.Grad().Data, b.Grad().Data)
	}
}

func TestSchedule(t *testing.T) {
	s := Schedule{Peak: 1, Min: 0.1, Warmup: 10, Total: 110}
	for _, c := range []struct {
		step int
		want float64
	}{{0, 0.1}, {4, 0.5}, {9, 1}, {10, 1}, {60, 0.55}, {110, 0.1}, {500, 0.1}} {
		if got := s.LR(c.step); math.Abs(float64(got)-c.want) > 1e-6 {
			t.Fatalf("LR(%d) = %g, want %g", c.step, got, c.want)
		}
	}
}

// TestAdamWOnePassMatchesPerTensor requires Step's single pass over all
// parameters to equal one kernel call per parameter bit for bit over
// several steps: matrices (decayed) and vectors (not), sizes that straddle
// the pass's chunks, a parameter without a gradient (left unchanged).
func TestAdamWOnePassMatchesPerTensor(t *testing.T) {
	shapes := [][]int{{3, 5}, {7}, {elemChunk/8 + 3, 8}, {1}, {4, 4}, {2*elemChunk + 5}, {33, 3}}
	r := core.NewRNG(12)
	make2 := func() ([]*core.Tensor, *AdamW) {
		r := core.NewRNG(12)
		var ps []*core.Tensor
		for _, s := range shapes {
			ps = append(ps, core.New(randData(r, size(s)), s...).SetRequiresGrad(true))
		}
		return ps, NewAdamW(ps, 0.1)
	}
	ps1, o1 := make2()
	ps2, o2 := make2()
	for step := 0; step < 4; step++ {
		for i, s := range shapes {
			if i == 3 {
				continue // no gradient
			}
			g := randData(r, size(s))
			ps1[i].ZeroGrad()
			ps2[i].ZeroGrad()
			ps1[i].AccumulateGrad(g)
			ps2[i].AccumulateGrad(g)
		}
		o1.Step(1e-2)
		o2.Steps++
		o2.stepEach(1e-2)
		for i := range ps1 {
			for j, w := range ps2[i].Data {
				if got := ps1[i].Data[j]; got != w {
					t.Fatalf("step %d, parameter %d[%d]: %g one pass, %g per tensor", step, i, j, got, w)
				}
			}
			for j := range o1.M[i].Data {
				if o1.M[i].Data[j] != o2.M[i].Data[j] || o1.V[i].Data[j] != o2.V[i].Data[j] {
					t.Fatalf("step %d, parameter %d[%d]: moments differ", step, i, j)
				}
			}
		}
	}
	if ps1[3].Data[0] != ps2[3].Data[0] {
		t.Fatal("parameter without gradient changed")
	}
}
