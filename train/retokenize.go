package train

import (
	"fmt"
	"math/rand/v2"

	"xprompt/core"
	"xprompt/data"
	"xprompt/img"
	"xprompt/model"
	"xprompt/tasks"
)

// RetokenizeImagesPerFamily is how many examples of each seen family
// Retokenize draws (their input and output images) to pair old and new codes.
const RetokenizeImagesPerFamily = 200

// Retokenized says how a model moved onto another image tokenizer.
type Retokenized struct {
	Images    int     // images encoded by both tokenizers
	SameCodes float64 // share of grid positions where both gave the same code index
	Purity    float64 // share of new codes' occurrences that fall on their most frequent old code
	Unused    int     // new codes never produced (their rows are left as they were)
}

func (r Retokenized) String() string {
	return fmt.Sprintf("%d images: %.1f %% of positions keep their code index, purity %.1f %%, %d new codes unused",
		r.Images, 100*r.SameCodes, 100*r.Purity, r.Unused)
}

// Retokenize moves m from the image tokenizer it was trained with (from) to
// another one with the same grid and codebook size (to): every image code's
// row of the tied embedding becomes the mean of the old codes' rows that
// the same grid position receives from the old tokenizer, over the images
// of RetokenizeImagesPerFamily examples of every seen family (a fixed
// draw). What the model computed from old codes it then computes, on
// average, from the new ones; a fine-tuning run with the new tokenizer
// does the rest.
func Retokenize(m *model.Model, from, to data.ImageCodec) (Retokenized, error) {
	var emb *core.Tensor
	for _, p := range m.Params.List() {
		if p.Name() == "tok_emb" {
			emb = p
		}
	}
	if emb == nil {
		return Retokenized{}, fmt.Errorf("retokenize: the model has no tok_emb parameter")
	}
	imgs := retokenizeImages(m.Cfg.ImageSize)
	nc, grid := m.Cfg.Vocab.Codes, m.Cfg.ImageSide*m.Cfg.ImageSide
	co := make([][]float64, nc) // co[new][old]: positions coded new by to and old by from
	for j := range co {
		co[j] = make([]float64, nc)
	}
	var same, total float64
	for s := 0; s < len(imgs); s += 256 {
		batch := imgs[s:min(s+256, len(imgs))]
		ca, cb := from.Encode(batch), to.Encode(batch)
		for i := range ca {
			if len(ca[i]) != grid || len(cb[i]) != grid {
				return Retokenized{}, fmt.Errorf("retokenize: the tokenizers give %d and %d codes per image; the model takes %d", len(ca[i]), len(cb[i]), grid)
			}
			for p, a := range ca[i] {
				b := cb[i][p]
				if a < 0 || int(a) >= nc || b < 0 || int(b) >= nc {
					return Retokenized{}, fmt.Errorf("retokenize: code %d or %d outside the model's %d codes", a, b, nc)
				}
				co[b][a]++
				if a == b {
					same++
				}
				total++
			}
		}
	}
	d, off := m.Cfg.D, m.Cfg.Vocab.TextSize
	old := append([]float32(nil), emb.Data...)
	r := Retokenized{Images: len(imgs), SameCodes: same / total}
	row := make([]float64, d)
	for j := range nc {
		clear(row)
		var n, top float64
		for i, c := range co[j] {
			if c == 0 {
				continue
			}
			n, top = n+c, max(top, c)
			for k := range d {
				row[k] += c * float64(old[(off+i)*d+k])
			}
		}
		if n == 0 {
			r.Unused++
			continue
		}
		r.Purity += top
		for k := range d {
			emb.Data[(off+j)*d+k] = float32(row[k] / n)
		}
	}
	r.Purity /= total
	return r, nil
}

// retokenizeImages draws the fixed image set Retokenize pairs codes on.
func retokenizeImages(size int) []*img.Image {
	rng := rand.New(rand.NewPCG(99, 1))
	var imgs []*img.Image
	for _, f := range tasks.Seen() {
		for range RetokenizeImagesPerFamily {
			ex := f.Sample(rng, size)
			for _, im := range []*img.Image{ex.Input, ex.Output} {
				if im != nil {
					imgs = append(imgs, im)
				}
			}
		}
	}
	return imgs
}
