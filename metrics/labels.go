package metrics

import (
	"fmt"
	"math"

	"xprompt/img"
)

// MIoU returns the mean intersection over union of two label maps of equal
// length with labels in [0, classes): for each class c present in pred or
// truth, IoU_c = |pred=c ∧ truth=c| / |pred=c ∨ truth=c|, and MIoU is the
// mean over those classes. Classes absent from both maps are not counted. It
// returns NaN for empty maps and panics if the lengths differ or a label is
// out of range.
func MIoU(pred, truth []uint8, classes int) float64 {
	if len(pred) != len(truth) {
		panic(fmt.Sprintf("metrics.MIoU: length mismatch %d vs %d", len(pred), len(truth)))
	}
	if classes < 1 || classes > 256 {
		panic(fmt.Sprintf("metrics.MIoU: bad class count %d", classes))
	}
	inter := make([]int, classes)
	np := make([]int, classes) // pixels predicted as c
	nt := make([]int, classes) // pixels labelled c
	for i, p := range pred {
		t := truth[i]
		if int(p) >= classes || int(t) >= classes {
			panic(fmt.Sprintf("metrics.MIoU: label %d or %d at %d not below %d classes", p, t, i, classes))
		}
		np[p]++
		nt[t]++
		if p == t {
			inter[p]++
		}
	}
	sum, n := 0.0, 0
	for c := range inter {
		if union := np[c] + nt[c] - inter[c]; union > 0 {
			sum += float64(inter[c]) / float64(union)
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// MeanAngleError returns the mean angle, in degrees, between the normals of
// two normal maps, each pixel encoding n = 2·(r, g, b) − 1:
// mean over pixels of acos(clamp(n̂p·n̂t, −1, 1))·180/π. Pixels where either
// vector is shorter than 1e-6 (no normal) are skipped; NaN if every pixel is
// skipped.
func MeanAngleError(pred, truth *img.Image) (float64, error) {
	if err := checkPair("MeanAngleError", pred, truth); err != nil {
		return 0, err
	}
	sum, n := 0.0, 0
	for i := 0; i < len(pred.Pix); i += 3 {
		var p, t [3]float64
		var pp, tt, pt float64
		for c := 0; c < 3; c++ {
			p[c] = 2*float64(pred.Pix[i+c]) - 1
			t[c] = 2*float64(truth.Pix[i+c]) - 1
			pp += p[c] * p[c]
			tt += t[c] * t[c]
			pt += p[c] * t[c]
		}
		if pp < 1e-12 || tt < 1e-12 {
			continue
		}
		cos := math.Max(-1, math.Min(1, pt/math.Sqrt(pp*tt)))
		sum += math.Acos(cos) * 180 / math.Pi
		n++
	}
	if n == 0 {
		return math.NaN(), nil
	}
	return sum / float64(n), nil
}
