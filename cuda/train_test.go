package cuda_test

import (
	"math"
	"testing"
	"time"

	"xprompt/core"
	"xprompt/cuda"
	"xprompt/model"
	"xprompt/ops"
	"xprompt/train"
)

// trainLosses trains a fresh tiny model on device d for a few AdamW steps
// (gradient clipping included) on one fixed batch and returns the losses.
func trainLosses(t *testing.T, d core.Device, steps int) []float64 {
	t.Helper()
	cfg := model.Presets["tiny"]
	m, err := model.New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Params.MoveTo(d); err != nil {
		t.Fatal(err)
	}
	params := m.Params.List()
	opt := ops.NewAdamW(params, 0.1)
	batch := train.BenchBatch(cfg, 1, 2)
	var losses []float64
	for i := 0; i < steps; i++ {
		l := m.Loss(batch)
		opt.ZeroGrad()
		l.Backward()
		ops.ClipGradNorm(params, 1)
		opt.Step(3e-3)
		losses = append(losses, float64(l.Item()))
	}
	for _, p := range params {
		if p.Device() != d {
			t.Fatalf("parameter %s left %s for %s", p.Name(), d, p.Device())
		}
	}
	return losses
}

// TestTrainingFollowsCPU trains the tiny preset on cuda-emu and on the CPU
// from the same initialisation and checks that the loss curves agree.
func TestTrainingFollowsCPU(t *testing.T) {
	emuBackend(t)
	const steps = 3
	start := time.Now()
	want := trainLosses(t, core.CPU, steps)
	mid := time.Now()
	got := trainLosses(t, cuda.EmuDevice, steps)
	t.Logf("cpu %.1fs, cuda-emu %.1fs", mid.Sub(start).Seconds(), time.Since(mid).Seconds())
	for i := range want {
		t.Logf("step %d: loss cpu %.6f cuda-emu %.6f", i, want[i], got[i])
		if math.Abs(got[i]-want[i]) > 1e-3*math.Abs(want[i]) {
			t.Errorf("step %d: loss %.6f on cuda-emu, %.6f on the CPU", i, got[i], want[i])
		}
	}
	if !(want[steps-1] < want[0]) {
		t.Errorf("the CPU loss did not fall (%v): the comparison would show nothing", want)
	}
}

// TestDecodeFollowsCPU runs a prefill and two decoding steps with a KV cache
// (X-Prompt mask, then a kept and repeated cache) on cuda-emu and on the CPU
// and compares the logits.
func TestDecodeFollowsCPU(t *testing.T) {
	emuBackend(t)
	cfg := model.Presets["tiny"]
	v := int32(cfg.Vocab.Size())
	prefill, seg := make([]int32, 24), make([]int32, 24)
	for i := range prefill {
		prefill[i] = int32(i*37) % v
		seg[i] = core.SegTD
		if i > 0 && i < 12 {
			seg[i] = core.SegIE
		}
	}
	pos := func(start, n int) []int32 {
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(start + i)
		}
		return out
	}
	decode := func(d core.Device) [][]float32 {
		m, err := model.New(cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Params.MoveTo(d); err != nil {
			t.Fatal(err)
		}
		c := m.NewCache(1)
		var out [][]float32
		out = append(out, m.Forward(c, prefill, seg, pos(0, 24), 24, core.MaskXPrompt).HostData())
		out = append(out, m.Forward(c, []int32{5}, []int32{core.SegTD}, pos(24, 1), 1, core.MaskXPrompt).HostData())
		keep := make([]int, 20)
		for i := range keep {
			keep[i] = i + 5
		}
		c2 := c.Keep(keep).Repeat(2)
		out = append(out, m.Forward(c2, []int32{7, 9}, []int32{core.SegTD, core.SegTD}, []int32{25, 25}, 1, core.MaskXPrompt).HostData())
		return out
	}
	want, got := decode(core.CPU), decode(cuda.EmuDevice)
	for s := range want {
		worst := 0.0
		for i := range want[s] {
			worst = math.Max(worst, math.Abs(float64(got[s][i]-want[s][i])))
		}
		t.Logf("call %d: %d logits, max |cuda-emu − cpu| = %.2e", s, len(want[s]), worst)
		if worst > 1e-4 {
			t.Errorf("call %d: logits differ by up to %g", s, worst)
		}
	}
}
