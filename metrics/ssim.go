package metrics

import (
	"math"

	"xprompt/img"
)

// SSIM parameters (Wang et al. 2004).
const (
	ssimWindow = 11   // window side; the Gaussian's radius is 5 = int(3.5·σ + 0.5)
	ssimSigma  = 1.5  // Gaussian standard deviation, pixels
	ssimK1     = 0.01 // C1 = (K1·L)², L = 1
	ssimK2     = 0.03 // C2 = (K2·L)²
)

// SSIM returns the mean structural similarity of a and b, averaged over the
// R, G and B channels. Per channel, with Gaussian weights w (11×11, σ = 1.5,
// normalised to sum 1) over each window position that lies wholly inside the
// image ("valid" windows: (W−10)×(H−10) of them):
//
//	μx = Σ w·x, σx² = Σ w·x² − μx², σxy = Σ w·x·y − μx·μy,
//	S = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)),
//
// C1 = 0.01², C2 = 0.03², and the channel's value is the mean of S. This is
// scikit-image's structural_similarity(..., gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False, data_range=1): skimage filters the whole image
// with 'reflect' padding and then crops the 5-pixel border, which leaves
// exactly the valid windows.
//
// Along an axis shorter than 11 pixels (where skimage refuses) the window
// is as long as the image, with Gaussian weights exp(−(i−c)²/(2σ²)), centre
// c = (n−1)/2, normalised: there is then one window position along that axis.
// Computed in float64.
func SSIM(a, b *img.Image) (float64, error) {
	if err := checkPair("SSIM", a, b); err != nil {
		return 0, err
	}
	return ssim(a, b), nil
}

// ssim computes SSIM for two images of the same size.
func ssim(a, b *img.Image) float64 {
	wx, wy := gaussWindow(min(ssimWindow, a.W)), gaussWindow(min(ssimWindow, a.H))
	s := 0.0
	for c := 0; c < 3; c++ {
		s += ssimChannel(a, b, c, wx, wy)
	}
	return s / 3
}

// gaussWindow returns n weights exp(−(i−c)²/(2σ²)), c = (n−1)/2, divided by
// their sum (for n = 11 this is scipy's 1-D Gaussian kernel, σ = 1.5,
// truncate 3.5).
func gaussWindow(n int) []float64 {
	w := make([]float64, n)
	c := float64(n-1) / 2
	sum := 0.0
	for i := range w {
		d := float64(i) - c
		w[i] = math.Exp(-0.5 * d * d / (ssimSigma * ssimSigma))
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

// ssimChannel returns the mean SSIM map of channel c over the valid window
// positions, filtering separably: rows with wx, then columns with wy.
func ssimChannel(a, b *img.Image, c int, wx, wy []float64) float64 {
	W, H := a.W, a.H
	ow, oh := W-len(wx)+1, H-len(wy)+1
	// Horizontal pass: five maps (x, y, x², y², xy), H rows × ow columns.
	var h [5][]float64
	for k := range h {
		h[k] = make([]float64, H*ow)
	}
	for y := 0; y < H; y++ {
		for ox := 0; ox < ow; ox++ {
			var sx, sy, sxx, syy, sxy float64
			for k, w := range wx {
				i := (y*W+ox+k)*3 + c
				xv, yv := float64(a.Pix[i]), float64(b.Pix[i])
				sx += w * xv
				sy += w * yv
				sxx += w * xv * xv
				syy += w * yv * yv
				sxy += w * xv * yv
			}
			j := y*ow + ox
			h[0][j], h[1][j], h[2][j], h[3][j], h[4][j] = sx, sy, sxx, syy, sxy
		}
	}
	// Vertical pass and the SSIM map, accumulated as a mean.
	const c1, c2 = (ssimK1) * (ssimK1), (ssimK2) * (ssimK2)
	total := 0.0
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			var ux, uy, uxx, uyy, uxy float64
			for k, w := range wy {
				j := (oy+k)*ow + ox
				ux += w * h[0][j]
				uy += w * h[1][j]
				uxx += w * h[2][j]
				uyy += w * h[3][j]
				uxy += w * h[4][j]
			}
			vx, vy, vxy := uxx-ux*ux, uyy-uy*uy, uxy-ux*uy
			total += (2*ux*uy + c1) * (2*vxy + c2) / ((ux*ux + uy*uy + c1) * (vx + vy + c2))
		}
	}
	return total / float64(ow*oh)
}
