package ops

import (
	"testing"

	"xprompt/core"
)

// BenchmarkAdamWStep times one AdamW step over the small preset's parameter
// shapes: one kernel call per tensor ("per_tensor", stepEach) and the single
// pass over all of them ("one_pass", Step).
func BenchmarkAdamWStep(b *testing.B) {
	const d, hidden, v, layers = 256, 704, 1048, 6
	shapes := [][]int{{v - 8, d}, {8, d}}
	for l := 0; l < layers; l++ {
		shapes = append(shapes, []int{d}, []int{3 * d, d}, []int{d, d}, []int{d}, []int{2 * hidden, d}, []int{d, hidden})
	}
	shapes = append(shapes, []int{d})
	r := core.NewRNG(2)
	var params []*core.Tensor
	for _, s := range shapes {
		p := core.New(randData(r, size(s)), s...).SetRequiresGrad(true)
		p.AccumulateGrad(randData(r, size(s)))
		params = append(params, p)
	}
	o := NewAdamW(params, 0.1)
	arena := core.NewArena()
	for _, c := range []struct {
		name string
		step func(lr float32)
	}{{"per_tensor", func(lr float32) { o.Steps++; o.stepEach(lr) }}, {"one_pass", o.Step}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				core.WithArena(arena, func() { c.step(1e-3) })
				arena.Reset()
			}
		})
	}
}
