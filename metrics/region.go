package metrics

import (
	"fmt"
	"math"

	"xprompt/img"
)

// ChangedMask returns, per pixel (row-major, W·H), whether a and b differ
// there by more than tol in any channel. It returns an error if the sizes
// differ.
func ChangedMask(a, b *img.Image, tol float32) ([]bool, error) {
	if err := checkPair("ChangedMask", a, b); err != nil {
		return nil, err
	}
	out := make([]bool, a.W*a.H)
	for p := range out {
		for c := 0; c < 3; c++ {
			d := a.Pix[3*p+c] - b.Pix[3*p+c]
			if d > tol || d < -tol {
				out[p] = true
				break
			}
		}
	}
	return out, nil
}

// Dilate returns the mask grown by r pixels: a pixel is set when some set
// pixel of mask lies within Chebyshev distance r (a (2r+1)×(2r+1) square).
// It panics if len(mask) ≠ w·h or r < 0.
func Dilate(mask []bool, w, h, r int) []bool {
	if len(mask) != w*h || r < 0 {
		panic(fmt.Sprintf("metrics.Dilate: mask of %d for %d×%d, radius %d", len(mask), w, h, r))
	}
	out := make([]bool, len(mask))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if !mask[y*w+x] {
				continue
			}
			for yy := max(y-r, 0); yy <= min(y+r, h-1); yy++ {
				for xx := max(x-r, 0); xx <= min(x+r, w-1); xx++ {
					out[yy*w+xx] = true
				}
			}
		}
	}
	return out
}

// MaskedPSNR returns the PSNR (MAX = 1) of a against b over the pixels where
// mask is set, all three channels: 10·log10(1/MSE_mask); +Inf when they
// agree there. It returns an error if the sizes differ, the mask does not
// match them or it is empty.
func MaskedPSNR(a, b *img.Image, mask []bool) (float64, error) {
	if err := checkPair("MaskedPSNR", a, b); err != nil {
		return 0, err
	}
	if len(mask) != a.W*a.H {
		return 0, fmt.Errorf("metrics: MaskedPSNR: mask of %d pixels for a %d×%d image", len(mask), a.W, a.H)
	}
	s, n := 0.0, 0
	for p, on := range mask {
		if !on {
			continue
		}
		for c := 0; c < 3; c++ {
			d := float64(a.Pix[3*p+c]) - float64(b.Pix[3*p+c])
			s += d * d
		}
		n += 3
	}
	if n == 0 {
		return 0, fmt.Errorf("metrics: MaskedPSNR: empty mask")
	}
	if s == 0 {
		return math.Inf(1), nil
	}
	return -10 * math.Log10(s/float64(n)), nil
}
