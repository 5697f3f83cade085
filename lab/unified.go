package lab

import (
	"context"
	"strings"

	"xprompt/img"
	"xprompt/model"
	"xprompt/tasks"
)

// editFamilies are the seen object-edit families.
var editFamilies = []string{"recolour", "move", "resize"}

// UnifiedText reproduces the shape of the paper's Tables 1 and 3: what
// training on text tasks (caption, difference description, text-to-image)
// does to image editing and to text-to-image. Rows: the base model, a model
// trained without the text tasks (--ablate no-text), and the tokenizer
// ceiling. Columns: PSNR per seen edit family and their mean SSIM (one
// in-context example, X-Prompt), and synthetic GenEval accuracy per kind
// and overall (tasks.GenEvalPrompts, each prompt P asked as the
// text_to_image query "draw P" after one text_to_image example, scored by
// tasks.ScoreGenEval; the ceiling row scores the tokenizer's reconstruction
// of a scene that satisfies each prompt).
func UnifiedText(ctx context.Context, cfg Config) (*Table, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t := &Table{Name: "unified_text", Caption: "Unified text and image training, paper Tables 1/3: editing with one in-context example " +
		"(PSNR per seen edit family, mean SSIM) and synthetic GenEval accuracy of text-to-image (fraction of prompts satisfied; overall = mean over kinds)."}
	var fams []familySpec
	for _, f := range editFamilies {
		fams = append(fams, familySpec{f, scorePSNRSSIM})
		t.Columns = append(t.Columns, Column{f + " PSNR", 2})
	}
	t.Columns = append(t.Columns, Column{"edit SSIM", 3})
	for _, k := range tasks.GenEvalKinds {
		t.Columns = append(t.Columns, Column{"GenEval " + k, 2})
	}
	t.Columns = append(t.Columns, Column{"GenEval overall", 3})

	sets, err := drawSets(cfg, fams, 1)
	if err != nil {
		return nil, err
	}
	prompts := tasks.GenEvalPrompts(cfg.Seed, max(cfg.GenEvalPerKind, 1))
	t2i, err := drawSet("text_to_image", 1, 0, cfg.Seed, cfg.imageSize())
	if err != nil {
		return nil, err
	}
	queries := make([]tasks.Example, len(prompts))
	for i, p := range prompts {
		queries[i] = tasks.Example{Family: "text_to_image", Instruction: "draw " + p.Text}
	}
	specs := []rowSpec{
		{Name: "with text tasks", Variant: VariantBase, Mode: model.ModeXPrompt},
		{Name: "without text tasks", Variant: VariantNoText, Mode: model.ModeXPrompt},
		{Name: ceilingRow},
	}
	var lines [][]*img.Image
	err = eachRow(ctx, &cfg, t, specs, sets, func(si int, row *Row, gens []generation) error {
		spec := specs[si]
		ssim := 0.0
		for i, f := range editFamilies {
			s, err := meanScores(gens[i].Outputs, sets[i].Truths())
			if err != nil {
				return err
			}
			row.Metrics[f+" PSNR"] = s.PSNR
			ssim += s.SSIM / float64(len(editFamilies))
		}
		row.Metrics["edit SSIM"] = ssim

		var images []*img.Image
		if spec.Variant == "" {
			rng := tasks.NewRand(familySeed(cfg.Seed, "geneval"))
			truth := make([]*img.Image, len(prompts))
			for i, p := range prompts {
				truth[i] = tasks.Render(p.Scene(rng, cfg.imageSize()))
			}
			images = cfg.VQ.Reconstruct(truth)
		} else {
			reg, err := cfg.models()
			if err != nil {
				return err
			}
			tr, err := reg.Get(ctx, spec.Variant)
			if err != nil {
				return err
			}
			cfg.say(t.Name, "%s: GenEval, %d prompts", spec.Name, len(prompts))
			g, err := generate(ctx, tr.Engine, t2i.Examples, spec.Mode, queries, cfg.Sample, 1)
			if err != nil {
				return err
			}
			images = g.Outputs
		}
		sc := tasks.ScoreGenEval(prompts, images)
		for _, k := range tasks.GenEvalKinds {
			row.Metrics["GenEval "+k] = sc.Accuracy[k]
		}
		row.Metrics["GenEval overall"] = sc.Overall
		// The figure shows the first prompt of each kind.
		var line []*img.Image
		for i := 0; i < len(images); i += max(cfg.GenEvalPerKind, 1) {
			line = append(line, img.Nearest(images[i], 2))
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		return t, err
	}
	if len(lines) > 0 {
		t.Figure = img.Grid(lines, 2)
		t.FigureCaption = "Text-to-image, one line per row (" + strings.Join(rowNames(specs, cfg), ", ") + "), the first prompt of each GenEval kind: "
		for i := 0; i < len(prompts); i += max(cfg.GenEvalPerKind, 1) {
			if i > 0 {
				t.FigureCaption += " | "
			}
			t.FigureCaption += "\"" + prompts[i].Text + "\""
		}
		t.FigureCaption += "."
	}
	return t, nil
}
