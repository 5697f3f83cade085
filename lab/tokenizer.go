package lab

import (
	"context"
	"fmt"

	"xprompt/img"
	"xprompt/vq"
)

// Tokenizer reproduces the shape of the paper's Table 5: how well the image
// tokenizer keeps images, per available tokenizer (Config.VQ, then
// Config.Tokenizers) at its own resolution. Columns: mean PSNR and SSIM of
// the reconstruction (encode, decode) of Config.TokenizerImages held-out
// clean scenes and degraded scenes (vq.EvalSet, seeded with vq.EvalSeed,
// which each row records as its seed), and the fraction of the codebook the
// clean set uses.
func Tokenizer(ctx context.Context, cfg Config) (*Table, error) {
	if cfg.VQ == nil {
		return nil, fmt.Errorf("lab: Config.VQ (the image tokenizer) is not set")
	}
	t := &Table{Name: "tokenizer", Caption: "Image tokenizer reconstruction, paper Table 5: held-out clean and degraded (noise, blur, rain, low light, hole) scenes; higher is better.",
		Columns: []Column{{"clean PSNR", 2}, {"clean SSIM", 3}, {"degraded PSNR", 2}, {"degraded SSIM", 3}, {"codebook usage", 3}}}
	n := max(cfg.TokenizerImages, 1)
	var lines [][]*img.Image
	for _, m := range append([]*vq.Model{cfg.VQ}, cfg.Tokenizers...) {
		if err := ctx.Err(); err != nil {
			return t, err
		}
		c := m.Config
		name := fmt.Sprintf("%dpx, %dx%d codes of %d", c.Resolution, c.Grid(), c.Grid(), c.Codes)
		if !cfg.wants(name) {
			continue
		}
		cfg.say(t.Name, "%s: %d clean and %d degraded images", name, n, n)
		row := cfg.newRow(t.Name, name)
		row.Seed = vq.EvalSeed
		for _, set := range []string{"clean", "degraded"} {
			imgs, err := vq.EvalSet(set, c.Resolution, n)
			if err != nil {
				return t, err
			}
			sc, err := m.Evaluate(imgs)
			if err != nil {
				return t, err
			}
			row.Metrics[set+" PSNR"], row.Metrics[set+" SSIM"] = sc.PSNR, sc.SSIM
			if set == "clean" {
				row.Metrics["codebook usage"] = sc.Usage
			}
			k := min(len(imgs), 4)
			rec := m.Reconstruct(imgs[:k])
			var orig, back []*img.Image
			for i := 0; i < k; i++ {
				orig = append(orig, img.Nearest(imgs[i], max(64/c.Resolution, 1)))
				back = append(back, img.Nearest(rec[i], max(64/c.Resolution, 1)))
			}
			lines = append(lines, orig, back)
		}
		t.Add(row)
	}
	if len(lines) > 0 {
		t.Figure = img.Grid(lines, 2)
		t.FigureCaption = "Per tokenizer: clean originals, their reconstructions, degraded originals, their reconstructions."
	}
	return t, nil
}
