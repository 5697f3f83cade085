package tasks

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"xprompt/img"
)

// imgOp is a whole-image pixel operation.
type imgOp = func(*img.Image) *img.Image

// globalFamilies returns the whole-image colour and geometry families.
// Brightness, contrast and gamma are drawn at moderate strengths so that
// low-light enhancement (held out) is a stronger member of a known kind.
func globalFamilies() []*Family {
	fs := []*Family{
		{
			Name: "grayscale", Kind: KindGlobal, Reverse: "colorize",
			Templates: []string{"make the image black and white", "convert the image to grayscale", "remove the colour"},
			sample:    fixedOp(Grayscale, nil, "the image became grayscale", "the grayscale image was colorized"),
		},
		{
			Name: "colorize", Kind: KindGlobal, Reverse: "grayscale",
			Templates: []string{"colorize the image", "add colour to the black and white image", "restore the colours"},
			sample:    reverseOf("grayscale"),
		},
		{
			Name: "invert", Kind: KindGlobal, Reverse: "invert", Invertible: true,
			Templates: []string{"invert the colours", "make a negative of the image", "invert the image"},
			sample:    fixedOp(Invert, Invert, "the colours were inverted", "the colours were inverted"),
		},
		{
			Name: "flip_h", Kind: KindGlobal, Reverse: "flip_h", Invertible: true,
			Templates: []string{"flip the image horizontally", "mirror the image left to right", "flip it left to right"},
			sample:    fixedOp(FlipH, FlipH, "the image was flipped left to right", "the image was flipped left to right"),
		},
		{
			Name: "flip_v", Kind: KindGlobal, Reverse: "flip_v", Invertible: true,
			Templates: []string{"flip the image vertically", "mirror the image top to bottom", "flip it upside down"},
			sample:    fixedOp(FlipV, FlipV, "the image was flipped top to bottom", "the image was flipped top to bottom"),
		},
		{
			Name: "rotate90", Kind: KindGlobal, Reverse: "rotate270", Invertible: true,
			Templates: []string{"rotate the image 90 degrees clockwise", "turn the image a quarter turn to the right"},
			sample:    fixedOp(Rotate90, Rotate270, "the image was rotated 90 degrees clockwise", "the image was rotated 90 degrees counterclockwise"),
		},
		{
			Name: "rotate270", Kind: KindGlobal, Reverse: "rotate90", Invertible: true,
			Templates: []string{"rotate the image 90 degrees counterclockwise", "turn the image a quarter turn to the left"},
			sample:    reverseOf("rotate90"),
		},
		{
			Name: "rotate180", Kind: KindGlobal, Reverse: "rotate180", Invertible: true,
			Templates: []string{"rotate the image 180 degrees", "turn the image upside down", "give the image a half turn"},
			sample:    fixedOp(Rotate180, Rotate180, "the image was rotated 180 degrees", "the image was rotated 180 degrees"),
		},
		{
			Name: "posterize", Kind: KindGlobal,
			Templates: []string{"posterize the image to {n} levels", "reduce each colour channel to {n} levels", "posterize the image"},
			sample:    samplePosterize,
		},
		{
			Name: "hue_shift", Kind: KindGlobal, Reverse: "hue_shift", Invertible: true,
			Templates: []string{"shift the hue by {k} degrees", "rotate the colours around the colour wheel by {k} degrees", "turn the hue {k} degrees"},
			sample:    sampleHue,
		},
		{
			Name: "brightness", Kind: KindGlobal, Reverse: "brightness",
			Templates: []string{"make the image {dir}", "{verb} the image by {pct} percent", "{verb} the image"},
			sample:    sampleBrightness,
		},
		{
			Name: "contrast", Kind: KindGlobal, Reverse: "contrast",
			Templates: []string{"{verb} the contrast", "{verb} the contrast by {pct} percent", "make the image {adj}"},
			sample:    sampleContrast,
		},
		{
			Name: "gamma", Kind: KindGlobal, Reverse: "gamma", Invertible: true,
			Templates: []string{"apply a gamma of {g}", "make the mid-tones {dir}", "apply a gamma curve of {g}"},
			sample:    sampleGamma,
		},
	}
	for seed := uint64(1); seed <= 3; seed++ {
		fs = append(fs, PalettePermutation(seed), PalettePermutationInverse(seed))
	}
	return fs
}

