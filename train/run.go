package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"xprompt/core"
	"xprompt/data"
	"xprompt/model"
	"xprompt/ops"
	"xprompt/text"
)

// Options configures a training run.
type Options struct {
	Preset      string
	Steps       int     // total steps of the schedule
	Batch       int     // sequences per micro-batch
	Accum       int     // micro-batches per step (gradient accumulation)
	LR, MinLR   float32 // peak and final learning rate
	Warmup      int
	WeightDecay float32
	Clip        float64 // global gradient-norm limit (0: none)
	Seed        uint64
	// ExampleWeight is the loss weight of in-context examples' outputs.
	ExampleWeight float32
	// ChangedWeight multiplies the loss weight of output image codes that
	// differ from the input's (model.Builder.ChangedWeight; 0: none).
	ChangedWeight float32 `json:",omitempty"`
	// EMA, when in (0, 1), keeps an exponential moving average of the
	// weights with this decay (weightAverage), saved in checkpoints.
	EMA  float32 `json:",omitempty"`
	Data data.Config
	// XP overrides the preset's number of X-Prompt tokens S when positive
	// (the compression sweep); with InitFrom it resizes the model's
	// (model.Model.WithXP).
	XP int
	// Layers overrides the preset's depth when positive; with InitFrom it
	// adds layers to the model's (model.Model.WithLayers), at zero output.
	Layers int `json:",omitempty"`
	// ImagePos2D gives the model learned row and column embeddings for
	// image tokens (model.Config.ImagePos2D); with InitFrom it adds them,
	// at zero, to a model that has none.
	ImagePos2D bool
}

// DefaultOptions returns the options of a preset.
func DefaultOptions(preset string) Options {
	o := Options{Preset: preset, Steps: 2000, Batch: 8, Accum: 1, LR: 2e-3, MinLR: 1e-4, Warmup: 100,
		WeightDecay: 0.05, Clip: 1, Seed: 1, ExampleWeight: 0.5, Data: data.DefaultConfig()}
	if preset == "tiny" {
		o.Steps, o.LR = 500, 3e-3
	}
	return o
}

// Progress is reported after every step.
type Progress struct {
	Step, Total int
	Loss        float64
	LR          float32
	GradNorm    float64
	TokensPerS  float64
	Elapsed     time.Duration
}

// ErrNonFinite is returned when the loss or the gradients stop being finite.
var ErrNonFinite = errors.New("non-finite loss or gradient")

// Run is a training run: model, optimizer, data stream, and history. Its
// state changes only at step boundaries, so an interrupted run is consistent.
type Run struct {
	Opts     Options
	Model    *model.Model
	Opt      *ops.AdamW
	Text     *text.Tokenizer
	Pipe     *data.Pipeline
	Step     int
	History  []float32 // loss per step
	Tokens   int64     // tokens processed
	rng      *core.RNG // data stream
	vqBlob   []byte
	schedule ops.Schedule
	arena    *core.Arena    // one step's activations and gradients, reset at the start of each step
	avg      *weightAverage // nil unless Opts.EMA > 0
}

// NewRun starts a run from scratch with the given tokenizers. vqBlob is the
// image tokenizer's serialisation, stored with checkpoints.
func NewRun(o Options, tok *text.Tokenizer, codec data.ImageCodec, vqBlob []byte) (*Run, error) {
	cfg, err := model.Preset(o.Preset)
	if err != nil {
		return nil, err
	}
	if o.XP > 0 {
		cfg.XP = o.XP
	}
	if o.Layers > 0 {
		cfg.Layers = o.Layers
	}
	cfg.ImagePos2D = o.ImagePos2D
	m, err := model.New(cfg, o.Seed)
	if err != nil {
		return nil, err
	}
	return newRun(o, m, tok, codec, vqBlob)
}

// NewRunFrom continues training an existing model (for example one loaded
// for inference) with fresh optimizer state.
func NewRunFrom(o Options, m *model.Model, tok *text.Tokenizer, codec data.ImageCodec, vqBlob []byte) (*Run, error) {
	o.Preset = m.Cfg.Preset
	return newRun(o, m, tok, codec, vqBlob)
}

