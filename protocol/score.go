package protocol

import (
	"math"

	"xprompt/img"
	"xprompt/metrics"
)

// PSNRCap is the PSNR given to an output identical to its truth (whose PSNR
// is +Inf), so that means stay finite.
const PSNRCap = 100

// Score holds the whole-image metrics of one output against its truth.
type Score struct {
	PSNR, SSIM, RMSE float64
}

// ScoreImage compares an output with its ground truth: PSNR (at most
// PSNRCap), SSIM and RMSE over the whole image.
func ScoreImage(got, want *img.Image) (Score, error) {
	s, err := metrics.Compare(got, want)
	if err != nil {
		return Score{}, err
	}
	return Score{PSNR: math.Min(s.PSNR, PSNRCap), SSIM: s.SSIM, RMSE: s.RMSE}, nil
}

// RegionMask marks the pixels where the query's input and ground truth
// differ (in any channel), dilated by one pixel: the region a local edit
// changes, from the task renderer's exact images. It is nil when they do
// not differ.
func RegionMask(input, truth *img.Image) ([]bool, error) {
	changed, err := metrics.ChangedMask(input, truth, 0)
	if err != nil {
		return nil, err
	}
	any := false
	for _, c := range changed {
		any = any || c
	}
	if !any {
		return nil, nil
	}
	return metrics.Dilate(changed, input.W, input.H, 1), nil
}

// RegionPSNR is the PSNR of an output against its truth inside mask (at
// most PSNRCap).
func RegionPSNR(got, want *img.Image, mask []bool) (float64, error) {
	p, err := metrics.MaskedPSNR(got, want, mask)
	if err != nil {
		return 0, err
	}
	return math.Min(p, PSNRCap), nil
}
