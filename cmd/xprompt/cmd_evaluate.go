package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"xprompt/infer"
	"xprompt/lab"
	"xprompt/model"
	"xprompt/protocol"
)

func init() {
	register("evaluate", "the evaluation protocol: baselines, controls and clustered errors per task family", runEvaluate)
}

func runEvaluate(args []string) error {
	fs := newFlags("evaluate", "[--model FILE|default] [--causal-model FILE] [--families heldout|seen|all|F,…] [--prompts 10] [--queries 4] [--shared-params] [--reserved] [--json] [--out DIR]")
	modelPath := fs.String("model", "default", "the X-Prompt model: checkpoint file, or default (the embedded model)")
	causalPath := fs.String("causal-model", "", "a model trained with the causal mask (train --ablate no-xprompt) for the causal in-context row; without it the row is omitted")
	families := fs.String("families", "heldout", "heldout (the paper's Table 4 families), seen (geometry, colour maps, dense maps, object edits), all, or a comma list")
	prompts := fs.Int("prompts", 10, "prompts (in-context examples) per family: the clusters of the standard errors")
	queries := fs.Int("queries", 4, "queries answered from each prompt")
	examples := fs.Int("examples", 1, "in-context examples per prompt")
	first := fs.Int("first-prompt", 0, "skip the split's first prompts (fresh development prompts)")
	reserved := fs.Bool("reserved", false, "draw prompts from the reserved seeds: for final numbers only, never to choose a recipe")
	hide := fs.Bool("hide-instruction", false, "withhold the instructions of queries and examples: only the example images say what the task is")
	shared := fs.Bool("shared-params", false, "each prompt's examples make its queries' own edit (the same object, colour, place or amount) on other scenes, for the families that allow it (xprompt tasks: shareable)")
	asJSON := fs.Bool("json", false, "print the table as JSON (every query's scores included) instead of Markdown")
	out := fs.String("out", "", "also write evaluation.md and evaluation.json here")
	quiet := fs.Bool("quiet", false, "no progress bar")
	temp := fs.Float64("temp", 0, "sampling temperature (0: greedy)")
	topK := fs.Int("topk", 0, "keep the K most likely codes (0: all)")
	topP := fs.Float64("topp", 0, "nucleus sampling threshold (0: off)")
	ctxGuide := fs.Float64("context-guidance", 0, "guidance scale of the in-context prompt against no context (0 or 1: off)")
	sampleSeed := fs.Uint64("sample-seed", 1, "seed of sampling (with --temp)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	groups, err := protocol.Groups(*families)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	o := protocol.Options{Groups: groups, Prompts: *prompts, Queries: *queries, Examples: *examples, FirstPrompt: *first,
		HideInstruction: *hide, SharedParams: *shared, Sample: model.SampleOptions{Temperature: float32(*temp), TopK: *topK, TopP: float32(*topP),
			ContextGuidance: float32(*ctxGuide), Seed: *sampleSeed}}
	if *reserved {
		o.Split = protocol.Reserved
	}
	if *prompts < 1 || *queries < 1 || *examples < 1 || *examples > 8 || *first < 0 {
		return fmt.Errorf("%w: --prompts and --queries must be ≥ 1, --examples 1…8, --first-prompt ≥ 0", errUsage)
	}
	if err := o.Sample.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	eng, err := infer.Load(*modelPath)
	if err != nil {
		return err
	}
	m := protocol.Models{XPrompt: eng, XPromptName: eng.Source}
	if *causalPath != "" {
		c, err := infer.Load(*causalPath)
		if err != nil {
			return err
		}
		m.Causal, m.CausalName = c, c.Source
	}
	if !*quiet {
		o.Progress = newPromptBar(os.Stderr).update
	}
	ctx, stop := interruptContext()
	defer stop()
	t, err := protocol.Run(ctx, m, o)
	if err != nil {
		return err
	}
	js, err := t.JSON()
	if err != nil {
		return err
	}
	md := t.Markdown()
	if *asJSON {
		fmt.Println(string(js))
	} else {
		fmt.Print(md)
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		cmd := "xprompt evaluate " + strings.Join(quoteAll(args), " ")
		if err := os.WriteFile(filepath.Join(*out, "evaluation.md"), []byte("`"+cmd+"`\n\n"+md), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*out, "evaluation.json"), append(js, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", filepath.Join(*out, "evaluation.{md,json}"))
	}
	return nil
}

// quoteAll shell-quotes each argument.
func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = lab.ShellQuote(a)
	}
	return out
}

// promptBar draws "[#####.....] done/total family  ETA" on one line.
type promptBar struct {
	w     *os.File
	start time.Time
}

func newPromptBar(w *os.File) *promptBar { return &promptBar{w: w, start: time.Now()} }

func (p *promptBar) update(done, total int, family string) {
	const width = 30
	filled := width * done / max(total, 1)
	eta := time.Duration(float64(time.Since(p.start)) / float64(done) * float64(total-done)).Round(time.Second)
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d prompts  %-14s ETA %-8s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total, family, eta)
	if done == total {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", width+50))
	}
}
