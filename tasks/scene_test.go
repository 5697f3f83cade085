package tasks

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestRenderDeterministicFromSeed(t *testing.T) {
	for _, size := range []int{16, 32, 64} {
		a := Render(RandomScene(NewRand(7), size, DefaultSceneOptions))
		b := Render(RandomScene(NewRand(7), size, DefaultSceneOptions))
		c := Render(RandomScene(NewRand(8), size, DefaultSceneOptions))
		if d := maxDiff(a, b); d != 0 {
			t.Errorf("size %d: same seed differs by %g", size, d)
		}
		if d := maxDiff(a, c); d == 0 {
			t.Errorf("size %d: seeds 7 and 8 give identical images", size)
		}
	}
}

func TestRandomSceneInvariants(t *testing.T) {
	rng := NewRand(1)
	counts := map[int]int{}
	for i := 0; i < 500; i++ {
		size := []int{16, 32, 64}[i%3]
		s := RandomScene(rng, size, DefaultSceneOptions)
		counts[len(s.Objects)]++
		colours, depths := map[int]bool{}, map[float64]bool{}
		for _, o := range s.Objects {
			if colours[o.Colour] || depths[o.Depth] {
				t.Fatalf("scene %d: repeated colour or depth: %+v", i, s.Objects)
			}
			colours[o.Colour], depths[o.Depth] = true, true
			if o.X-o.Size < 0 || o.X+o.Size > 1 || o.Y-o.Size < 0 || o.Y+o.Size > 1 {
				t.Fatalf("scene %d: object %+v leaves the image", i, o)
			}
		}
		// Every object stays mostly visible: partial overlap only.
		om := ObjectMap(s)
		for k, o := range s.Objects {
			full := ObjectMap(&Scene{Size: size, Objects: []Object{o}})
			var area, vis int
			for p := range om {
				if full[p] == 1 {
					area++
					if om[p] == uint8(k+1) {
						vis++
					}
				}
			}
			if area == 0 || float64(vis) < 0.5*float64(area) {
				t.Fatalf("scene %d: object %d visible %d of %d pixels", i, k, vis, area)
			}
		}
	}
	for n := 1; n <= 4; n++ {
		if counts[n] == 0 {
			t.Errorf("no scene with %d objects in 500 (counts %v)", n, counts)
		}
	}
}

