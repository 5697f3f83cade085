package lab

import (
	"context"

	"xprompt/model"
)

// ReverseAblation compares the base model with one trained without
// reverse-task augmentation (--ablate no-reverse). The families a model
// without reverses still trains on (forward: denoise, deblur, inpaint,
// segmentation, edges), their reverses (which it never sees), and the
// held-out families, each with one in-context example in X-Prompt mode;
// columns are mean PSNR (and SSIM for the held-out ones) over each group.
func ReverseAblation(ctx context.Context, cfg Config) (*Table, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t := &Table{Name: "reverse_ablation", Caption: "Reverse-task augmentation: mean PSNR over the seen forward families (denoise, deblur, inpaint, segmentation, edges), " +
		"their reverse families (add_noise, add_blur, add_hole, seg_to_image, edges_to_image; never an image target without reverses) and the held-out families, one in-context example.",
		Columns: []Column{{"seen PSNR", 2}, {"seen-reverse PSNR", 2}, {"held-out PSNR", 2}, {"held-out SSIM", 3}}}
	groups := []struct {
		psnr, ssim string
		fams       []string
	}{
		{"seen PSNR", "", reverseForward},
		{"seen-reverse PSNR", "", reverseBackward},
		{"held-out PSNR", "held-out SSIM", NovelFamilies},
	}
	var fams []familySpec
	for _, g := range groups {
		for _, f := range g.fams {
			fams = append(fams, familySpec{f, scorePSNRSSIM})
		}
	}
	sets, err := drawSets(cfg, fams, 1)
	if err != nil {
		return nil, err
	}
	specs := []rowSpec{
		{Name: "with reverse", Variant: VariantBase, Mode: model.ModeXPrompt},
		{Name: "without reverse", Variant: VariantNoReverse, Mode: model.ModeXPrompt},
		{Name: ceilingRow},
		{Name: copyInputRow},
	}
	err = eachRow(ctx, &cfg, t, specs, sets, func(_ int, row *Row, gens []generation) error {
		i := 0
		for _, g := range groups {
			var psnr, ssim float64
			for range g.fams {
				sc, err := meanScores(gens[i].Outputs, sets[i].Truths())
				if err != nil {
					return err
				}
				psnr += sc.PSNR / float64(len(g.fams))
				ssim += sc.SSIM / float64(len(g.fams))
				i++
			}
			row.Metrics[g.psnr] = psnr
			if g.ssim != "" {
				row.Metrics[g.ssim] = ssim
			}
		}
		return nil
	})
	return t, err
}

// reverseForward are seen families that train without reverse augmentation;
// reverseBackward are their reverses, index for index.
var (
	reverseForward  = []string{"denoise", "deblur", "inpaint", "segmentation", "edges"}
	reverseBackward = []string{"add_noise", "add_blur", "add_hole", "seg_to_image", "edges_to_image"}
)
