package ops

import (
	"fmt"
	"math"

	"xprompt/core"
)

func (cpuBackend) AdamW(p, g, m, v *core.Tensor, c core.AdamWConfig) {
	if p.Len() != g.Len() || p.Len() != m.Len() || p.Len() != v.Len() || c.Step < 1 {
		panic(fmt.Sprintf("cpu.AdamW: p %v, g %v, m %v, v %v, step %d", p.Dims(), g.Dims(), m.Dims(), v.Dims(), c.Step))
	}
	bc1 := 1 - math.Pow(float64(c.Beta1), float64(c.Step))
	bc2 := 1 - math.Pow(float64(c.Beta2), float64(c.Step))
	stepSize := float32(float64(c.LR) / bc1)
	rbc2 := float32(1 / math.Sqrt(bc2))
	decay := 1 - c.LR*c.WeightDecay
	ps, gs, ms, vs := p.Data, g.Data, m.Data, v.Data
	parallelFor(len(ps), elemChunk, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gi := gs[i]
			mi := c.Beta1*ms[i] + (1-c.Beta1)*gi
			vi := c.Beta2*vs[i] + (1-c.Beta2)*gi*gi
			ms[i], vs[i] = mi, vi
			denom := float32(math.Sqrt(float64(vi)))*rbc2 + c.Eps
			ps[i] = ps[i]*decay - stepSize*mi/denom
		}
	})
}
