package labtrain

import (
	"context"

	"xprompt/data"
	"xprompt/lab"
	"xprompt/model"
	"xprompt/text"
	"xprompt/train"
)

// Trainer is a lab.Trainer that trains with train.NewRun and resumes with
// train.Resume.
type Trainer struct{}

var _ lab.Trainer = Trainer{}

// Defaults returns train.DefaultOptions(preset).
func (Trainer) Defaults(preset string) lab.TrainOptions {
	return lab.TrainOptions(train.DefaultOptions(preset))
}

// Start returns train.NewRun(o, tok, codec, vqBlob).
func (Trainer) Start(o lab.TrainOptions, tok *text.Tokenizer, codec data.ImageCodec, vqBlob []byte) (lab.TrainRun, error) {
	r, err := train.NewRun(train.Options(o), tok, codec, vqBlob)
	if err != nil {
		return nil, err
	}
	return Run{r}, nil
}

// Resume returns train.Resume(ck, codec).
func (Trainer) Resume(ck *model.Checkpoint, codec data.ImageCodec) (lab.TrainRun, error) {
	r, err := train.Resume(ck, codec)
	if err != nil {
		return nil, err
	}
	return Run{r}, nil
}

// Run is a lab.TrainRun over a *train.Run.
type Run struct{ *train.Run }

// Options returns the run's options.
func (r Run) Options() lab.TrainOptions { return lab.TrainOptions(r.Opts) }

// Step returns the number of steps done.
func (r Run) Step() int { return r.Run.Step }

// History returns the loss of every step done.
func (r Run) History() []float32 { return r.Run.History }

// Model returns the model being trained.
func (r Run) Model() *model.Model { return r.Run.Model }

// Text returns the run's text tokenizer.
func (r Run) Text() *text.Tokenizer { return r.Run.Text }

// Train runs n more steps (train.Run.Train), reporting each step's number,
// the total and the loss.
func (r Run) Train(ctx context.Context, n int, progress func(step, total int, loss float64)) error {
	return r.Run.Train(ctx, n, func(p train.Progress) {
		if progress != nil {
			progress(p.Step, p.Total, p.Loss)
		}
	})
}
