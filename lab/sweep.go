package lab

import (
	"context"
	"fmt"
	"strings"

	"xprompt/model"
)

// CompressionSweep measures what the number of X-Prompt tokens S buys: for
// each S in Config.Sweep a model trained with S tokens (the preset's
// options otherwise), and for 1…Config.MaxExamples in-context examples the
// base model. Columns: mean PSNR and SSIM over the held-out families (one
// compressed prompt per family, X-Prompt mode), the prompt's KV cache in
// bytes after compression and before (the examples' own entries), the kept
// fraction, and the generation time per query (all queries of a family in
// one batch from the compressed prompt, wall time divided by their number,
// the faster of two runs; on a shared machine it is indicative only).
func CompressionSweep(ctx context.Context, cfg Config) (*Table, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	reg, err := cfg.models()
	if err != nil {
		return nil, err
	}
	t := &Table{Name: "compression_sweep", Caption: "Compression: X-Prompt tokens S (one example each) and in-context examples (the preset's S), " +
		"scored on the held-out families (" + strings.Join(NovelFamilies, ", ") + "). KV bytes are per prompt, averaged over families; ms/query is the batched generation time per query.",
		Columns: []Column{{"S", 0}, {"examples", 0}, {"held-out PSNR", 2}, {"held-out SSIM", 3},
			{"prompt KV bytes", 0}, {"uncompressed KV bytes", 0}, {"KV kept %", 1}, {"ms/query", 1}}}
	var fams []familySpec
	for _, f := range NovelFamilies {
		fams = append(fams, familySpec{f, scorePSNRSSIM})
	}
	sets, err := drawSets(cfg, fams, max(cfg.MaxExamples, 1))
	if err != nil {
		return nil, err
	}
	preset := model.Presets[cfg.Preset].XP
	type point struct {
		spec rowSpec
		s, k int
	}
	var points []point
	for _, s := range cfg.Sweep {
		points = append(points, point{spec: rowSpec{Name: fmt.Sprintf("S=%d", s), Variant: reg.XPVariant(s), Mode: model.ModeXPrompt, Examples: 1, Timed: true}, s: s, k: 1})
	}
	for k := 1; k <= cfg.MaxExamples; k++ {
		name := fmt.Sprintf("%d examples", k)
		if k == 1 {
			name = "1 example"
		}
		points = append(points, point{spec: rowSpec{Name: name, Variant: VariantBase, Mode: model.ModeXPrompt, Examples: k, Timed: true}, s: preset, k: k})
	}
	specs := make([]rowSpec, len(points))
	for i, p := range points {
		specs[i] = p.spec
	}
	err = eachRow(ctx, &cfg, t, specs, sets, func(pi int, row *Row, gens []generation) error {
		p := points[pi]
		row.Metrics["S"], row.Metrics["examples"] = float64(p.s), float64(p.k)
		var psnr, ssim, kv, full, ms float64
		n := float64(len(sets))
		for i, g := range gens {
			sc, err := meanScores(g.Outputs, sets[i].Truths())
			if err != nil {
				return err
			}
			psnr += sc.PSNR / n
			ssim += sc.SSIM / n
			kv += float64(g.Bytes) / n
			full += float64(g.FullBytes) / n
			ms += g.PerQuery.Seconds() * 1e3 / n
		}
		row.Metrics["held-out PSNR"], row.Metrics["held-out SSIM"] = psnr, ssim
		row.Metrics["prompt KV bytes"], row.Metrics["uncompressed KV bytes"] = kv, full
		row.Metrics["KV kept %"] = 100 * kv / full
		row.Metrics["ms/query"] = ms
		return nil
	})
	return t, err
}
