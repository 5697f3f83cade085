package lab

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"xprompt/data"
	"xprompt/img"
	"xprompt/infer"
	"xprompt/metrics"
	"xprompt/model"
	"xprompt/tasks"
)

// evalSet is the fixed evaluation data of one family: in-context examples
// and queries, drawn from two streams of one seed so that the queries do not
// depend on how many examples are drawn. Every row of every table that
// evaluates the family at a seed sees the same queries.
type evalSet struct {
	Family   string
	Examples []tasks.Example
	Queries  []tasks.Example
}

// familySeed mixes the family name into the seed.
func familySeed(seed uint64, family string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(family))
	return seed ^ h.Sum64()
}

// drawSet draws k examples and q queries of the family at size×size.
func drawSet(family string, k, q int, seed uint64, size int) (evalSet, error) {
	f, err := tasks.ByName(family)
	if err != nil {
		return evalSet{}, err
	}
	s := familySeed(seed, family)
	qs := data.SampleExamples(f, false, q, tasks.NewRand(s), size)
	exs := data.SampleExamples(f, false, k, tasks.NewRand(s^0x9e3779b97f4a7c15), size)
	return evalSet{Family: family, Examples: exs, Queries: qs}, nil
}

// truths returns the queries' ground-truth outputs.
func (s evalSet) truths() []*img.Image {
	out := make([]*img.Image, len(s.Queries))
	for i, q := range s.Queries {
		out[i] = q.Output
	}
	return out
}

// generation is the outcome of answering queries from one prompt.
type generation struct {
	Outputs []*img.Image
	// Bytes and FullBytes are the prompt's KV cache after and before
	// compression.
	Bytes, FullBytes int64
	// PerQuery is the wall time of generating all queries in one batch
	// from the compressed prompt, divided by their number.
	PerQuery time.Duration
}

// generate compresses the examples in the given mode (none: no examples)
// and generates every query's output from the one prompt. With runs > 1 the
// generation is repeated and PerQuery is the fastest run's (the outputs are
// the same: decoding is seeded).
func generate(ctx context.Context, eng *infer.Engine, exs []tasks.Example, mode model.Mode, qs []tasks.Example, o model.SampleOptions, runs int) (generation, error) {
	if mode == model.ModeNone {
		exs = nil
	}
	cp, err := eng.Compress(exs, mode)
	if err != nil {
		return generation{}, err
	}
	g := generation{Bytes: cp.Bytes, FullBytes: cp.FullBytes}
	for r := 0; r < max(runs, 1); r++ {
		start := time.Now()
		outs, err := eng.Generate(ctx, cp, qs, o)
		if err != nil {
			return generation{}, err
		}
		per := time.Since(start) / time.Duration(max(len(qs), 1))
		if r == 0 || per < g.PerQuery {
			g.PerQuery = per
		}
		g.Outputs = outs
	}
	return g, nil
}

// meanScores returns the mean PSNR (each capped at 100 dB), SSIM and RMSE of
// outs against truths.
func meanScores(outs, truths []*img.Image) (infer.Score, error) {
	if len(outs) != len(truths) || len(outs) == 0 {
		panic(fmt.Sprintf("lab.meanScores: %d outputs, %d truths", len(outs), len(truths)))
	}
	var m infer.Score
	for i := range outs {
		s, err := infer.ScoreImage(outs[i], truths[i])
		if err != nil {
			return infer.Score{}, err
		}
		m.PSNR += math.Min(s.PSNR, 100)
		m.SSIM += s.SSIM
		m.RMSE += s.RMSE
	}
	n := float64(len(outs))
	m.PSNR, m.SSIM, m.RMSE = m.PSNR/n, m.SSIM/n, m.RMSE/n
	return m, nil
}

// EditAccuracy returns the fraction of generated images whose number of
// objects (tasks.DetectObjects) equals that of their ground truth: a simple
// check that an object was added or removed.
func EditAccuracy(outs, truths []*img.Image) float64 {
	if len(outs) != len(truths) || len(outs) == 0 {
		panic(fmt.Sprintf("lab.EditAccuracy: %d outputs, %d truths", len(outs), len(truths)))
	}
	ok := 0
	for i := range outs {
		if len(tasks.DetectObjects(outs[i])) == len(tasks.DetectObjects(truths[i])) {
			ok++
		}
	}
	return float64(ok) / float64(len(outs))
}