// fixedOp returns a sampler of the parameterless operation op on a random
// scene; undo is its exact inverse (nil when it has none).
func fixedOp(op, undo imgOp, desc, revDesc string) func(*Family, *rand.Rand, int) Example {
	return func(f *Family, rng *rand.Rand, size int) Example {
		s, m := sceneAndImage(rng, size)
		p := pairSpec{in: m, out: op(m), scene: s, desc: desc, revDesc: revDesc}
		if undo != nil {
			p.op, p.undo = op, undo
		}
		return f.pair(rng, p)
	}
}

func samplePosterize(f *Family, rng *rand.Rand, size int) Example {
	s, m := sceneAndImage(rng, size)
	n := 2 + rng.IntN(3)
	ns := strconv.Itoa(n)
	return f.pair(rng, pairSpec{in: m, out: Posterize(m, n), scene: s, kv: []string{"n", ns},
		desc: "the colours were reduced to " + ns + " levels per channel"})
}

// sampleHue rotates hues by k ∈ {60, 120, 180, 240, 300}; the reverse
// rotates by 360 − k.
func sampleHue(f *Family, rng *rand.Rand, size int) Example {
	s, m := sceneAndImage(rng, size)
	k := 60 * (1 + rng.IntN(5))
	op := func(x *img.Image) *img.Image { return HueShift(x, float64(k)) }
	undo := func(x *img.Image) *img.Image { return HueShift(x, float64(360-k)) }
	ks, rs := strconv.Itoa(k), strconv.Itoa(360-k)
	return f.pair(rng, pairSpec{
		in: m, out: op(m), scene: s, op: op, undo: undo,
		kv: []string{"k", ks}, revKV: []string{"k", rs},
		desc: "the hues were rotated by " + ks + " degrees", revDesc: "the hues were rotated by " + rs + " degrees",
	})
}

// strength draws a factor in [lo, hi] (weakening) or [1/hi, 1/lo]
// (strengthening) with equal odds.
func strength(rng *rand.Rand, lo, hi float64) float64 {
	v := lo + rng.Float64()*(hi-lo)
	if rng.IntN(2) == 0 {
		return 1 / v
	}
	return v
}

// pct formats |f − 1| as a whole percentage.
func pct(f float64) string { return strconv.Itoa(int(math.Round(math.Abs(f-1) * 100))) }

// sampleBrightness scales by f ∈ [0.55, 0.8] or [1.25, 1.82]; the reverse
// instruction scales by 1/f (exact only where nothing clipped).
func sampleBrightness(f *Family, rng *rand.Rand, size int) Example {
	s, m := sceneAndImage(rng, size)
	k := strength(rng, 0.55, 0.8)
	words := func(k float64) []string {
		if k < 1 {
			return []string{"dir", "darker", "verb", "darken", "pct", pct(k)}
		}
		return []string{"dir", "brighter", "verb", "brighten", "pct", pct(k)}
	}
	kv, rkv := words(k), words(1/k)
	return f.pair(rng, pairSpec{
		in: m, out: Brightness(m, k), scene: s, kv: kv, revKV: rkv,
		desc: "the image became " + kv[1], revDesc: "the image became " + rkv[1],
	})
}

// sampleContrast stretches about ½ by c ∈ [0.5, 0.75] or [1.33, 2].
func sampleContrast(f *Family, rng *rand.Rand, size int) Example {
	s, m := sceneAndImage(rng, size)
	c := strength(rng, 0.5, 0.75)
	words := func(c float64) []string {
		if c < 1 {
			return []string{"verb", "reduce", "adj", "flatter", "pct", pct(c), "past", "decreased"}
		}
		return []string{"verb", "increase", "adj", "punchier", "pct", pct(c), "past", "increased"}
	}
	kv, rkv := words(c), words(1/c)
	return f.pair(rng, pairSpec{
		in: m, out: Contrast(m, c), scene: s, kv: kv, revKV: rkv,
		desc: "the contrast " + kv[7], revDesc: "the contrast " + rkv[7],
	})
}

// sampleGamma applies v^g with g ∈ [0.55, 0.8] or [1.25, 1.82]; the reverse
// applies v^(1/g), which undoes it exactly (no clipping).
func sampleGamma(f *Family, rng *rand.Rand, size int) Example {
	s, m := sceneAndImage(rng, size)
	g := strength(rng, 0.55, 0.8)
	words := func(g float64) []string {
		dir := "lighter"
		if g > 1 {
			dir = "darker"
		}
		return []string{"g", strconv.FormatFloat(g, 'f', 2, 64), "dir", dir}
	}
	kv, rkv := words(g), words(1/g)
	op := func(x *img.Image) *img.Image { return Gamma(x, g) }
	undo := func(x *img.Image) *img.Image { return Gamma(x, 1/g) }
	return f.pair(rng, pairSpec{
		in: m, out: op(m), scene: s, kv: kv, revKV: rkv, op: op, undo: undo,
		desc: "the mid-tones became " + kv[3], revDesc: "the mid-tones became " + rkv[3],
	})
}

