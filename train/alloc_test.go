package train

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"xprompt/model"
	"xprompt/ops"
)

// TestTrainStepAllocations checks that after warm-up a training step makes
// no allocation on the Go heap: tensor storage, tensor headers, tape nodes,
// backward rules, worker tasks and kernel scratch come from the step arena
// or from free lists that survive garbage collections (two run between
// warm-up and measurement). It runs at several GOMAXPROCS so that the
// parallel paths are the ones measured (testing.AllocsPerRun would pin
// GOMAXPROCS to 1); at 8, attention's 8 heads (B=2, H=4) go one per worker,
// and with B=1 its key tiles are shared among workers.
//
// Allocations are read from the heap profile (every allocation sampled) and
// attributed by stack, so that the Go runtime's own bookkeeping (a sudog
// where a goroutine blocks and its caches are empty, an M when it starts an
// OS thread, both common on a loaded machine) is told apart from the step's.
func TestTrainStepAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own: heap figures mean nothing under -race")
	}
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 1
	for _, c := range []struct{ procs, batch int }{{1, 2}, {2, 2}, {8, 2}, {8, 1}} {
		t.Run(fmt.Sprintf("procs=%d,B=%d", c.procs, c.batch), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
			cfg := model.Presets["tiny"]
			m, err := model.New(cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			step := NewTrainStep(m, ops.NewAdamW(m.Params.List(), 0.1))
			batch := BenchBatch(cfg, c.batch, 3)
			for range 3 { // warm-up: the arena takes its buffers and slabs
				step.Run(batch, 1e-3)
			}
			// A free list grows when more GEMMs run at once than ever before,
			// which preemption on a loaded machine can bring about after
			// warm-up: a one-time cost. A window of steps that allocates is
			// measured again; an allocation in every step fails all three.
			const steps, windows = 4, 3
			var ours int64
			var where []string
			for w := 1; w <= windows; w++ {
				ours, where = stepAllocations(t, step, batch, steps)
				if ours == 0 {
					break
				}
			}
			if ours != 0 {
				t.Errorf("%d heap allocations in %d steps after warm-up, in each of %d windows, want 0; the last window's:\n%s", ours, steps, windows, strings.Join(where, "\n"))
			}
		})
	}
}

// stepAllocations runs steps training steps and returns the heap
// allocations the step made (by stack) between two profile readings; the
// runtime's own bookkeeping is logged, not counted.
func stepAllocations(t *testing.T, step *TrainStep, batch *model.Batch, steps int) (int64, []string) {
	t.Helper()
	before := profiledAllocs() // runs two collections
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for range steps {
		step.Run(batch, 1e-3)
	}
	runtime.ReadMemStats(&ms1)
	after := profiledAllocs()
	var ours, runtimes int64
	var where []string
	for stack, n := range after {
		n -= before[stack]
		if n <= 0 {
			continue
		}
		switch kind, frames := classify(stack); kind {
		case "step":
			ours += n
			where = append(where, fmt.Sprintf("%d × %s", n, frames))
		case "runtime":
			runtimes += n
		}
	}
	t.Logf("%d steps after warm-up: %d heap allocations by the step, %d by the runtime's bookkeeping (MemStats: %d); arena holds %d KiB",
		steps, ours, runtimes, ms1.Mallocs-ms0.Mallocs, step.Arena.Bytes()>>10)
	return ours, where
}

// profiledAllocs returns the allocation counts of the heap profile by stack,
// after the collections that publish it.
func profiledAllocs() map[[32]uintptr]int64 {
	runtime.GC()
	runtime.GC()
	n, _ := runtime.MemProfile(nil, true)
	recs := make([]runtime.MemProfileRecord, n+256)
	n, _ = runtime.MemProfile(recs, true)
	out := make(map[[32]uintptr]int64, n)
	for _, r := range recs[:n] {
		out[r.Stack0] += r.AllocObjects
	}
	return out
}

// classify tells the allocation at stack apart: "runtime" for the Go
// runtime's bookkeeping, "step" when the innermost caller from this module
// is not the test itself, "" for the rest (the test, its profile reading,
// other goroutines of the testing package).
func classify(stack [32]uintptr) (kind, frames string) {
	var names []string
	pcs := stack[:]
	for i, pc := range pcs {
		if pc == 0 {
			pcs = pcs[:i]
			break
		}
	}
	fr := runtime.CallersFrames(pcs)
	for {
		f, more := fr.Next()
		names = append(names, f.Function)
		if !more {
			break
		}
	}
	frames = strings.Join(names, " ← ")
	for _, name := range names {
		if name == "runtime.acquireSudog" || name == "runtime.allocm" {
			return "runtime", frames
		}
	}
	for _, name := range names { // innermost first: who in this module allocated
		switch {
		case strings.HasPrefix(name, "xprompt/train.TestTrainStepAllocations"), strings.HasPrefix(name, "xprompt/train.profiledAllocs"):
			return "", frames
		case strings.HasPrefix(name, "xprompt/"):
			return "step", frames
		}
	}
	return "", frames
}
