package tasks

import (
	"math"
	"testing"

	"xprompt/img"
)

// TestGeometryByHand checks flips and rotations of a 3×2 image whose pixel
// (x, y) holds (x/10, y/10, 0), against expected layouts written out.
func TestGeometryByHand(t *testing.T) {
	m := img.New(3, 2)
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			m.Set(x, y, float32(x)/10, float32(y)/10, 0)
		}
	}
	// Each want lists, row by row, the source (x, y) of every pixel.
	cases := []struct {
		name string
		f    func(*img.Image) *img.Image
		want [][][2]int
	}{
		{"FlipH", FlipH, [][][2]int{{{2, 0}, {1, 0}, {0, 0}}, {{2, 1}, {1, 1}, {0, 1}}}},
		{"FlipV", FlipV, [][][2]int{{{0, 1}, {1, 1}, {2, 1}}, {{0, 0}, {1, 0}, {2, 0}}}},
		{"Rotate180", Rotate180, [][][2]int{{{2, 1}, {1, 1}, {0, 1}}, {{2, 0}, {1, 0}, {0, 0}}}},
		// Clockwise: the left column, read bottom to top, becomes the top row.
		{"Rotate90", Rotate90, [][][2]int{{{0, 1}, {0, 0}}, {{1, 1}, {1, 0}}, {{2, 1}, {2, 0}}}},
		{"Rotate270", Rotate270, [][][2]int{{{2, 0}, {2, 1}}, {{1, 0}, {1, 1}}, {{0, 0}, {0, 1}}}},
	}
	for _, c := range cases {
		out := c.f(m)
		if out.H != len(c.want) || out.W != len(c.want[0]) {
			t.Fatalf("%s: size %d×%d", c.name, out.W, out.H)
		}
		for y, row := range c.want {
			for x, src := range row {
				r, g, _ := out.At(x, y)
				if r != float32(src[0])/10 || g != float32(src[1])/10 {
					t.Errorf("%s: pixel (%d,%d) came from (%g,%g), want %v", c.name, x, y, r*10, g*10, src)
				}
			}
		}
	}
}

// TestInverses checks each invertible operation against its inverse on
// random images (exact for geometry, palette and invert up to float
// rounding; hue shift and gamma to 1e-5).
func TestInverses(t *testing.T) {
	m := randomImage(5, 4, 1)
	pal := Render(RandomScene(NewRand(4), 16, SceneOptions{MinObjects: 4, MaxObjects: 4}))
	perm := PaletteDerangement(9)
	cases := []struct {
		name    string
		m       *img.Image
		do, inv func(*img.Image) *img.Image
		tol     float64
	}{
		{"FlipH", m, FlipH, FlipH, 0},
		{"FlipV", m, FlipV, FlipV, 0},
		{"Rotate90", m, Rotate90, Rotate270, 0},
		{"Rotate180", m, Rotate180, Rotate180, 0},
		{"Rotate90⁴", m, func(x *img.Image) *img.Image { return Rotate90(Rotate90(Rotate90(x))) }, Rotate90, 0},
		{"Invert", m, Invert, Invert, 1e-7},
		{"Hue 60", m, func(x *img.Image) *img.Image { return HueShift(x, 60) }, func(x *img.Image) *img.Image { return HueShift(x, 300) }, 1e-5},
		{"Hue 120", m, func(x *img.Image) *img.Image { return HueShift(x, 120) }, func(x *img.Image) *img.Image { return HueShift(x, -120) }, 1e-5},
		{"Gamma", m, func(x *img.Image) *img.Image { return Gamma(x, 1.7) }, func(x *img.Image) *img.Image { return Gamma(x, 1/1.7) }, 1e-5},
		{"Palette", pal, func(x *img.Image) *img.Image { return PermutePalette(x, perm) }, func(x *img.Image) *img.Image { return PermutePalette(x, invertPerm(perm)) }, 0},
	}
	for _, c := range cases {
		out := c.do(c.m)
		if maxDiff(out, c.m) == 0 {
			t.Errorf("%s: the operation changed nothing", c.name)
		}
		if d := maxDiff(c.inv(out), c.m); d > c.tol {
			t.Errorf("%s: inverse leaves an error of %g > %g", c.name, d, c.tol)
		}
	}
}

