package metrics

import (
	"encoding/json"
	"fmt"
	"math"

	"xprompt/img"
)

// checkPair panics on a nil image (a caller mistake) and returns an error
// naming both sizes when a and b differ in size.
func checkPair(fn string, a, b *img.Image) error {
	if a == nil || b == nil {
		panic("metrics." + fn + ": nil image")
	}
	if a.W != b.W || a.H != b.H {
		return fmt.Errorf("metrics: %s: size mismatch: %d×%d vs %d×%d", fn, a.W, a.H, b.W, b.H)
	}
	return nil
}

// mse returns (1/(3·W·H)) Σ (a−b)² over all pixels and channels, in float64.
func mse(a, b *img.Image) float64 {
	s := 0.0
	for i, v := range a.Pix {
		d := float64(v) - float64(b.Pix[i])
		s += d * d
	}
	return s / float64(len(a.Pix))
}

// MSE returns the mean squared error (1/(3·W·H)) Σ (a−b)² over all pixels
// and the three channels.
func MSE(a, b *img.Image) (float64, error) {
	if err := checkPair("MSE", a, b); err != nil {
		return 0, err
	}
	return mse(a, b), nil
}

// RMSE returns √MSE(a, b).
func RMSE(a, b *img.Image) (float64, error) {
	if err := checkPair("RMSE", a, b); err != nil {
		return 0, err
	}
	return math.Sqrt(mse(a, b)), nil
}

// PSNR returns the peak signal-to-noise ratio in decibels,
// 10·log10(MAX² / MSE) with MAX = 1, over all channels; +Inf when a and b
// are identical.
func PSNR(a, b *img.Image) (float64, error) {
	if err := checkPair("PSNR", a, b); err != nil {
		return 0, err
	}
	m := mse(a, b)
	if m == 0 {
		return math.Inf(1), nil
	}
	return -10 * math.Log10(m), nil
}

// Scores holds the full-reference image metrics of one prediction.
type Scores struct {
	PSNR float64 `json:"psnr"` // dB; +Inf for identical images
	SSIM float64 `json:"ssim"`
	RMSE float64 `json:"rmse"`
}

// Compare returns PSNR, SSIM and RMSE of a against b.
func Compare(a, b *img.Image) (Scores, error) {
	if err := checkPair("Compare", a, b); err != nil {
		return Scores{}, err
	}
	m := mse(a, b)
	s := Scores{PSNR: math.Inf(1), SSIM: ssim(a, b), RMSE: math.Sqrt(m)}
	if m > 0 {
		s.PSNR = -10 * math.Log10(m)
	}
	return s, nil
}

// MarshalJSON writes {"psnr":…,"ssim":…,"rmse":…}. JSON has no infinity, so
// an infinite PSNR (identical images) is written as null.
func (s Scores) MarshalJSON() ([]byte, error) {
	var psnr any = s.PSNR
	if math.IsInf(s.PSNR, 0) || math.IsNaN(s.PSNR) {
		psnr = nil
	}
	return json.Marshal(struct {
		PSNR any     `json:"psnr"`
		SSIM float64 `json:"ssim"`
		RMSE float64 `json:"rmse"`
	}{psnr, s.SSIM, s.RMSE})
}

// String formats the scores for a terminal.
func (s Scores) String() string {
	return fmt.Sprintf("PSNR %.4f dB  SSIM %.6f  RMSE %.6f", s.PSNR, s.SSIM, s.RMSE)
}
