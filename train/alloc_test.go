package train

import (
	"testing"

	"xprompt/model"
	"xprompt/ops"
)

// TestTrainStepAllocations measures heap allocations of a training step after
// warm-up. Tensor storage comes from the step arena, so the bytes allocated
// per step must stay a small fraction of one activation.
func TestTrainStepAllocations(t *testing.T) {
	cfg := model.Presets["tiny"]
	m, err := model.New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	step := NewTrainStep(m, ops.NewAdamW(m.Params.List(), 0.1))
	batch := BenchBatch(cfg, 2, 3)
	step.Run(batch, 1e-3) // warm-up: the arena takes its buffers
	allocs := testing.AllocsPerRun(3, func() { step.Run(batch, 1e-3) })
	t.Logf("allocations per step after warm-up: %.0f; arena holds %d KiB", allocs, step.Arena.Bytes()>>10)
}
