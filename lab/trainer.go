package lab

import (
	"context"

	"xprompt/data"
	"xprompt/model"
	"xprompt/text"
)

// TrainOptions are the training options of a model the lab trains. The
// fields, their order and their JSON are those of the training loop's
// options (cmd/xprompt's `train` flags), so that a Trainer converts them
// with a plain struct conversion and the cache keys of checkpoints
// (a hash of the options' JSON) do not depend on which package defines
// them.
type TrainOptions struct {
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
	// differ from the input's (0: none).
	ChangedWeight float32 `json:",omitempty"`
	// EMA keeps a moving average of the weights with this decay (0: none).
	EMA  float32 `json:",omitempty"`
	Data data.Config
	// XP overrides the preset's number of X-Prompt tokens S when positive.
	XP int
	// Layers overrides the preset's depth when positive.
	Layers int `json:",omitempty"`
	// ImagePos2D gives the model learned row and column embeddings for
	// image tokens (model.Config.ImagePos2D).
	ImagePos2D bool
}

// Trainer trains the lab's models. The lab does not depend on the training
// loop: cmd/xprompt passes one backed by package train (lab/labtrain).
type Trainer interface {
	// Defaults returns the training options of a model preset.
	Defaults(preset string) TrainOptions
	// Start returns a new run of options o with text tokenizer tok and
	// image tokenizer codec, whose serialisation vqBlob goes into the
	// run's checkpoints.
	Start(o TrainOptions, tok *text.Tokenizer, codec data.ImageCodec, vqBlob []byte) (TrainRun, error)
	// Resume returns the run saved in checkpoint ck.
	Resume(ck *model.Checkpoint, codec data.ImageCodec) (TrainRun, error)
}

// TrainRun is a training run: a model with its tokenizers, optimizer
// state and loss history, which changes only at step boundaries.
type TrainRun interface {
	// Options returns the run's options.
	Options() TrainOptions
	// Step returns the number of steps done.
	Step() int
	// Train runs n more steps, calling progress after each with the step
	// number, the total and the step's loss. Cancelling ctx stops it at a
	// step boundary with ctx's error.
	Train(ctx context.Context, n int, progress func(step, total int, loss float64)) error
	// Checkpoint returns the run's state (model, tokenizers, optimizer,
	// history) as a checkpoint.
	Checkpoint() (*model.Checkpoint, error)
	// History returns the loss of every step done.
	History() []float32
	// Model returns the model being trained.
	Model() *model.Model
	// Text returns the run's text tokenizer.
	Text() *text.Tokenizer
}