func TestColourOpsByHand(t *testing.T) {
	m := imageFromRows([][][3]float32{{{1, 0, 0}, {0.2, 0.4, 0.8}, {0.5, 0.5, 0.5}}})
	at := func(m *img.Image, x int) [3]float32 {
		r, g, b := m.At(x, 0)
		return [3]float32{r, g, b}
	}
	near := func(a, b [3]float32) bool {
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-6 {
				return false
			}
		}
		return true
	}
	cases := []struct {
		name string
		out  *img.Image
		x    int
		want [3]float32
	}{
		{"Grayscale red", Grayscale(m), 0, [3]float32{0.299, 0.299, 0.299}},
		{"Grayscale mix", Grayscale(m), 1, [3]float32{0.3858, 0.3858, 0.3858}},
		{"Invert", Invert(m), 1, [3]float32{0.8, 0.6, 0.2}},
		{"Hue red+120", HueShift(m, 120), 0, [3]float32{0, 1, 0}},
		{"Hue red+240", HueShift(m, 240), 0, [3]float32{0, 0, 1}},
		{"Hue grey", HueShift(m, 77), 2, [3]float32{0.5, 0.5, 0.5}},
		// (0.2,0.4,0.8): h = 220°, s = 0.75, v = 0.8 → +180° gives h = 40°: (0.8, 0.6, 0.2).
		{"Hue +180", HueShift(m, 180), 1, [3]float32{0.8, 0.6, 0.2}},
		{"Posterize 2", Posterize(m, 2), 1, [3]float32{0, 0, 1}},
		{"Posterize 3", Posterize(m, 3), 1, [3]float32{0, 0.5, 1}},
		{"Brightness", Brightness(m, 1.5), 1, [3]float32{0.3, 0.6, 1}},
		{"Contrast", Contrast(m, 2), 1, [3]float32{0, 0.3, 1}},
		{"Gamma", Gamma(m, 2), 1, [3]float32{0.04, 0.16, 0.64}},
		{"LowLight", LowLight(m, 0.5, 2), 1, [3]float32{0.02, 0.08, 0.32}},
	}
	for _, c := range cases {
		if got := at(c.out, c.x); !near(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPermutePaletteKeepsOtherPixels(t *testing.T) {
	perm := PaletteDerangement(3)
	m := imageFromRows([][][3]float32{{{Palette[0].R, Palette[0].G, Palette[0].B}, {0.3, 0.3, 0.3}, {Palette[5].R, Palette[5].G, Palette[5].B}}})
	out := PermutePalette(m, perm)
	want := [][3]float32{{Palette[perm[0]].R, Palette[perm[0]].G, Palette[perm[0]].B}, {0.3, 0.3, 0.3}, {Palette[perm[5]].R, Palette[perm[5]].G, Palette[perm[5]].B}}
	for x, w := range want {
		r, g, b := out.At(x, 0)
		if [3]float32{r, g, b} != w {
			t.Errorf("pixel %d = %v, want %v", x, [3]float32{r, g, b}, w)
		}
	}
	for seed := uint64(0); seed < 50; seed++ {
		p := PaletteDerangement(seed)
		for i, j := range p {
			if i == j {
				t.Fatalf("PaletteDerangement(%d) = %v fixes %d", seed, p, i)
			}
		}
	}
	if a, b := PaletteDerangement(1), PaletteDerangement(2); equalInts(a, b) {
		t.Errorf("seeds 1 and 2 give the same permutation %v", a)
	}
}

func equalInts(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestDegradations(t *testing.T) {
	// Blur keeps a constant image and spreads a point by the normalised
	// Gaussian: the centre weight of σ = 1 (taps −2…2) is (1/Σ)², Σ = 1 + 2e^−½ + 2e^−2.
	flat := img.New(9, 9)
	for i := range flat.Pix {
		flat.Pix[i] = 0.4
	}
	if d := maxDiff(Blur(flat, 1.3), flat); d > 1e-6 {
		t.Errorf("Blur changes a constant image by %g", d)
	}
	dot := img.New(9, 9)
	dot.Set(4, 4, 1, 1, 1)
	sum := 1 + 2*math.Exp(-0.5) + 2*math.Exp(-2)
	if r, _, _ := Blur(dot, 1).At(4, 4); math.Abs(float64(r)-1/(sum*sum)) > 1e-6 {
		t.Errorf("Blur centre weight %g, want %g", r, 1/(sum*sum))
	}
	// Noise of σ = 0.1 on mid-grey has a sample deviation near 0.1.
	grey := img.New(64, 64)
	for i := range grey.Pix {
		grey.Pix[i] = 0.5
	}
	noisy := AddNoise(grey, NewRand(1), 0.1)
	var ss float64
	for _, v := range noisy.Pix {
		ss += (float64(v) - 0.5) * (float64(v) - 0.5)
	}
	if sd := math.Sqrt(ss / float64(len(noisy.Pix))); math.Abs(sd-0.1) > 0.005 {
		t.Errorf("noise deviation %g, want 0.1", sd)
	}
	// Rain on black blends pixels towards the rain colour c: one streak
	// gives 0.55·c, more streaks move closer to c, never past it.
	dark := img.New(32, 32)
	rain := AddRain(dark, NewRand(2), 16, 5, 0.3)
	changed := 0
	for i, v := range rain.Pix {
		if v != 0 {
			changed++
			c := []float32{rainColour.R, rainColour.G, rainColour.B}[i%3]
			if v < 0.55*c-1e-6 || v > c+1e-6 {
				t.Fatalf("rain value %g outside [%g, %g]", v, 0.55*c, c)
			}
		}
	}
	if changed < 3*16*2 {
		t.Errorf("rain changed %d values, want at least %d", changed, 3*16*2)
	}
	hole := CutHole(flat, 2, 3, 4, 2)
	for y := 0; y < 9; y++ {
		for x := 0; x < 9; x++ {
			r, _, _ := hole.At(x, y)
			in := x >= 2 && x < 6 && y >= 3 && y < 5
			if (r == 0) != in {
				t.Fatalf("hole pixel (%d,%d) = %g", x, y, r)
			}
		}
	}
}
