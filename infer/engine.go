package infer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"xprompt/data"
	"xprompt/img"
	"xprompt/model"
	"xprompt/protocol"
	"xprompt/tasks"
	"xprompt/text"
	"xprompt/vq"
)

// Engine is a model with its tokenizers, ready to build prompts and generate.
type Engine struct {
	Model *model.Model
	Text  *text.Tokenizer
	VQ    *vq.Model
	pipe  *data.Pipeline
	// Source says where the engine was loaded from.
	Source string
	// Trained is the mask the model was trained with, when TrainedKnown
	// (the checkpoint recorded its training options).
	Trained      model.Mode
	TrainedKnown bool
}

// An Engine is what the evaluation protocol runs.
var (
	_ protocol.Generator    = (*Engine)(nil)
	_ protocol.TrainedModer = (*Engine)(nil)
)

// FromCheckpoint builds an engine from a checkpoint holding both tokenizers.
func FromCheckpoint(ck *model.Checkpoint, source string) (*Engine, error) {
	tok := &text.Tokenizer{}
	if err := tok.UnmarshalBinary(ck.Text); err != nil {
		return nil, fmt.Errorf("%s: text tokenizer: %w", source, err)
	}
	if len(ck.VQ) == 0 {
		return nil, fmt.Errorf("%s: checkpoint holds no image tokenizer", source)
	}
	vqm, err := vq.Load(bytes.NewReader(ck.VQ))
	if err != nil {
		return nil, fmt.Errorf("%s: image tokenizer: %w", source, err)
	}
	if err := ck.Model.Cfg.CheckImageTokenizer(vqm.Config.Resolution, vqm.Config.Grid(), vqm.Config.Codes); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	e, err := New(ck.Model, tok, vqm, source)
	if err != nil {
		return nil, err
	}
	e.Trained, e.TrainedKnown = trainedMode(ck)
	return e, nil
}

// trainedMode reads the mask a checkpoint's model was trained with from its
// training state (the training loop's JSON, {"options":{"Data":{"Mode":…}}}),
// and false when the checkpoint holds none.
func trainedMode(ck *model.Checkpoint) (model.Mode, bool) {
	var st struct {
		Options struct {
			Data struct{ Mode *model.Mode }
		} `json:"options"`
	}
	if len(ck.Train) == 0 || json.Unmarshal(ck.Train, &st) != nil || st.Options.Data.Mode == nil {
		return 0, false
	}
	return *st.Options.Data.Mode, true
}

// New assembles an engine from its parts.
func New(m *model.Model, tok *text.Tokenizer, vqm *vq.Model, source string) (*Engine, error) {
	p, err := data.NewPipeline(data.DefaultConfig(), m.Cfg, tok, vqm, 0)
	if err != nil {
		return nil, err
	}
	return &Engine{Model: m, Text: tok, VQ: vqm, pipe: p, Source: source}, nil
}

// LoadFile loads an engine from a checkpoint file.
func LoadFile(path string) (*Engine, error) {
	ck, err := model.Load(path)
	if err != nil {
		return nil, err
	}
	return FromCheckpoint(ck, path)
}

// TrainedMode returns the mask the model was trained with, and whether the
// checkpoint said so (protocol.TrainedModer).
func (e *Engine) TrainedMode() (model.Mode, bool) { return e.Trained, e.TrainedKnown }

// Reconstruct encodes and decodes images with the engine's image tokenizer.
func (e *Engine) Reconstruct(imgs []*img.Image) []*img.Image { return e.VQ.Reconstruct(imgs) }

// Builder returns the engine's sequence builder.
func (e *Engine) Builder() *model.Builder { return e.pipe.Builder }

// ImageSize returns the side of the images the model takes, in pixels.
func (e *Engine) ImageSize() int { return e.Model.Cfg.ImageSize }

// Pairs tokenises task examples.
func (e *Engine) Pairs(exs []tasks.Example) ([]model.Pair, error) { return e.pipe.Pairs(exs) }

// Prefix lays out [BOS][IE][XP] for the examples in the given mode.
func (e *Engine) Prefix(examples []tasks.Example, mode model.Mode) (*model.Sequence, error) {
	ps, err := e.Pairs(examples)
	if err != nil {
		return nil, err
	}
	return e.Builder().Prefix(ps, mode)
}

// Compress builds and compresses the in-context prompt of the examples.
func (e *Engine) Compress(examples []tasks.Example, mode model.Mode) (*model.CompressedPrompt, error) {
	pre, err := e.Prefix(examples, mode)
	if err != nil {
		return nil, err
	}
	return e.Model.Compress(pre)
}

// Generate produces the output image of each query from the prompt.
func (e *Engine) Generate(ctx context.Context, cp *model.CompressedPrompt, queries []tasks.Example, o model.SampleOptions) ([]*img.Image, error) {
	qs := make([]tasks.Example, len(queries))
	for i, q := range queries {
		q.Output = nil // the target is not given
		qs[i] = q
	}
	ps, err := e.Pairs(qs)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		ps[i].OutputText, ps[i].TextTarget = "", false
	}
	codes, err := e.Model.GenerateImages(ctx, e.Builder(), cp, ps, e.Model.Cfg.ImageSide, o)
	if err != nil {
		return nil, err
	}
	return e.VQ.Decode(codes), nil
}

// GenerateText produces the text target (caption, difference description)
// of each query.
func (e *Engine) GenerateText(ctx context.Context, cp *model.CompressedPrompt, queries []tasks.Example, o model.SampleOptions) ([]string, error) {
	ps, err := e.Pairs(queries)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		ps[i].Output, ps[i].OutputText, ps[i].TextTarget = nil, "", true
	}
	return e.Model.GenerateText(ctx, e.Builder(), cp, ps, 48, o)
}

// Score holds the metrics of one generated image against its ground truth.
type Score = protocol.Score

// ScoreImage compares a generated image with the ground truth
// (protocol.ScoreImage: PSNR capped at protocol.PSNRCap, SSIM, RMSE).
func ScoreImage(got, want *img.Image) (Score, error) { return protocol.ScoreImage(got, want) }

// String summarises the engine: preset, size and source.
func (e *Engine) String() string {
	c := e.Model.Cfg
	return fmt.Sprintf("Engine{%s preset, %d parameters, %d layers × %d, %d X-Prompt tokens, %d×%d images, from %s}",
		c.Preset, e.Model.Params.Count(), c.Layers, c.D, c.XP, c.ImageSize, c.ImageSize, e.Source)
}