// ClassIDs maps a segmentation image to class ids: each pixel takes the
// class whose colour (tasks.ClassColours) is nearest in RGB (Euclidean; ties
// to the lower class).
func ClassIDs(m *img.Image) []uint8 {
	out := make([]uint8, m.W*m.H)
	for p := range out {
		r, g, b := m.Pix[3*p], m.Pix[3*p+1], m.Pix[3*p+2]
		best, bestD := 0, float32(math.Inf(1))
		for c, k := range tasks.ClassColours {
			dr, dg, db := r-k.R, g-k.G, b-k.B
			if d := dr*dr + dg*dg + db*db; d < bestD {
				best, bestD = c, d
			}
		}
		out[p] = uint8(best)
	}
	return out
}

// SegmentationMIoU returns the mean over images of the mIoU between the
// class ids of each generated map and of its ground truth.
func SegmentationMIoU(outs, truths []*img.Image) float64 {
	if len(outs) != len(truths) || len(outs) == 0 {
		panic(fmt.Sprintf("lab.SegmentationMIoU: %d outputs, %d truths", len(outs), len(truths)))
	}
	sum := 0.0
	for i := range outs {
		sum += metrics.MIoU(ClassIDs(outs[i]), ClassIDs(truths[i]), tasks.NumClasses)
	}
	return sum / float64(len(outs))
}

// metricKind says how a family is scored in the tables.
type metricKind int

const (
	scorePSNRSSIM metricKind = iota // restoration: PSNR and SSIM
	scoreEdit                       // add/remove: PSNR and edit accuracy
	scoreRMSE                       // depth: RMSE
	scoreMIoU                       // segmentation: mIoU
)

// scoreInto computes the family's metrics of outs against the truths and
// stores them in row under "FAMILY METRIC".
func scoreInto(row Row, family string, kind metricKind, outs, truths []*img.Image) error {
	s, err := meanScores(outs, truths)
	if err != nil {
		return err
	}
	switch kind {
	case scorePSNRSSIM:
		row.Metrics[family+" PSNR"] = s.PSNR
		row.Metrics[family+" SSIM"] = s.SSIM
	case scoreEdit:
		row.Metrics[family+" PSNR"] = s.PSNR
		row.Metrics[family+" acc"] = EditAccuracy(outs, truths)
	case scoreRMSE:
		row.Metrics[family+" RMSE"] = s.RMSE
	case scoreMIoU:
		row.Metrics[family+" mIoU"] = SegmentationMIoU(outs, truths)
	}
	return nil
}

// columnsFor returns the columns scoreInto fills for a family.
func columnsFor(family string, kind metricKind) []Column {
	switch kind {
	case scoreEdit:
		return []Column{{family + " PSNR", 2}, {family + " acc", 2}}
	case scoreRMSE:
		return []Column{{family + " RMSE", 4}}
	case scoreMIoU:
		return []Column{{family + " mIoU", 3}}
	}
	return []Column{{family + " PSNR", 2}, {family + " SSIM", 3}}
}

// imageSize returns the image side of the config's preset.
func (c Config) imageSize() int { return model.Presets[c.Preset].ImageSize }

// models returns the shared registry, making one for this call when the
// config has none.
func (c *Config) models() (*Registry, error) {
	if c.Models == nil {
		r, err := NewRegistry(*c)
		if err != nil {
			return nil, err
		}
		c.Models = r
	}
	return c.Models, nil
}

// exampleStrip lays out one query: its input, the first in-context example
// (input, output), the outputs of each row, and the truth, upscaled.
func exampleStrip(q tasks.Example, ex *tasks.Example, outs []*img.Image, scale int) []*img.Image {
	up := func(m *img.Image) *img.Image {
		if m == nil {
			return nil
		}
		return img.Nearest(m, scale)
	}
	cells := []*img.Image{up(q.Input)}
	if ex != nil {
		cells = append(cells, up(ex.Input), up(ex.Output))
	} else {
		cells = append(cells, nil, nil)
	}
	for _, o := range outs {
		cells = append(cells, up(o))
	}
	return append(cells, up(q.Output))
}