func TestCaption(t *testing.T) {
	cases := []struct {
		name string
		s    Scene
		want string
	}{
		{"one", Scene{Size: 32, Background: Background{Kind: Flat, A: 0, B: 1},
			Objects: []Object{{Shape: Circle, Colour: 0, X: 0.2, Y: 0.2, Size: 0.1}}},
			"a red circle in the top left on a plain grey background"},
		{"one right", Scene{Size: 32, Background: Background{Kind: Stripes, A: 0, B: 3, Period: 0.25},
			Objects: []Object{{Shape: Triangle, Colour: 6, X: 0.8, Y: 0.5, Size: 0.1}}},
			"an orange triangle on the right on a grey and olive striped background"},
		{"two", Scene{Size: 32, Background: Background{Kind: Gradient, A: 0, B: 2},
			Objects: []Object{{Shape: Circle, Colour: 0, X: 0.2, Y: 0.5, Size: 0.1}, {Shape: Square, Colour: 2, X: 0.7, Y: 0.55, Size: 0.1}}},
			"a red circle left of a blue square on a grey to navy gradient background"},
		{"two above", Scene{Size: 32, Background: Background{Kind: Texture, A: 1, B: 2},
			Objects: []Object{{Shape: Square, Colour: 7, X: 0.5, Y: 0.8, Size: 0.1}, {Shape: Circle, Colour: 3, X: 0.45, Y: 0.2, Size: 0.1}}},
			"a white square below a yellow circle on a textured brown background"},
		{"three", Scene{Size: 32, Background: Background{Kind: Texture, A: 1, B: 2},
			Objects: []Object{
				{Shape: Triangle, Colour: 6, X: 0.8, Y: 0.5, Size: 0.1},
				{Shape: Circle, Colour: 7, X: 0.1, Y: 0.2, Size: 0.1},
				{Shape: Square, Colour: 1, X: 0.5, Y: 0.8, Size: 0.1}}},
			"a white circle, a green square and an orange triangle from left to right on a textured brown background"},
	}
	for _, c := range cases {
		if got := c.s.Caption(); got != c.want {
			t.Errorf("%s: caption\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestCaptionNamesEveryObject(t *testing.T) {
	rng := NewRand(3)
	for i := 0; i < 300; i++ {
		s := RandomScene(rng, 32, DefaultSceneOptions)
		c := s.Caption()
		for _, o := range s.Objects {
			if !strings.Contains(c, o.Name()) {
				t.Fatalf("caption %q misses the %s", c, o.Name())
			}
		}
		if !strings.HasSuffix(c, " on "+s.Background.Phrase()) {
			t.Fatalf("caption %q misses the background %q", c, s.Background.Phrase())
		}
	}
}

func TestRelationsAndRegions(t *testing.T) {
	s := &Scene{Size: 32, Objects: []Object{
		{Shape: Circle, Colour: 0, X: 0.2, Y: 0.5},
		{Shape: Square, Colour: 1, X: 0.8, Y: 0.4},
		{Shape: Triangle, Colour: 2, X: 0.3, Y: 0.9},
	}}
	want := []Relation{{0, 1, "left of"}, {0, 2, "above"}, {1, 2, "right of"}}
	got := s.Relations()
	if len(got) != len(want) {
		t.Fatalf("relations %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("relation %d: %v, want %v", i, got[i], want[i])
		}
	}
	regions := []struct {
		x, y float64
		want string
	}{{0.1, 0.1, "top left"}, {0.5, 0.1, "top"}, {0.9, 0.2, "top right"}, {0.2, 0.5, "left"}, {0.5, 0.5, "centre"},
		{0.7, 0.5, "right"}, {0, 0.99, "bottom left"}, {0.4, 0.7, "bottom"}, {1, 1, "bottom right"}}
	for _, r := range regions {
		if got := Regions[RegionOf(r.x, r.y)]; got != r.want {
			t.Errorf("RegionOf(%g, %g) = %q, want %q", r.x, r.y, got, r.want)
		}
	}
}

// TestBackgroundsFarFromPalette checks the colour separation that
// DetectObjects relies on, on rendered backgrounds of every kind.
func TestBackgroundsFarFromPalette(t *testing.T) {
	rng := NewRand(5)
	var closest float64 = math.Inf(1)
	for i := 0; i < 200; i++ {
		s := &Scene{Size: 32, Background: RandomBackground(rng)}
		m := Render(s)
		for p := 0; p < 32*32; p++ {
			for _, c := range Palette {
				d := math.Sqrt(sq(m.Pix[3*p]-c.R) + sq(m.Pix[3*p+1]-c.G) + sq(m.Pix[3*p+2]-c.B))
				closest = min(closest, d)
			}
		}
		if dets := DetectObjects(m); len(dets) != 0 {
			t.Fatalf("background %+v: detected %d objects", s.Background, len(dets))
		}
	}
	if closest < 0.4 {
		t.Errorf("a background pixel lies %.3f from a palette colour, want ≥ 0.4", closest)
	}
}

func sq(v float32) float64 { return float64(v) * float64(v) }

// TestRandomSceneColours checks that a scene drawn with fixed colours holds
// one object of each, and that colours outside the palette, repeated or
// more than four are refused with a panic that names them.
func TestRandomSceneColours(t *testing.T) {
	for seed := uint64(0); seed < 50; seed++ {
		want := []int{6, 1, 3}
		s := RandomScene(NewRand(seed), 32, SceneOptions{Colours: want})
		if len(s.Objects) > len(want) {
			t.Fatalf("seed %d: %d objects for %d colours", seed, len(s.Objects), len(want))
		}
		for i, o := range s.Objects {
			if o.Colour != want[i] {
				t.Fatalf("seed %d: object %d has colour %d, want %d", seed, i, o.Colour, want[i])
			}
		}
	}
	for _, bad := range [][]int{{0, 0}, {len(Palette)}, {-1}, {0, 1, 2, 3, 4}} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "tasks.RandomScene") {
					t.Errorf("colours %v: recovered %v, want a RandomScene panic", bad, r)
				}
			}()
			RandomScene(NewRand(1), 32, SceneOptions{Colours: bad})
		}()
	}
}
