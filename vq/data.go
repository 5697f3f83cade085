package vq

import (
	"fmt"
	"math/rand/v2"

	"xprompt/img"
	"xprompt/tasks"
)

// restorationFamilies are the low-level families whose input is a degraded
// image (noise, blur, rain, low light, a hole) and whose output is clean.
var restorationFamilies = []string{"denoise", "deblur", "derain", "lowlight", "inpaint"}

// CleanScenes returns a data source of clean rendered scenes at size×size
// (default scene options).
func CleanScenes(size int) func(*rand.Rand) *img.Image {
	return func(rng *rand.Rand) *img.Image {
		return tasks.Render(tasks.RandomScene(rng, size, tasks.DefaultSceneOptions))
	}
}

// DegradedScenes returns a data source of degraded scenes: the inputs of the
// restoration families (noisy, blurred, rainy, dark, with a hole), one family
// drawn uniformly per image.
func DegradedScenes(size int) func(*rand.Rand) *img.Image {
	fams := make([]*tasks.Family, len(restorationFamilies))
	for i, n := range restorationFamilies {
		f, err := tasks.ByName(n)
		if err != nil {
			panic("vq.DegradedScenes: " + err.Error()) // the names above are the package's own
		}
		fams[i] = f
	}
	return func(rng *rand.Rand) *img.Image {
		return fams[rng.IntN(len(fams))].Sample(rng, size).Input
	}
}

// WorldImages returns the training data source of the tokenizer: half clean
// scenes, a quarter degraded scenes (DegradedScenes), and a quarter images
// from every task family, held-out ones included (an input or output image
// of a random example: maps, edits, colour and geometry changes, the other
// side of restoration pairs). The tokenizer learns the world's images, not
// its tasks, so held-out families' images are fair to show it.
func WorldImages(size int) func(*rand.Rand) *img.Image {
	clean, degraded := CleanScenes(size), DegradedScenes(size)
	fams := tasks.All()
	return func(rng *rand.Rand) *img.Image {
		switch u := rng.Float64(); {
		case u < 0.5:
			return clean(rng)
		case u < 0.75:
			return degraded(rng)
		}
		for {
			e := fams[rng.IntN(len(fams))].Sample(rng, size)
			var cands []*img.Image
			for _, im := range []*img.Image{e.Input, e.Output, e.SecondInput} {
				if im != nil {
					cands = append(cands, im)
				}
			}
			if len(cands) > 0 {
				return cands[rng.IntN(len(cands))]
			}
		}
	}
}

// TaskOutputs returns a data source of the output images of the named task
// families, one name drawn uniformly per image (a family named twice is
// drawn twice as often). With Mix it weights a
// tokenizer's training towards the images a model must draw (inverted
// colours, edge maps), which the world's mix shows rarely.
func TaskOutputs(size int, names []string) (func(*rand.Rand) *img.Image, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("vq: no task families named")
	}
	if size < tasks.MinSize {
		return nil, fmt.Errorf("vq: task images need at least %d px, not %d", tasks.MinSize, size)
	}
	fams := make([]*tasks.Family, len(names))
	for i, n := range names {
		f, err := tasks.ByName(n)
		if err != nil {
			return nil, err
		}
		if !hasImageOutput(f) {
			return nil, fmt.Errorf("vq: family %q has a text output, not an image", n)
		}
		fams[i] = f
	}
	return func(rng *rand.Rand) *img.Image {
		return fams[rng.IntN(len(fams))].Sample(rng, size).Output
	}, nil
}

// ImageFamilies names every task family whose output is an image.
func ImageFamilies() []string {
	var names []string
	for _, f := range tasks.All() {
		if hasImageOutput(f) {
			names = append(names, f.Name)
		}
	}
	return names
}

func hasImageOutput(f *tasks.Family) bool {
	return f.Sample(tasks.NewRand(1), tasks.MinSize).Output != nil
}

// Mix returns a data source that draws from b with probability p and from a
// otherwise.
func Mix(a, b func(*rand.Rand) *img.Image, p float64) func(*rand.Rand) *img.Image {
	return func(rng *rand.Rand) *img.Image {
		if rng.Float64() < p {
			return b(rng)
		}
		return a(rng)
	}
}

// EvalSeed seeds the held-out evaluation sets; training sources are drawn
// from other generators.
const EvalSeed = 0x7e57_5e7

// EvalSet returns n held-out images at size×size of the named set: "clean"
// (CleanScenes) or "degraded" (DegradedScenes), drawn from a generator seeded
// with EvalSeed.
func EvalSet(name string, size, n int) ([]*img.Image, error) {
	var src func(*rand.Rand) *img.Image
	switch name {
	case "clean":
		src = CleanScenes(size)
	case "degraded":
		src = DegradedScenes(size)
	default:
		return nil, fmt.Errorf("vq: unknown evaluation set %q (want clean or degraded)", name)
	}
	rng := tasks.NewRand(EvalSeed)
	out := make([]*img.Image, n)
	for i := range out {
		out[i] = src(rng)
	}
	return out, nil
}

// TaskEvalSet returns n held-out output images of the named task family,
// drawn from a generator seeded with EvalSeed: the images a model's answers
// are scored against, so their reconstruction is the ceiling of its score.
func TaskEvalSet(family string, size, n int) ([]*img.Image, error) {
	src, err := TaskOutputs(size, []string{family})
	if err != nil {
		return nil, err
	}
	rng := tasks.NewRand(EvalSeed)
	out := make([]*img.Image, n)
	for i := range out {
		out[i] = src(rng)
	}
	return out, nil
}
