package ops

import (
	"fmt"
	"math"

	"xprompt/core"
)

// AdamW is the Adam optimizer with decoupled weight decay (Loshchilov &
// Hutter). Weight decay applies to matrices (rank ≥ 2) only; vectors (norm
// gains) are not decayed.
type AdamW struct {
	Params                         []*core.Tensor
	Beta1, Beta2, Eps, WeightDecay float32
	// Steps is the number of updates taken so far.
	Steps int
	// M and V are the first and second moments, one per parameter.
	M, V []*core.Tensor
}

// NewAdamW returns an optimizer for params with β = (0.9, 0.95), ε = 1e-8 and
// the given weight decay.
func NewAdamW(params []*core.Tensor, weightDecay float32) *AdamW {
	o := &AdamW{Params: params, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: weightDecay}
	for _, p := range params {
		o.M = append(o.M, core.ZerosLike(p))
		o.V = append(o.V, core.ZerosLike(p))
	}
	return o
}

// Step applies one update with learning rate lr to every parameter that has
// a gradient. Parameters without a gradient are left unchanged.
func (o *AdamW) Step(lr float32) {
	o.Steps++
	if o.stepCPU(lr) {
		return
	}
	o.stepEach(lr)
}

// stepEach is Step with one backend call per parameter: the reference of
// stepCPU and the path of other backends.
func (o *AdamW) stepEach(lr float32) {
	for i, p := range o.Params {
		g := p.Grad()
		if g == nil {
			continue
		}
		wd := o.WeightDecay
		if p.Rank() < 2 {
			wd = 0
		}
		core.BackendOf(p).AdamW(p, g, o.M[i], o.V[i], core.AdamWConfig{
			LR: lr, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps, WeightDecay: wd, Step: o.Steps})
	}
}

// stepCPU is Step as one vectorised pass over every parameter with a
// gradient (adamwAll) when all of them and their moments are on the CPU; it
// reports whether it ran.
func (o *AdamW) stepCPU(lr float32) bool {
	n, total := 0, 0
	for i, p := range o.Params {
		g := p.Grad()
		if g == nil {
			continue
		}
		if p.Device() != core.CPU || g.Device() != core.CPU || o.M[i].Device() != core.CPU || o.V[i].Device() != core.CPU {
			return false
		}
		if p.Len() != g.Len() || p.Len() != o.M[i].Len() || p.Len() != o.V[i].Len() {
			panic(fmt.Sprintf("ops.AdamW.Step: parameter %d: p %v, g %v, m %v, v %v", i, p.Dims(), g.Dims(), o.M[i].Dims(), o.V[i].Dims()))
		}
		n++
		total += p.Len()
	}
	c := core.AdamWConfig{LR: lr, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps, WeightDecay: o.WeightDecay, Step: o.Steps}
	ks := core.Make[adamwConsts](2) // [0] decayed (matrices), [1] not (vectors)
	ks[0] = newAdamwConsts(c)
	c.WeightDecay = 0
	ks[1] = newAdamwConsts(c)
	segs, off := core.Make[adamwSegment](n)[:0], 0
	for i, p := range o.Params {
		g := p.Grad()
		if g == nil {
			continue
		}
		k := &ks[0]
		if p.Rank() < 2 {
			k = &ks[1]
		}
		segs = append(segs, adamwSegment{off: off, p: p.Data, g: g.Data, m: o.M[i].Data, v: o.V[i].Data, k: k})
		off += p.Len()
	}
	adamwAll(segs, total)
	return true
}

// ZeroGrad drops the gradients of every parameter.
func (o *AdamW) ZeroGrad() {
	for _, p := range o.Params {
		p.ZeroGrad()
	}
}

// GradNorm returns the global L2 norm of the parameters' gradients.
func GradNorm(params []*core.Tensor) float64 {
	var s float64
	for _, p := range params {
		if g := p.Grad(); g != nil {
			s += core.BackendOf(g).SumSquares(g)
		}
	}
	return math.Sqrt(s)
}

// ClipGradNorm scales all gradients so that their global L2 norm is at most
// maxNorm, and returns the norm before clipping. A non-finite norm is
// returned unchanged and nothing is scaled (the caller should skip the step).
func ClipGradNorm(params []*core.Tensor, maxNorm float64) float64 {
	n := GradNorm(params)
	if maxNorm <= 0 || n <= maxNorm || math.IsNaN(n) || math.IsInf(n, 0) {
		return n
	}
	s := float32(maxNorm / (n + 1e-6))
	for _, p := range params {
		if g := p.Grad(); g != nil {
			core.BackendOf(g).Unary(core.OpScale, s, g, g)
		}
	}
	return n
}

// Schedule is a learning-rate schedule: linear warmup to Peak over Warmup
// steps, then cosine decay to Min at Total steps (constant Min after).
type Schedule struct {
	Peak, Min     float32
	Warmup, Total int
}

// LR returns the learning rate at step (0-based).
func (s Schedule) LR(step int) float32 {
	if s.Warmup > 0 && step < s.Warmup {
		return s.Peak * float32(step+1) / float32(s.Warmup)
	}
	if step >= s.Total || s.Total <= s.Warmup {
		return s.Min
	}
	frac := float64(step-s.Warmup) / float64(s.Total-s.Warmup)
	return s.Min + (s.Peak-s.Min)*float32(0.5*(1+math.Cos(math.Pi*frac)))
}

// String describes the schedule.
func (s Schedule) String() string {
	return fmt.Sprintf("warmup %d → %.3g, cosine to %.3g at %d", s.Warmup, s.Peak, s.Min, s.Total)
}

// MoveTo moves the optimizer's moments to device d in place; the parameters
// move with their model (core.Params.MoveTo).
func (o *AdamW) MoveTo(d core.Device) error {
	return core.MoveAll(d, append(append([]*core.Tensor(nil), o.M...), o.V...)...)
}
