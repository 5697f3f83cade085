package xpmagic

import (
	"context"
	"fmt"

	"xprompt/display"
	"xprompt/img"
	"xprompt/infer"
	"xprompt/model"
	"xprompt/session"
	"xprompt/tasks"
	"xprompt/view"
)

// runGen implements %gen [--cfg F] [--context-guidance W] [--topk K] [--topp P] [--temp T] [--seed S].
func runGen(ctx context.Context, s *session.Session, args string, sink display.Sink) (*display.Bundle, error) {
	fs := newFlags("gen")
	var o model.SampleOptions
	cfg := fs.Float64("cfg", 0, "")
	ctxGuide := fs.Float64("context-guidance", 0, "")
	temp := fs.Float64("temp", 0, "")
	topp := fs.Float64("topp", 0, "")
	fs.IntVar(&o.TopK, "topk", 0, "")
	fs.Uint64Var(&o.Seed, "seed", 0, "")
	pos, err := parseArgs(s, "gen", args, fs)
	if err != nil {
		return nil, err
	}
	switch {
	case len(pos) > 0:
		return nil, s.UsageError("gen", "unexpected argument %q", pos[0])
	case !(*cfg >= 0 && *cfg < 1e6):
		return nil, s.UsageError("gen", "--cfg %v: want a scale ≥ 0", *cfg)
	case !(*ctxGuide >= 0 && *ctxGuide < 1e6):
		return nil, s.UsageError("gen", "--context-guidance %v: want a scale ≥ 0", *ctxGuide)
	case !(*temp >= 0 && *temp < 1e6):
		return nil, s.UsageError("gen", "--temp %v: want a temperature ≥ 0", *temp)
	case !(*topp >= 0 && *topp <= 1):
		return nil, s.UsageError("gen", "--topp %v: want a probability in [0, 1]", *topp)
	case o.TopK < 0:
		return nil, s.UsageError("gen", "--topk %d: want K ≥ 0", o.TopK)
	}
	o.CFG, o.ContextGuidance, o.Temperature, o.TopP = float32(*cfg), float32(*ctxGuide), float32(*temp), float32(*topp)
	if err := o.Validate(); err != nil { // what the flag checks above leave: --cfg with --context-guidance
		return nil, s.UsageError("gen", "%v", err)
	}
	e, p, err := currentPrompt(s)
	if err != nil {
		return nil, err
	}
	cp, err := compressed(s, e, p, sink)
	if err != nil {
		return nil, err
	}
	q := p.Query
	if q.Output == nil { // a text target
		got, err := e.GenerateText(ctx, cp, []tasks.Example{q}, o)
		if err != nil {
			return nil, err
		}
		t := view.NewTable("output", "text")
		t.Title = fmt.Sprintf("%%gen: %s, %q", p.Task, q.Instruction)
		t.Add("generated", got[0])
		t.Add("ground truth", q.Text)
		b := t.Display()
		return &b, nil
	}
	out, err := e.Generate(ctx, cp, []tasks.Example{q}, o)
	if err != nil {
		return nil, err
	}
	score, err := infer.ScoreImage(out[0], q.Output)
	if err != nil {
		return nil, err
	}
	ceil, err := infer.ScoreImage(e.VQ.Decode(e.VQ.Encode([]*img.Image{q.Output}))[0], q.Output)
	if err != nil {
		return nil, err
	}
	r := infer.Result{Task: p.Task, Mode: cp.Mode.String(), Instruction: q.Instruction, Input: q.Input,
		Output: out[0], Truth: q.Output, Score: score, Ceiling: ceil,
		PromptKV: cp.Bytes, FullKV: cp.FullBytes, KeptToken: cp.Kept()}
	if len(p.Examples) > 0 {
		r.ExampleIn, r.ExampleOut = p.Examples[0].Input, p.Examples[0].Output
	}
	strip := view.ImageBundle(r.Strip(3))
	strip.Data[display.MIMEText] = "query input | example input | example output | generated | ground truth"
	sink.Display(strip, "", false)
	t := view.NewTable("metric", "generated", "tokenizer ceiling")
	t.Title = fmt.Sprintf("%%gen: %s, %q (prompt: %d tokens kept, %s bytes)", p.Task, q.Instruction, cp.Kept(), view.GroupDigits(cp.Bytes))
	t.Add("PSNR (dB)", fmt.Sprintf("%.2f", score.PSNR), fmt.Sprintf("%.2f", ceil.PSNR))
	t.Add("SSIM", fmt.Sprintf("%.4f", score.SSIM), fmt.Sprintf("%.4f", ceil.SSIM))
	t.Add("RMSE", fmt.Sprintf("%.4f", score.RMSE), fmt.Sprintf("%.4f", ceil.RMSE))
	b := t.Display()
	return &b, nil
}
