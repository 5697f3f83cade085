package ops

import (
	"fmt"
	"math"

	"xprompt/core"
)

// adamwConsts are the per-step constants of AdamW, laid out for adamwAVX512.
type adamwConsts struct {
	beta1, oneMinusBeta1, beta2, oneMinusBeta2 float32
	rbc2                                       float32 // 1/√(1 − β2ᵗ)
	eps                                        float32
	decay                                      float32 // 1 − lr·λ
	stepSize                                   float32 // lr/(1 − β1ᵗ)
}

func (cpuBackend) AdamW(p, g, m, v *core.Tensor, c core.AdamWConfig) {
	if p.Len() != g.Len() || p.Len() != m.Len() || p.Len() != v.Len() || c.Step < 1 {
		panic(fmt.Sprintf("cpu.AdamW: p %v, g %v, m %v, v %v, step %d", p.Dims(), g.Dims(), m.Dims(), v.Dims(), c.Step))
	}
	parallelArgs(p.Len(), elemChunk, adamwArgs{p.Data, g.Data, m.Data, v.Data, newAdamwConsts(c)}, func(a *adamwArgs, lo, hi int) {
		adamwRow(a.ps[lo:hi], a.gs[lo:hi], a.ms[lo:hi], a.vs[lo:hi], &a.k)
	})
}

// newAdamwConsts returns the per-step constants of c.
func newAdamwConsts(c core.AdamWConfig) adamwConsts {
	bc1 := 1 - math.Pow(float64(c.Beta1), float64(c.Step))
	bc2 := 1 - math.Pow(float64(c.Beta2), float64(c.Step))
	return adamwConsts{beta1: c.Beta1, oneMinusBeta1: 1 - c.Beta1, beta2: c.Beta2, oneMinusBeta2: 1 - c.Beta2,
		rbc2: float32(1 / math.Sqrt(bc2)), eps: c.Eps, decay: 1 - c.LR*c.WeightDecay, stepSize: float32(float64(c.LR) / bc1)}
}

// adamwRow updates p, m and v from g: adamwAVX512 where available, else
// adamwRowGo.
func adamwRow(ps, gs, ms, vs []float32, k *adamwConsts) {
	if attnAVX512 {
		adamwAVX512(ps, gs, ms, vs, k)
		return
	}
	adamwRowGo(ps, gs, ms, vs, k)
}

// adamwSegment is one parameter's stretch of a single AdamW pass over all
// parameters: its values are [off, off+len(p)) of the concatenation.
type adamwSegment struct {
	off        int
	p, g, m, v []float32
	k          *adamwConsts
}

// adamwAll updates every segment in one parallel pass over the
// concatenation of their values (total of them, segments in order of off):
// each chunk updates the parts of the segments it covers, every value as
// cpuBackend.AdamW updates it.
func adamwAll(segs []adamwSegment, total int) {
	parallelArgs(total, elemChunk, segs, func(segs *[]adamwSegment, lo, hi int) {
		s := *segs
		i, j := 0, len(s) // first segment ending after lo
		for i < j {
			h := int(uint(i+j) >> 1)
			if s[h].off+len(s[h].p) <= lo {
				i = h + 1
			} else {
				j = h
			}
		}
		for ; i < len(s) && s[i].off < hi; i++ {
			g := &s[i]
			a, b := max(lo, g.off)-g.off, min(hi, g.off+len(g.p))-g.off
			adamwRow(g.p[a:b], g.g[a:b], g.m[a:b], g.v[a:b], g.k)
		}
	})
}

// adamwArgs are AdamW's operands for parallelArgs.
type adamwArgs struct {
	ps, gs, ms, vs []float32
	k              adamwConsts
}

// adamwRowGo updates p, m and v from g: the portable reference of
// adamwAVX512 (same operations in the same order).
func adamwRowGo(ps, gs, ms, vs []float32, k *adamwConsts) {
	gs, ms, vs = gs[:len(ps)], ms[:len(ps)], vs[:len(ps)]
	for i, gi := range gs {
		mi := k.beta1*ms[i] + k.oneMinusBeta1*gi
		vi := k.beta2*vs[i] + k.oneMinusBeta2*gi*gi
		ms[i], vs[i] = mi, vi
		denom := float32(math.Sqrt(float64(vi)))*k.rbc2 + k.eps
		ps[i] = ps[i]*k.decay - k.stepSize*mi/denom
	}
}
