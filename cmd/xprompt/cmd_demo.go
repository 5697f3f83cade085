package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"xprompt/img"
	"xprompt/infer"
	"xprompt/model"
)

func init() {
	register("demo", "in-context generation on held-out tasks with the embedded model", runDemo)
}

// demoTasks are the held-out families of the paper's Table 4.
var demoTasks = []string{"lowlight", "derain", "add_object", "remove_object", "depth"}

// demoSections are the demo's groups of tasks: a heading (none for the
// first), the families and whether the query's instruction is withheld.
var demoSections = []struct {
	heading string
	tasks   []string
	hide    bool
}{
	{"", demoTasks, false},
	// Seen families without the query's instruction: only the example says
	// what to do.
	{"Seen tasks with the instructions withheld (query and example): only the compressed example images say what to do.",
		[]string{"invert", "segmentation"}, true},
	// Tone curves whose seeds lie above every seed drawn in training
	// (tasks.ToneCurveFamily): new tasks only the example defines.
	{"New tone curves (seeds never drawn in training): the instruction names only a number, the example shows the curve.",
		[]string{"tone_curve_1048577", "tone_curve_1048579"}, false},
}

func runDemo(args []string) error {
	fs := newFlags("demo", "[--out DIR] [--n QUERIES] [--model FILE]")
	out := fs.String("out", "xprompt-demo", "directory for index.html and the PNGs")
	n := fs.Int("n", 3, "queries per task")
	modelPath := fs.String("model", "default", "checkpoint file, or default (the embedded model)")
	show := fs.Bool("show", isTruecolor(), "draw results in the terminal (24-bit colour half-blocks)")
	sf := addSampleFlags(fs)
	if err := parseFlags(fs, args, inRange("n", 1, 64), atLeast("topk", 0)); err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	start := time.Now()
	eng, err := infer.Load(*modelPath)
	if err != nil {
		return err
	}
	fmt.Printf("xprompt demo: model %s (%s preset, %d parameters). The first %d task families are held out of the training stream\n"+
		"(though low-light's mapping, a brightening curve, lies within the tone curves of train --curves, which the default model saw).\n",
		eng.Source, eng.Model.Cfg.Preset, eng.Model.Params.Count(), len(demoTasks))
	fmt.Printf("Each task: one in-context example is compressed into X-Prompt tokens and %d queries are answered from it (development seed %d).\n"+
		"Scores: mean PSNR against the task world's ground truth, beside no context (the same model without the example) and\n"+
		"copy input (the query's input returned unchanged). %d queries from one prompt are a look, not a measurement:\n"+
		"'xprompt evaluate' runs the protocol (many prompts, baselines, a wrong-example control, errors clustered by prompt).\n",
		*n, *sf.seed, *n)
	ctx, stop := interruptContext()
	defer stop()
	var all []infer.Result
	for _, sec := range demoSections {
		if sec.heading != "" {
			fmt.Println(sec.heading)
		}
		for _, task := range sec.tasks {
			rs, err := demoTask(ctx, eng, task, sec.hide, *n, sf, *show)
			if err != nil {
				return err
			}
			all = append(all, rs...)
		}
	}
	page, err := infer.WriteGallery(*out, "xprompt demo: tasks in context", all, infer.Summarise(all))
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(page)
	fmt.Printf("wrote %s (%d images) in %.0f s\n", abs, len(all), time.Since(start).Seconds())
	return nil
}

// demoTask evaluates one family with no context and with X-Prompt, prints
// the scores and, with show, the first X-Prompt query in the terminal.
func demoTask(ctx context.Context, eng *infer.Engine, task string, hide bool, n int, sf sampleFlags, show bool) ([]infer.Result, error) {
	rs, err := eng.Evaluate(ctx, task, infer.EvalOptions{Examples: 1, Queries: n, Seed: *sf.seed,
		Modes: []model.Mode{model.ModeNone, model.ModeXPrompt}, Sample: sf.options(), HideInstruction: hide})
	if err != nil {
		return nil, err
	}
	for i, s := range infer.Summarise(rs) {
		if i == 0 {
			fmt.Printf("  %-18s %-10s PSNR %6.2f\n", s.Task, "copy input", s.CopyPSNR)
		}
		fmt.Printf("  %-18s %-10s PSNR %6.2f  SSIM %.3f  (prompt KV %d of %d bytes)\n", s.Task, modeTitle(s.Mode), s.PSNR, s.SSIM, s.PromptKV, s.FullKV)
	}
	if show {
		for _, r := range rs {
			if r.Mode == "xprompt" && r.Query == 0 {
				fmt.Println("  input | example in → out | X-Prompt output | ground truth")
				fmt.Print(indent(img.HalfBlocks(r.Strip(1)), "  "))
			}
		}
	}
	return rs, nil
}

// modeTitle names a mode for the demo's lines.
func modeTitle(mode string) string {
	switch mode {
	case "none":
		return "no context"
	case "xprompt":
		return "X-Prompt"
	}
	return mode
}

func isTruecolor() bool {
	ct := strings.ToLower(os.Getenv("COLORTERM"))
	return ct == "truecolor" || ct == "24bit"
}

func indent(s, pre string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pre + l
		}
	}
	return strings.Join(lines, "")
}