func newRun(o Options, m *model.Model, tok *text.Tokenizer, codec data.ImageCodec, vqBlob []byte) (*Run, error) {
	if o.Batch < 1 || o.Accum < 1 || o.Steps < 1 {
		return nil, fmt.Errorf("train: batch %d, accumulation %d and steps %d must be positive", o.Batch, o.Accum, o.Steps)
	}
	pipe, err := data.NewPipeline(o.Data, m.Cfg, tok, codec, o.ExampleWeight)
	if err != nil {
		return nil, err
	}
	if !(o.ChangedWeight >= 0 && o.ChangedWeight <= 100) { // false for NaN
		return nil, fmt.Errorf("train: changed-code weight %v outside [0, 100]", o.ChangedWeight)
	}
	pipe.Builder.ChangedWeight = o.ChangedWeight
	if !(o.EMA >= 0 && o.EMA < 1) { // false for NaN
		return nil, fmt.Errorf("train: weight-average decay %v outside [0, 1)", o.EMA)
	}
	r := &Run{Opts: o, Model: m, Opt: ops.NewAdamW(m.Params.List(), o.WeightDecay), Text: tok, Pipe: pipe,
		rng: core.NewRNG(o.Seed ^ 0x5eed), vqBlob: vqBlob}
	r.schedule = ops.Schedule{Peak: o.LR, Min: o.MinLR, Warmup: o.Warmup, Total: o.Steps}
	if o.EMA > 0 {
		r.avg = newWeightAverage(m.Params.List(), o.EMA)
	}
	return r, nil
}

// MoveTo moves the run's model and optimizer moments to device d in place;
// the data pipeline stays on the host and batches are built there.
func (r *Run) MoveTo(d core.Device) error {
	if err := r.Model.Params.MoveTo(d); err != nil {
		return err
	}
	return r.Opt.MoveTo(d)
}

// SetSteps changes the total length of the run's schedule (warmup, then
// cosine decay ending at the new total).
func (r *Run) SetSteps(total int) {
	r.Opts.Steps = total
	r.schedule.Total = total
}

// Train runs n more steps (or until the schedule ends, when n ≤ 0). It stops
// at a step boundary when ctx is cancelled, returning ctx's error with the
// run intact. progress, if set, is called after every step.
func (r *Run) Train(ctx context.Context, n int, progress func(Progress)) error {
	if n <= 0 {
		n = r.Opts.Steps - r.Step
	}
	start := time.Now()
	var toks int64
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		loss, gnorm, ntok, err := r.step()
		if err != nil {
			return err
		}
		toks += int64(ntok)
		if progress != nil {
			el := time.Since(start)
			progress(Progress{Step: r.Step, Total: r.Opts.Steps, Loss: loss, LR: r.schedule.LR(r.Step - 1),
				GradNorm: gnorm, TokensPerS: float64(toks) / el.Seconds(), Elapsed: el})
		}
	}
	return nil
}

// maxSeqLen bounds a training sequence: 4·SeqLen per in-context example
// (at least one). It guards against a runaway layout, not a model limit:
// RoPE has no position table, and Config.SeqLen is the benchmark's length.
// With the default mix a sequence of one example reaches 1.2·SeqLen on the
// small preset and 2.1·SeqLen on tiny (whose SeqLen is short), and each
// further example adds about 190 tokens (0.6·SeqLen small, 1·SeqLen tiny).
func (r *Run) maxSeqLen() int {
	return 4 * r.Model.Cfg.SeqLen * max(1, r.Opts.Data.Examples)
}

// step runs one optimizer step. On a non-finite loss or gradient nothing is
// changed and ErrNonFinite is returned.
func (r *Run) step() (loss, gnorm float64, tokens int, err error) {
	o := r.Opts
	params := r.Model.Params.List()
	r.Opt.ZeroGrad()
	if r.arena == nil {
		r.arena = core.NewArena()
	}
	r.arena.Reset() // the previous step's activations and gradients (dropped by ZeroGrad)
	rngState, _ := r.rng.State()
	for a := 0; a < o.Accum; a++ {
		seqs, err := r.Pipe.Sequences(r.rng.Rand(), o.Batch)
		if err != nil {
			return 0, 0, 0, err
		}
		b, err := model.Collate(seqs, r.maxSeqLen(), r.Model.Cfg.Vocab.Tok(model.Pad))
		if err != nil {
			return 0, 0, 0, err
		}
		tokens += b.B * b.T
		core.WithArena(r.arena, func() {
			l := r.Model.Loss(b)
			loss += float64(l.Item()) / float64(o.Accum)
			if o.Accum > 1 {
				l = ops.Scale(l, 1/float32(o.Accum))
			}
			l.Backward()
		})
	}
	core.WithArena(r.arena, func() { gnorm = ops.ClipGradNorm(params, o.Clip) }) // its scratch is the step's
	if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsNaN(gnorm) || math.IsInf(gnorm, 0) {
		r.Opt.ZeroGrad()
		r.rng.SetState(rngState)
		return loss, gnorm, 0, fmt.Errorf("train: step %d: loss %g, gradient norm %g: %w", r.Step+1, loss, gnorm, ErrNonFinite)
	}
	core.WithArena(r.arena, func() { r.Opt.Step(r.schedule.LR(r.Step)) })
	if r.avg != nil {
		r.avg.update(params, r.Step)
	}
	r.Opt.ZeroGrad()
	r.Step++
	r.History = append(r.History, float32(loss))
	r.Tokens += int64(tokens)
	return loss, gnorm, tokens, nil
}

