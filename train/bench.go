package train

import (
	"fmt"
	"runtime"
	"sort"
	"time"

	"xprompt/core"
	"xprompt/model"
	"xprompt/ops"
)

// BenchResult is the outcome of a training-step benchmark.
type BenchResult struct {
	Preset     string  `json:"preset"`
	Device     string  `json:"device"`
	Threads    int     `json:"threads"`
	Params     int     `json:"params"`
	StepMS     float64 `json:"step_ms"`
	TokensPerS float64 `json:"tokens_per_s"`
	GFLOPS     float64 `json:"gflops"`
	Loss       float64 `json:"loss"`
}

// BenchBatch returns a batch of random tokens with the segment layout of the
// PyTorch peer (bench/peers/torch_train_step.py): [BOS][IE: 40% of the
// rest][XP: S][TD: the rest], every position a target, X-Prompt mask.
func BenchBatch(cfg model.Config, b int, seed uint64) *model.Batch {
	t := cfg.SeqLen
	rng := core.NewRNG(seed)
	ie := (t - 1 - cfg.XP) * 2 / 5
	bt := &model.Batch{B: b, T: t, Kind: core.MaskXPrompt}
	v := cfg.Vocab.Size()
	for s := 0; s < b; s++ {
		for i := 0; i < t; i++ {
			seg, tok := core.SegTD, int32(rng.IntN(v))
			switch {
			case i == 0:
				seg = core.SegBOS
			case i < 1+ie:
				seg = core.SegIE
			case i < 1+ie+cfg.XP:
				seg, tok = core.SegXP, int32(-1-(i-1-ie))
			}
			bt.Tokens = append(bt.Tokens, tok)
			bt.Seg = append(bt.Seg, seg)
			bt.Targets = append(bt.Targets, int32(rng.IntN(v)))
			bt.Weights = append(bt.Weights, 1)
		}
	}
	return bt
}

// FlopsPerToken estimates training flops per token: 6 per parameter of the
// matrix products plus attention (12·L·T·D, halved for causality).
func FlopsPerToken(cfg model.Config) float64 {
	d, h, l := float64(cfg.D), float64(cfg.Hidden), float64(cfg.Layers)
	matmul := l*(4*d*d+3*d*h) + float64(cfg.Vocab.Size())*d
	return 6*matmul + 6*l*float64(cfg.SeqLen)*d
}

// BenchStep times forward + backward + AdamW steps of a fresh model of cfg
// on batches of b random sequences and returns the median step.
func BenchStep(cfg model.Config, b, warmup, steps, threads int) (BenchResult, error) {
	return BenchStepOn(core.CPU, cfg, b, warmup, steps, threads)
}

// BenchStepOn is BenchStep with the model and optimizer on device d; each
// step ends by reading the loss back, so a step's time includes its device work.
func BenchStepOn(d core.Device, cfg model.Config, b, warmup, steps, threads int) (BenchResult, error) {
	if threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
	}
	m, err := model.New(cfg, 1)
	if err != nil {
		return BenchResult{}, err
	}
	if err := m.Params.MoveTo(d); err != nil {
		return BenchResult{}, err
	}
	opt := ops.NewAdamW(m.Params.List(), 0.1)
	batch := BenchBatch(cfg, b, 2)
	var times []time.Duration
	var loss float32
	step := NewTrainStep(m, opt)
	for i := 0; i < warmup+steps; i++ {
		start := time.Now()
		loss = step.Run(batch, 3e-4)
		if i >= warmup {
			times = append(times, time.Since(start))
		}
	}
	if len(times) == 0 {
		return BenchResult{}, fmt.Errorf("bench: no timed steps")
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	med := times[len(times)/2].Seconds()
	toks := float64(b*cfg.SeqLen) / med
	return BenchResult{Preset: cfg.Preset, Device: string(d), Threads: runtime.GOMAXPROCS(0), Params: m.Params.Count(),
		StepMS: med * 1e3, TokensPerS: toks, GFLOPS: toks * FlopsPerToken(cfg) / 1e9, Loss: float64(loss)}, nil
}

// TrainStep is one forward + backward + AdamW step of a model whose tensors
// live in a step-scoped core.Arena: after the first step it makes no new
// tensor storage on the Go heap.
type TrainStep struct {
	Model *model.Model
	Opt   *ops.AdamW
	Arena *core.Arena
}

// NewTrainStep returns a step for m and opt with an empty arena.
func NewTrainStep(m *model.Model, opt *ops.AdamW) *TrainStep {
	return &TrainStep{Model: m, Opt: opt, Arena: core.NewArena()}
}

// Run takes one step on batch with learning rate lr and returns the loss.
func (s *TrainStep) Run(batch *model.Batch, lr float32) float32 {
	s.Opt.ZeroGrad()
	s.Arena.Reset()
	var loss float32
	core.WithArena(s.Arena, func() {
		l := s.Model.Loss(batch)
		l.Backward()
		s.Opt.Step(lr)
		loss = l.Item()
	})
	return loss
}
