package infer

import (
	"context"
	"fmt"
	"math/rand/v2"

	"xprompt/data"
	"xprompt/img"
	"xprompt/model"
	"xprompt/tasks"
)

// EvalOptions configures an evaluation of in-context generation.
type EvalOptions struct {
	Examples int          // in-context examples per prompt
	Queries  int          // queries answered from the same compressed prompt
	Seed     uint64       // draws the examples and queries
	Modes    []model.Mode // default: none, causal, xprompt
	Sample   model.SampleOptions
	// HideInstruction gives the queries no instruction: only the in-context
	// example says what to do (no context then leaves the model guessing).
	HideInstruction bool
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
	// Ceiling scores the tokenizer's reconstruction of the truth: the best
	// any generated code grid could do.
	Ceiling   Score
	PromptKV  int64 // bytes of the prompt's KV cache after compression
	FullKV    int64 // bytes before compression
	KeptToken int
}

// Evaluate generates the queries of one task family in each mode from the
// same examples and scores them against the ground truth.
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
	modes := o.Modes
	if len(modes) == 0 {
		modes = []model.Mode{model.ModeNone, model.ModeCausal, model.ModeXPrompt}
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0xe7a1))
	all := data.SampleExamples(f, false, o.Examples+o.Queries, rng, e.ImageSize())
	examples, queries := all[:o.Examples], all[o.Examples:]
	if o.HideInstruction {
		for i := range queries {
			queries[i].Instruction = ""
		}
	}
	truths := make([]*img.Image, len(queries))
	for i, q := range queries {
		truths[i] = q.Output
	}
	ceil := e.VQ.Decode(e.VQ.Encode(truths))
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
	PromptKV    int64
	FullKV      int64
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
	}
	for i := range out {
		n := float64(out[i].N)
		out[i].PSNR /= n
		out[i].SSIM /= n
		out[i].RMSE /= n
		out[i].CeilingPSNR /= n
	}
	return out
}
