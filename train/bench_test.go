package train

import (
	"math"
	"testing"

	"xprompt/model"
)

func TestBenchStepTrains(t *testing.T) {
	cfg := model.Presets["tiny"]
	r, err := BenchStep(cfg, 2, 0, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.TokensPerS <= 0 || math.IsNaN(r.Loss) || r.Params != 2*(4*64*64+3*64*cfg.Hidden+2*64)+(cfg.Vocab.Size()+cfg.XP)*64+64 {
		t.Fatalf("bench result %+v: want positive throughput, finite loss, exact parameter count", r)
	}
}

func BenchmarkTrainStep(b *testing.B) {
	for _, p := range []string{"tiny", "small"} {
		b.Run(p, func(b *testing.B) {
			cfg := model.Presets[p]
			r, err := BenchStep(cfg, 8, 1, b.N, 0)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(r.TokensPerS, "tokens/s")
			b.ReportMetric(r.GFLOPS, "GFLOP/s")
		})
	}
}
