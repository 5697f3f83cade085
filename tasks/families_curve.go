package tasks

import (
	"math"
	"math/rand/v2"
	"strconv"

	"xprompt/img"
)

// ToneCurveParams returns the gain a and exponent e of tone-curve task
// seed: every channel value v becomes clip(a·v^e) to [0,1]. Both are drawn
// log-uniformly from NewRand(seed), a ∈ [1/5, 5] and e ∈ [1/2, 2], and
// redrawn while the curve is close to the identity (|ln a| + |ln e| < 0.4).
// The family spans brightness (e = 1) and gamma (a = 1) far beyond their
// own ranges, and every mix of the two.
func ToneCurveParams(seed uint64) (a, e float64) {
	rng := NewRand(seed ^ 0x746f6e65) // "tone"
	for {
		la := (rng.Float64()*2 - 1) * math.Log(5)
		le := (rng.Float64()*2 - 1) * math.Log(2)
		if math.Abs(la)+math.Abs(le) >= 0.4 {
			return math.Exp(la), math.Exp(le)
		}
	}
}

// ToneCurve applies v → clip(a·v^e) to every channel value of m.
func ToneCurve(m *img.Image, a, e float64) *img.Image {
	return mapValues(m, func(v float32) float32 { return clamp01(float32(a * math.Pow(float64(v), e))) })
}

// ToneCurveFamily returns the family "tone_curve_SEED": the tone curve of
// ToneCurveParams(seed) applied to a random scene. Each seed is a different
// task, one the in-context example shows and whose instruction names only
// its number; the reverse, "tone_curve_SEED_inv", maps the output back
// (values the curve clipped stay clipped).
func ToneCurveFamily(seed uint64) *Family {
	return toneCurveFamily(seed, false)
}

func toneCurveFamily(seed uint64, inverse bool) *Family {
	id := strconv.FormatUint(seed, 10)
	f := &Family{
		Name: "tone_curve_" + id, Kind: KindGlobal, Reverse: "tone_curve_" + id + "_inv", Weight: 0.5,
		Templates: []string{"apply tone curve " + id, "regrade the tones with curve " + id, "use exposure preset " + id},
	}
	if inverse {
		f.Name, f.Reverse = f.Reverse, f.Name
		f.Templates = []string{"undo tone curve " + id, "revert the tones of curve " + id, "remove exposure preset " + id}
	}
	a, e := ToneCurveParams(seed)
	f.sample = func(f *Family, rng *rand.Rand, size int) Example {
		s, m := sceneAndImage(rng, size)
		out := ToneCurve(m, a, e)
		in := m
		if inverse {
			in, out = out, m
		}
		return f.pair(rng, pairSpec{
			in: in, out: out, scene: s,
			desc: "the tones followed curve " + id, revDesc: "the tones went back from curve " + id,
		})
	}
	return f
}

// parseToneCurve recognises "tone_curve_SEED" and "tone_curve_SEED_inv".
func parseToneCurve(name string) (*Family, bool) {
	seed, inverse, ok := parseSeeded(name, "tone_curve_")
	if !ok {
		return nil, false
	}
	return toneCurveFamily(seed, inverse), true
}
