package lab

import (
	"context"

	"xprompt/model"
)

// NovelTasks reproduces the paper's Table 4: generation for task families
// held out of training (low-light enhancement, deraining, object addition,
// object removal, depth) given one in-context example. Rows: no context (the
// base model on [BOS][TD]); causal in-context (a model trained and run with
// a plain causal mask over [BOS][IE][TD], no X-Prompt tokens); X-Prompt
// in-context (the base model, the query sees the example only through the
// compressed X-Prompt tokens); full training (a model whose training stream
// included the held-out families); the tokenizer ceiling; and copy input
// (the query's input returned unchanged). Metrics:
// PSNR/SSIM for lowlight and derain, PSNR and edit accuracy (EditAccuracy:
// the generated image has as many objects as the truth) for add/remove, RMSE
// for depth; means over Config.Queries queries per family answered from one
// compressed prompt.
func NovelTasks(ctx context.Context, cfg Config) (*Table, error) {
	t := &Table{Name: "novel_tasks", Caption: "Novel (held-out) tasks in context, paper Table 4: " +
		"one in-context example per family, the same queries in every row; PSNR/SSIM higher is better, RMSE lower is better, " +
		"acc = fraction of outputs with the ground truth's object count."}
	fams := []familySpec{{"lowlight", scorePSNRSSIM}, {"derain", scorePSNRSSIM}, {"add_object", scoreEdit},
		{"remove_object", scoreEdit}, {"depth", scoreRMSE}}
	specs := []rowSpec{
		{Name: "no context", Variant: VariantBase, Mode: model.ModeNone},
		{Name: "causal in-context", Variant: VariantCausal, Mode: model.ModeCausal},
		{Name: "X-Prompt in-context", Variant: VariantBase, Mode: model.ModeXPrompt},
		{Name: "full training", Variant: VariantFull, Mode: model.ModeXPrompt},
		{Name: ceilingRow},
		{Name: copyInputRow},
	}
	return familyTable(ctx, cfg, t, fams, specs)
}

// DenseLowLevel reproduces the shape of the paper's Table 2: dense
// prediction and low-level restoration with one in-context example, scored
// against exact ground truth: segmentation mIoU (generated class colours
// mapped to the nearest tasks.ClassColours, ClassIDs), depth RMSE, and PSNR /
// SSIM for denoise, deblur, derain and low-light enhancement. Rows: the base
// model (derain, lowlight and depth are held out of its training), the model
// trained on every family, the tokenizer ceiling and copy input.
func DenseLowLevel(ctx context.Context, cfg Config) (*Table, error) {
	t := &Table{Name: "dense_lowlevel", Caption: "Dense prediction and low-level vision, paper Table 2: X-Prompt with one in-context example; " +
		"mIoU, PSNR, SSIM higher is better, RMSE lower is better. derain, lowlight and depth are held out of the base model's training."}
	fams := []familySpec{{"segmentation", scoreMIoU}, {"depth", scoreRMSE}, {"denoise", scorePSNRSSIM},
		{"deblur", scorePSNRSSIM}, {"derain", scorePSNRSSIM}, {"lowlight", scorePSNRSSIM}}
	specs := []rowSpec{
		{Name: "held-out split", Variant: VariantBase, Mode: model.ModeXPrompt},
		{Name: "all families trained", Variant: VariantFull, Mode: model.ModeXPrompt},
		{Name: ceilingRow},
		{Name: copyInputRow},
	}
	return familyTable(ctx, cfg, t, fams, specs)
}
