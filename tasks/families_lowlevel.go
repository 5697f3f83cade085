package tasks

import (
	"math"
	"math/rand/v2"
)

// lowLevelFamilies returns the restoration families and their degradations.
// Noise and blur are seen; rain and low light are held out, so that
// deraining and low-light enhancement are new members of a known kind.
func lowLevelFamilies() []*Family {
	return []*Family{
		{
			Name: "denoise", Kind: KindLowLevel, Reverse: "add_noise",
			Templates: []string{"remove the noise", "denoise the image", "clean up the noisy image", "make the grainy image clean"},
			sample:    sampleNoise,
		},
		{
			Name: "add_noise", Kind: KindLowLevel, Reverse: "denoise",
			Templates: []string{"add {strength} noise", "make the image noisy", "add {strength} grain to the image"},
			sample:    reverseOf("denoise"),
		},
		{
			Name: "deblur", Kind: KindLowLevel, Reverse: "add_blur",
			Templates: []string{"sharpen the image", "deblur the image", "remove the blur", "make the blurry image sharp"},
			sample:    sampleBlur,
		},
		{
			Name: "add_blur", Kind: KindLowLevel, Reverse: "deblur",
			Templates: []string{"blur the image", "add a {strength} blur", "make the image {strength}ly blurred"},
			sample:    reverseOf("deblur"),
		},
		{
			Name: "derain", Kind: KindLowLevel, HeldOut: true, Reverse: "add_rain",
			Templates: []string{"remove the rain", "derain the image", "take away the rain streaks", "clear the rain from the picture"},
			sample:    sampleRain,
		},
		{
			Name: "add_rain", Kind: KindLowLevel, HeldOut: true, Reverse: "derain",
			Templates: []string{"add rain", "make it rain", "add {strength} rain streaks"},
			sample:    reverseOf("derain"),
		},
		{
			Name: "lowlight", Kind: KindLowLevel, HeldOut: true, Reverse: "make_lowlight",
			Templates: []string{"enhance the low-light image", "brighten the dark photo", "fix the underexposed image", "light up the night shot"},
			sample:    sampleLowLight,
		},
		{
			Name: "make_lowlight", Kind: KindLowLevel, HeldOut: true, Reverse: "lowlight",
			Templates: []string{"make it look like night", "turn the image into a low-light shot", "underexpose the image"},
			sample:    reverseOf("lowlight"),
		},
		{
			Name: "inpaint", Kind: KindLowLevel, Reverse: "add_hole",
			Templates: []string{"fill the hole", "inpaint the missing region", "fill in the black rectangle {where}", "repair the {region} of the image"},
			sample:    sampleHole,
		},
		{
			Name: "add_hole", Kind: KindLowLevel, Reverse: "inpaint",
			Templates: []string{"cut a black hole {where}", "black out a rectangle {where}", "erase part of the {region}"},
			sample:    reverseOf("inpaint"),
		},
	}
}

// reverseOf returns a sampler that draws an example of the named family and
// yields its reverse.
func reverseOf(name string) func(*Family, *rand.Rand, int) Example {
	return func(f *Family, rng *rand.Rand, size int) Example {
		g := mustFamily(name)
		g.bound, g.paramSeed = f.bound, f.paramSeed // a bound reverse binds its forward family alike
		e := g.Sample(rng, size)
		r, _ := e.Reversed()
		return r
	}
}

// strengthWord returns "light" below the midpoint of [lo, hi] and "heavy" above.
func strengthWord(v, lo, hi float64) string {
	if v < (lo+hi)/2 {
		return "light"
	}
	return "heavy"
}

func sampleNoise(f *Family, rng *rand.Rand, size int) Example {
	s, clean := sceneAndImage(rng, size)
	sigma := 0.04 + rng.Float64()*0.10
	noisy := AddNoise(clean, rng, sigma)
	st := strengthWord(sigma, 0.04, 0.14)
	return f.pair(rng, pairSpec{
		in: noisy, out: clean, scene: s,
		revKV: []string{"strength", st},
		desc:  "the noise was removed", revDesc: st + " noise was added",
	})
}

func sampleBlur(f *Family, rng *rand.Rand, size int) Example {
	s, sharp := sceneAndImage(rng, size)
	sigma := (0.6 + rng.Float64()*0.9) * float64(size) / 32
	st := strengthWord(sigma*32/float64(size), 0.6, 1.5)
	return f.pair(rng, pairSpec{
		in: Blur(sharp, sigma), out: sharp, scene: s,
		revKV: []string{"strength", st},
		desc:  "the image became sharp", revDesc: "the image became " + st + "ly blurred",
	})
}

func sampleRain(f *Family, rng *rand.Rand, size int) Example {
	s, clear := sceneAndImage(rng, size)
	p := f.params(rng)
	density := 0.5 + p.Float64()*0.5
	count := int(math.Round(density * float64(size*size) / 64))
	length := int(math.Round((3 + p.Float64()*3) * float64(size) / 32))
	slant := (p.Float64() - 0.5)
	st := strengthWord(density, 0.5, 1)
	return f.pair(rng, pairSpec{
		in: AddRain(clear, rng, count, max(length, 2), slant), out: clear, scene: s,
		revKV: []string{"strength", st},
		desc:  "the rain streaks were removed", revDesc: st + " rain streaks were added",
	})
}

// sampleLowLight darkens with k·v^g, k ∈ [0.15, 0.35], g ∈ [1.2, 1.5]: much
// stronger than the seen brightness and gamma curves.
func sampleLowLight(f *Family, rng *rand.Rand, size int) Example {
	s, day := sceneAndImage(rng, size)
	p := f.params(rng)
	k := 0.15 + p.Float64()*0.2
	g := 1.2 + p.Float64()*0.3
	return f.pair(rng, pairSpec{
		in: LowLight(day, k, g), out: day, scene: s,
		desc: "the dark image became bright", revDesc: "the image became very dark",
	})
}

// sampleHole cuts a black rectangle of 25–45% of the side in each direction.
func sampleHole(f *Family, rng *rand.Rand, size int) Example {
	s, full := sceneAndImage(rng, size)
	w := int(float64(size) * (0.25 + rng.Float64()*0.2))
	h := int(float64(size) * (0.25 + rng.Float64()*0.2))
	x0, y0 := rng.IntN(size-w+1), rng.IntN(size-h+1)
	r := RegionOf((float64(x0)+float64(w)/2)/float64(size), (float64(y0)+float64(h)/2)/float64(size))
	kv := []string{"region", Regions[r], "where", regionPhrase(r)}
	return f.pair(rng, pairSpec{
		in: CutHole(full, x0, y0, w, h), out: full, scene: s, kv: kv, revKV: kv,
		desc:    "the black hole " + regionPhrase(r) + " was filled",
		revDesc: "a black rectangle was cut out " + regionPhrase(r),
	})
}
