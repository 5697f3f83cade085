package vq

import (
	"math"

	"xprompt/img"
	"xprompt/metrics"
)

// Scores summarise how well the tokenizer keeps a set of images.
type Scores struct {
	PSNR  float64 // mean over images of the reconstruction PSNR, dB (each capped at 100)
	SSIM  float64 // mean over images of the reconstruction SSIM
	Usage float64 // fraction of the codebook used by the set's codes
}

// Evaluate encodes and decodes imgs (each Resolution×Resolution) and scores
// the reconstructions against the originals.
func (m *Model) Evaluate(imgs []*img.Image) (Scores, error) {
	codes := m.Encode(imgs)
	recon := m.Decode(codes)
	var s Scores
	for i, im := range imgs {
		c, err := metrics.Compare(recon[i], im)
		if err != nil {
			return Scores{}, err
		}
		s.PSNR += math.Min(c.PSNR, 100)
		s.SSIM += c.SSIM
	}
	if n := float64(len(imgs)); n > 0 {
		s.PSNR /= n
		s.SSIM /= n
	}
	s.Usage = m.Usage(codes)
	return s, nil
}
