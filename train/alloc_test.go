package train

import (
	"runtime"
	"testing"

	"xprompt/model"
	"xprompt/ops"
)

// TestTrainStepAllocations checks that after warm-up a training step takes
// its tensor storage from the step arena: the Go heap sees a small, fixed
// number of small objects (tensor headers, tape nodes, tasks), not the
// step's activations and gradients.
func TestTrainStepAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own (and empties sync.Pool at random): heap figures mean nothing under -race")
	}
	cfg := model.Presets["tiny"]
	m, err := model.New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	step := NewTrainStep(m, ops.NewAdamW(m.Params.List(), 0.1))
	batch := BenchBatch(cfg, 2, 3)
	step.Run(batch, 1e-3) // warm-up: the arena takes its buffers
	step.Run(batch, 1e-3)
	const runs = 3
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	allocs := testing.AllocsPerRun(runs, func() { step.Run(batch, 1e-3) })
	runtime.ReadMemStats(&after)
	perStep := float64(after.TotalAlloc-before.TotalAlloc) / (runs + 1) // AllocsPerRun adds a warm-up run
	arena := step.Arena.Bytes()
	t.Logf("per step after warm-up: %.0f allocations, %.0f KiB; arena holds %d KiB", allocs, perStep/1024, arena>>10)
	if perStep > float64(arena)/10 {
		t.Errorf("a step allocates %.0f KiB on the heap, more than a tenth of its %d KiB of tensors", perStep/1024, arena>>10)
	}
	if allocs > 1500 {
		t.Errorf("%.0f heap allocations per step, want at most 1500 (tensor headers, tape nodes, tasks)", allocs)
	}
}
