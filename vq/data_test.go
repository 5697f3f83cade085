package vq

import (
	"math/rand/v2"
	"slices"
	"testing"

	"xprompt/img"
	"xprompt/tasks"
)

// TestTaskOutputsDrawFamilyOutputs: with one family the source returns
// exactly that family's output image for the same random stream, and a
// family without an image output or an unknown name is refused.
func TestTaskOutputsDrawFamilyOutputs(t *testing.T) {
	src, err := TaskOutputs(32, []string{"invert"})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := tasks.ByName("invert")
	if err != nil {
		t.Fatal(err)
	}
	a, b := tasks.NewRand(7), tasks.NewRand(7)
	for i := 0; i < 5; i++ {
		got := src(a)
		b.IntN(1) // the source's draw of a family among one
		want := inv.Sample(b, 32).Output
		if !slices.Equal(got.Pix, want.Pix) {
			t.Fatalf("draw %d: not the invert family's output", i)
		}
	}
	for _, names := range [][]string{nil, {"caption"}, {"no_such_family"}, {"invert", "caption"}} {
		if _, err := TaskOutputs(32, names); err == nil {
			t.Errorf("TaskOutputs(%q): no error", names)
		}
	}
}

// TestMixDrawsInProportion: Mix takes b with probability p, a otherwise.
func TestMixDrawsInProportion(t *testing.T) {
	black, white := img.New(4, 4), img.New(4, 4)
	for i := range white.Pix {
		white.Pix[i] = 1
	}
	a := func(*rand.Rand) *img.Image { return black }
	b := func(*rand.Rand) *img.Image { return white }
	for _, p := range []float64{0, 0.3, 1} {
		rng := tasks.NewRand(3)
		m := Mix(a, b, p)
		const n = 4000
		whites := 0
		for i := 0; i < n; i++ {
			if m(rng) == white {
				whites++
			}
		}
		if got := float64(whites) / n; got < p-0.03 || got > p+0.03 {
			t.Errorf("p = %g: %.3f of the draws from b", p, got)
		}
	}
}

// TestTaskEvalSetIsFixed: the same call gives the same images, and a
// family's set differs from another's.
func TestTaskEvalSetIsFixed(t *testing.T) {
	x, err := TaskEvalSet("edges", 32, 3)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := TaskEvalSet("edges", 32, 3)
	z, _ := TaskEvalSet("invert", 32, 3)
	for i := range x {
		if !slices.Equal(x[i].Pix, y[i].Pix) {
			t.Errorf("image %d differs between two calls", i)
		}
		if slices.Equal(x[i].Pix, z[i].Pix) {
			t.Errorf("image %d: edges and invert give the same image", i)
		}
	}
	if _, err := TaskEvalSet("caption", 32, 3); err == nil {
		t.Error("caption (a text output): no error")
	}
}

// TestImageFamilies: every named family has an image output and the text
// families are left out.
func TestImageFamilies(t *testing.T) {
	names := ImageFamilies()
	if !slices.Contains(names, "invert") || !slices.Contains(names, "text_to_image") {
		t.Errorf("ImageFamilies() = %v: missing invert or text_to_image", names)
	}
	if slices.Contains(names, "caption") {
		t.Error("ImageFamilies() names caption, a text output")
	}
	if _, err := TaskOutputs(32, names); err != nil {
		t.Error(err)
	}
	if _, err := TaskOutputs(tasks.MinSize-1, []string{"invert"}); err == nil {
		t.Errorf("TaskOutputs at %d px: no error", tasks.MinSize-1)
	}
}
