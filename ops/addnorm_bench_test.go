package ops

import (
	"testing"

	"xprompt/core"
)

// BenchmarkAddRMSNorm times forward+backward of a residual add and the norm
// after it at the small preset's step (2688 rows of 256), inside a step
// arena, with s also consumed by the next residual add as in the model:
// "composed" is Add then RMSNorm, "fused" is AddRMSNorm. Both record the
// same extra Add(s, h) as the root.
func BenchmarkAddRMSNorm(b *testing.B) {
	const n, d = 2688, 256
	r := core.NewRNG(4)
	xData, yData, gData := randData(r, n*d), randData(r, n*d), randData(r, n*d)
	for _, c := range []struct {
		name string
		f    func(x, y, w *core.Tensor, eps float32) (s, h *core.Tensor)
	}{{"composed", addRMSNormComposed}, {"fused", AddRMSNorm}} {
		b.Run(c.name, func(b *testing.B) {
			arena := core.NewArena()
			x := core.New(xData, n, d).SetRequiresGrad(true)
			y := core.New(yData, n, d).SetRequiresGrad(true)
			w := core.Ones(d).SetRequiresGrad(true)
			g := core.New(gData, n, d)
			for i := 0; i < b.N; i++ {
				core.WithArena(arena, func() {
					s, h := c.f(x, y, w, 1e-5)
					Add(s, h).BackwardWith(g)
					x.ZeroGrad()
					y.ZeroGrad()
					w.ZeroGrad()
				})
				arena.Reset()
			}
		})
	}
}
