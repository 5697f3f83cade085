package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"

	"xprompt/img"
	"xprompt/infer"
	"xprompt/model"
)

func init() {
	register("gen", "generate a task's outputs in context and score them", runGen)
}

func parseModes(s string) ([]model.Mode, error) {
	if s == "all" {
		return []model.Mode{model.ModeNone, model.ModeXPrompt}, nil
	}
	var out []model.Mode
	for _, p := range strings.Split(s, ",") {
		m, err := model.ParseMode(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// sampleFlags registers the decoding flags shared by gen and demo.
type sampleFlags struct {
	temp, topP, cfg, ctxGuide *float64
	topK                      *int
	seed                      *uint64
}

func addSampleFlags(fs interface {
	Float64(string, float64, string) *float64
	Int(string, int, string) *int
	Uint64(string, uint64, string) *uint64
}) sampleFlags {
	return sampleFlags{
		temp:     fs.Float64("temp", 0, "sampling temperature (0: greedy)"),
		topK:     fs.Int("topk", 0, "keep the K most likely codes (0: all)"),
		topP:     fs.Float64("topp", 0, "nucleus sampling threshold (0: off)"),
		cfg:      fs.Float64("cfg", 0, "classifier-free guidance scale (0 or 1: off)"),
		ctxGuide: fs.Float64("context-guidance", 0, "guidance scale of the in-context prompt against no context: n + w·(c − n) (0 or 1: off)"),
		seed:     fs.Uint64("seed", 1, "seed of the examples, queries and sampling"),
	}
}

// check rejects decoding flags no decoder can use, before any work.
func (s sampleFlags) check() error {
	if err := s.options().Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

func (s sampleFlags) options() model.SampleOptions {
	return model.SampleOptions{Temperature: float32(*s.temp), TopK: *s.topK, TopP: float32(*s.topP), CFG: float32(*s.cfg), ContextGuidance: float32(*s.ctxGuide), Seed: *s.seed}
}

func runGen(args []string) error {
	fs := newFlags("gen", "--task NAME [--mode xprompt|causal|none|all] [--examples K] [--n QUERIES] [--seed S] [--out DIR] [--json]\n"+
		"A look at a few queries from one prompt (development seeds); for numbers with baselines and errors use 'xprompt evaluate'.")
	task := fs.String("task", "", "task family (see 'xprompt tasks')")
	modeFlag := fs.String("mode", "xprompt", "xprompt, none, causal (only for a model trained with the causal mask), a comma list, or all (none and xprompt)")
	examples := fs.Int("examples", 1, "in-context examples")
	n := fs.Int("n", 4, "queries (answered from one compressed prompt)")
	out := fs.String("out", "", "write PNGs and index.html here")
	modelPath := fs.String("model", "default", "checkpoint file, or default (the embedded model)")
	asJSON := fs.Bool("json", false, "print one JSON object per query and mode")
	hide := fs.Bool("hide-instruction", false, "queries and examples without their instructions: only the example images say what to do")
	shared := fs.Bool("shared-params", false, "the examples make the queries' own edit (the same object, colour, place or amount) on other scenes, for the families that allow it (xprompt tasks: shareable)")
	show := fs.Bool("show", false, "draw the results in the terminal (24-bit colour)")
	sf := addSampleFlags(fs)
	if err := parseFlags(fs, args, inRange("n", 1, 256), inRange("examples", 0, 8), atLeast("topk", 0)); err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	if *task == "" {
		return fmt.Errorf("%w: --task is required (see 'xprompt tasks')", errUsage)
	}
	if *n < 1 || *n > 256 || *examples < 0 || *examples > 8 {
		return fmt.Errorf("%w: --n must be 1…256 and --examples 0…8", errUsage)
	}
	modes, err := parseModes(*modeFlag)
	if err != nil {
		return err
	}
	eng, err := infer.Load(*modelPath)
	if err != nil {
		return err
	}
	ctx, stop := interruptContext()
	defer stop()
	rs, err := eng.Evaluate(ctx, *task, infer.EvalOptions{Examples: *examples, Queries: *n, Seed: *sf.seed, Modes: modes, Sample: sf.options(), HideInstruction: *hide, SharedParams: *shared})
	if err != nil {
		return err
	}
	for _, r := range rs {
		if *asJSON {
			rec := map[string]any{"task": r.Task, "mode": r.Mode, "query": r.Query, "psnr": round(r.PSNR), "ssim": round3(r.SSIM), "rmse": round3(r.RMSE),
				"copy_input_psnr": round(r.Copy.PSNR), "ceiling_psnr": round(r.Ceiling.PSNR)}
			b, _ := json.Marshal(rec)
			fmt.Println(string(b))
		}
	}
	sum := infer.Summarise(rs)
	if !*asJSON {
		fmt.Printf("%-16s %-8s %3s %7s %6s %7s %10s %9s %s\n", "task", "mode", "n", "PSNR", "SSIM", "RMSE", "copy input", "ceiling", "prompt KV")
		for _, s := range sum {
			fmt.Printf("%-16s %-8s %3d %7.2f %6.3f %7.4f %10.2f %9.2f %d of %d bytes\n", s.Task, s.Mode, s.N, s.PSNR, s.SSIM, s.RMSE, s.CopyPSNR, s.CeilingPSNR, s.PromptKV, s.FullKV)
		}
		fmt.Printf("Mean PSNR (dB) of %d queries from one prompt (seed %d); copy input: the query's input as the answer; ceiling: the truth through the image tokenizer.\n", *n, *sf.seed)
	}
	if *show {
		for _, r := range rs {
			fmt.Printf("%s %s #%d  PSNR %.2f  (input | example | output | truth)\n", r.Task, r.Mode, r.Query, r.PSNR)
			fmt.Print(img.HalfBlocks(r.Strip(1)))
		}
	}
	if *out != "" {
		page, err := infer.WriteGallery(*out, "xprompt gen "+*task, rs, sum)
		if err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "wrote", page)
	}
	return nil
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