// runState is the training loop's part of a checkpoint.
type runState struct {
	Opts    Options   `json:"options"`
	Step    int       `json:"step"`
	History []float32 `json:"history"`
	Tokens  int64     `json:"tokens"`
	RNG     []byte    `json:"rng"`
}

// Checkpoint returns the run as a checkpoint (weights, tokenizers,
// optimizer moments, data-stream state and history).
func (r *Run) Checkpoint() (*model.Checkpoint, error) {
	st, err := r.rng.State()
	if err != nil {
		return nil, err
	}
	state, err := json.Marshal(runState{Opts: r.Opts, Step: r.Step, History: r.History, Tokens: r.Tokens, RNG: st})
	if err != nil {
		return nil, err
	}
	tb, err := r.Text.MarshalBinary()
	if err != nil {
		return nil, err
	}
	optim := &model.OptimState{Steps: r.Opt.Steps, M: r.Opt.M, V: r.Opt.V}
	if r.avg != nil {
		optim.EMA = r.avg.w
	}
	return &model.Checkpoint{Model: r.Model, Text: tb, VQ: r.vqBlob, Train: state, Optim: optim}, nil
}

// Save writes the run's checkpoint atomically (float32, resumable).
func (r *Run) Save(path string) error {
	ck, err := r.Checkpoint()
	if err != nil {
		return err
	}
	return ck.Save(path, false)
}

// Resume continues a run from a checkpoint written by Save; codec must be
// the image tokenizer stored in it.
func Resume(ck *model.Checkpoint, codec data.ImageCodec) (*Run, error) {
	var st runState
	if err := json.Unmarshal(ck.Train, &st); err != nil {
		return nil, fmt.Errorf("checkpoint has no usable training state: %w", err)
	}
	tok, err := checkpointText(ck)
	if err != nil {
		return nil, err
	}
	r, err := newRun(st.Opts, ck.Model, tok, codec, ck.VQ)
	if err != nil {
		return nil, err
	}
	r.Step, r.History, r.Tokens = st.Step, st.History, st.Tokens
	if err := r.rng.SetState(st.RNG); err != nil {
		return nil, fmt.Errorf("checkpoint data-stream state: %w", err)
	}
	if ck.Optim != nil {
		r.Opt.Steps = ck.Optim.Steps
		for i := range r.Opt.M {
			copy(r.Opt.M[i].Data, ck.Optim.M[i].Data)
			copy(r.Opt.V[i].Data, ck.Optim.V[i].Data)
		}
	}
	if r.avg != nil && ck.Optim != nil && len(ck.Optim.EMA) > 0 {
		for i := range r.avg.w {
			copy(r.avg.w[i].Data, ck.Optim.EMA[i].Data)
		}
	}
	return r, nil
}

// InitFrom starts a new run (step 0, fresh optimizer and schedule from o)
// from the weights and text tokenizer of a checkpoint: fine-tuning. codec
// and vqBlob are the image tokenizer, normally the checkpoint's own.
func InitFrom(o Options, ck *model.Checkpoint, codec data.ImageCodec, vqBlob []byte) (*Run, error) {
	tok, err := checkpointText(ck)
	if err != nil {
		return nil, err
	}
	if o.ImagePos2D && !ck.Model.Cfg.ImagePos2D {
		if err := ck.Model.AddImagePos2D(); err != nil {
			return nil, err
		}
	}
	m := ck.Model
	if o.XP > 0 && o.XP != m.Cfg.XP {
		if m, err = m.WithXP(o.XP); err != nil {
			return nil, err
		}
	}
	if o.Layers > 0 && o.Layers != m.Cfg.Layers {
		if m, err = m.WithLayers(o.Layers); err != nil {
			return nil, err
		}
	}
	return NewRunFrom(o, m, tok, codec, vqBlob)
}

// checkpointText decodes a checkpoint's text tokenizer.
func checkpointText(ck *model.Checkpoint) (*text.Tokenizer, error) {
	tok := &text.Tokenizer{}
	if err := tok.UnmarshalBinary(ck.Text); err != nil {
		return nil, fmt.Errorf("checkpoint text tokenizer: %w", err)
	}
	return tok, nil
}