// PaletteDerangement returns the permutation of palette indices that
// palette permutation task seed applies: a derangement (no colour maps to
// itself) drawn from NewRand(seed).
func PaletteDerangement(seed uint64) []int {
	rng := NewRand(seed ^ 0x70616c65747465) // "palette"
	for {
		p := rng.Perm(len(Palette))
		fixed := false
		for i, j := range p {
			fixed = fixed || i == j
		}
		if !fixed {
			return p
		}
	}
}

// invertPerm returns q with q[p[i]] = i.
func invertPerm(p []int) []int {
	q := make([]int, len(p))
	for i, j := range p {
		q[j] = i
	}
	return q
}

// PalettePermutation returns the family "palette_perm_SEED": every object
// colour c becomes PaletteDerangement(seed)[c]; the background is kept.
// Each seed is a different task; the reverse is PalettePermutationInverse.
func PalettePermutation(seed uint64) *Family {
	return paletteFamily(seed, false)
}

// PalettePermutationInverse returns "palette_perm_SEED_inv", which undoes
// PalettePermutation(seed).
func PalettePermutationInverse(seed uint64) *Family {
	return paletteFamily(seed, true)
}

func paletteFamily(seed uint64, inverse bool) *Family {
	id := strconv.FormatUint(seed, 10)
	f := &Family{
		Name: "palette_perm_" + id, Kind: KindGlobal, Reverse: "palette_perm_" + id + "_inv",
		Invertible: true, Weight: 0.5, bindsColours: true,
		Templates: []string{"apply palette " + id, "recolour with colour mapping " + id, "swap the colours with scheme " + id},
	}
	if inverse {
		f.Name, f.Reverse = f.Reverse, f.Name
		f.Templates = []string{"undo palette " + id, "revert colour mapping " + id, "swap the colours back from scheme " + id}
	}
	perm := PaletteDerangement(seed)
	inv := invertPerm(perm)
	if inverse {
		perm, inv = inv, perm
	}
	f.sample = func(f *Family, rng *rand.Rand, size int) Example {
		var s *Scene
		if f.bound { // every example holds the same colours: each shows the others' mapping
			p := f.params(rng)
			opt := SceneOptions{Colours: p.Perm(len(Palette))[:1+p.IntN(4)]}
			for try := 0; try < editTries; try++ { // a full image keeps fewer objects: redraw it
				if s = RandomScene(rng, size, opt); len(s.Objects) == len(opt.Colours) {
					break
				}
			}
		} else {
			s = RandomScene(rng, size, DefaultSceneOptions)
		}
		m := Render(s)
		op := func(x *img.Image) *img.Image { return PermutePalette(x, perm) }
		undo := func(x *img.Image) *img.Image { return PermutePalette(x, inv) }
		out := s.Clone()
		var d, rd []string
		for i := range out.Objects {
			o := &out.Objects[i]
			d = append(d, "the "+o.Name()+" became "+ColourNames[perm[o.Colour]])
			o.Colour = perm[o.Colour]
			rd = append(rd, "the "+o.Name()+" became "+ColourNames[inv[o.Colour]])
		}
		return f.pair(rng, pairSpec{
			in: m, out: op(m), scene: s, outScene: out, op: op, undo: undo,
			desc: listPhrase(d), revDesc: listPhrase(rd),
		})
	}
	return f
}

// parsePalettePermutation recognises "palette_perm_SEED" and
// "palette_perm_SEED_inv".
func parsePalettePermutation(name string) (*Family, bool) {
	seed, inverse, ok := parseSeeded(name, "palette_perm_")
	if !ok {
		return nil, false
	}
	return paletteFamily(seed, inverse), true
}

// parseSeeded reads "PREFIXSEED" or "PREFIXSEED_inv", the names of the
// families made from a seed; SEED is a decimal number without sign or
// leading zeros.
func parseSeeded(name, prefix string) (seed uint64, inverse, ok bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false, false
	}
	rest, inverse = strings.CutSuffix(rest, "_inv")
	seed, err := strconv.ParseUint(rest, 10, 64)
	if err != nil || strconv.FormatUint(seed, 10) != rest {
		return 0, false, false
	}
	return seed, inverse, true
}
