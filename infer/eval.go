package infer

import (
	"context"
	"fmt"

	"xprompt/img"
	"xprompt/model"
	"xprompt/protocol"
	"xprompt/tasks"
)

// EvalOptions configures an evaluation of in-context generation: a few
// queries answered from one prompt, for looking at outputs (gen, demo, the
// notebooks). For numbers worth quoting use protocol.Run (xprompt
// evaluate): many prompts, baselines, controls and clustered errors.
type EvalOptions struct {
	Examples int // in-context examples per prompt
	Queries  int // queries answered from the same compressed prompt
	// Seed draws the examples and queries (protocol.Draw); it must be a
	// development seed (below protocol.ReservedSeedBase).
	Seed  uint64
	Modes []model.Mode // default: none, xprompt
	// Sample is the decoding (zero value: greedy).
	Sample model.SampleOptions
	// HideInstruction withholds the instructions of the queries and of the
	// in-context examples: only the example images say what to do (no
	// context then leaves the model guessing).
	HideInstruction bool
	// SharedParams draws the examples and queries from the family bound by
	// the seed (protocol.DrawShared): the example makes the queries' own
	// edit — the same object, colour, place or amount — on another scene.
	SharedParams bool
}

// Result is one generated image with its ground truth and scores.
type Result struct {
	Task, Mode  string
	Query       int
	Instruction string
	Input       *img.Image // the query's input (nil for text-to-image)
	Output      *img.Image // generated
	Truth       *img.Image
	// ExampleIn and ExampleOut show the (first) in-context example.
	ExampleIn, ExampleOut *img.Image
	Score
	// Copy scores the query's input as the answer (the copy-input
	// baseline; zero for text-to-image, which has no input).
	Copy Score
	// Ceiling scores the tokenizer's reconstruction of the truth: the best
	// any generated code grid could do.
	Ceiling   Score
	PromptKV  int64 // bytes of the prompt's KV cache after compression
	FullKV    int64 // bytes before compression
	KeptToken int
}

// Evaluate generates the queries of one task family in each mode from the
// same examples and scores them against the ground truth with the
// protocol's scorer. A mode other than none must be the one the model was
// trained with when the checkpoint records it: a model is never scored
// under a mask it did not train on.
func (e *Engine) Evaluate(ctx context.Context, family string, o EvalOptions) ([]Result, error) {
	f, err := tasks.ByName(family)
	if err != nil {
		return nil, err
	}
	if f.Kind == tasks.KindText && f.Name != "text_to_image" {
		return nil, fmt.Errorf("task %s has a text target; evaluate it with GenerateText", f.Name)
	}
	if o.Queries < 1 || o.Examples < 0 {
		return nil, fmt.Errorf("evaluate: %d queries and %d examples", o.Queries, o.Examples)
	}
	if err := protocol.CheckDevelopmentSeed(o.Seed); err != nil {
		return nil, err
	}
	modes := o.Modes
	if len(modes) == 0 {
		modes = []model.Mode{model.ModeNone, model.ModeXPrompt}
	}
	for _, m := range modes {
		if m != model.ModeNone && e.TrainedKnown && m != e.Trained {
			return nil, fmt.Errorf("evaluate: %s was trained with the %s mask; scoring it under the %s mask would measure a mode it never learned (use a model trained with that mask; causal: xprompt train --ablate no-xprompt)", e.Source, e.Trained, m)
		}
	}
	drawSet := protocol.Draw
	if o.SharedParams {
		drawSet = protocol.DrawShared
	}
	set, err := drawSet(f.Name, o.Seed, o.Examples, o.Queries, e.ImageSize())
	if err != nil {
		return nil, err
	}
	if o.HideInstruction {
		set.HideInstructions()
	}
	examples, queries := set.Examples, set.Queries
	ceil := e.Reconstruct(set.Truths())
	var out []Result
	for _, mode := range modes {
		exs := examples
		if mode == model.ModeNone {
			exs = nil
		}
		cp, err := e.Compress(exs, mode)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", family, mode, err)
		}
		gen, err := e.Generate(ctx, cp, queries, o.Sample)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", family, mode, err)
		}
		for i, q := range queries {
			s, err := ScoreImage(gen[i], q.Output)
			if err != nil {
				return nil, err
			}
			c, _ := ScoreImage(ceil[i], q.Output)
			r := Result{Task: family, Mode: mode.String(), Query: i, Instruction: q.Instruction,
				Input: q.Input, Output: gen[i], Truth: q.Output, Score: s, Ceiling: c,
				PromptKV: cp.Bytes, FullKV: cp.FullBytes, KeptToken: cp.Kept()}
			if q.Input != nil {
				r.Copy, _ = ScoreImage(q.Input, q.Output)
			}
			if len(exs) > 0 {
				r.ExampleIn, r.ExampleOut = exs[0].Input, exs[0].Output
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// Summary averages results per (task, mode).
type Summary struct {
	Task, Mode  string
	N           int
	PSNR, SSIM  float64
	RMSE        float64
	CeilingPSNR float64
	// CopyPSNR is the copy-input baseline's mean PSNR.
	CopyPSNR float64
	PromptKV int64
	FullKV   int64
}

// Summarise averages results by task and mode, in order of appearance.
func Summarise(rs []Result) []Summary {
	var out []Summary
	idx := map[[2]string]int{}
	for _, r := range rs {
		k := [2]string{r.Task, r.Mode}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Summary{Task: r.Task, Mode: r.Mode, PromptKV: r.PromptKV, FullKV: r.FullKV})
		}
		s := &out[i]
		s.N++
		s.PSNR += r.PSNR
		s.SSIM += r.SSIM
		s.RMSE += r.RMSE
		s.CeilingPSNR += r.Ceiling.PSNR
		s.CopyPSNR += r.Copy.PSNR
	}
	for i := range out {
		n := float64(out[i].N)
		out[i].PSNR /= n
		out[i].SSIM /= n
		out[i].RMSE /= n
		out[i].CeilingPSNR /= n
		out[i].CopyPSNR /= n
	}
	return out
}
