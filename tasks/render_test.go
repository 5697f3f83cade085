package tasks

import (
	"math"
	"testing"
)

// TestRenderByHand checks shapes drawn at size 8, centre (4,4), r = 2 pixels,
// against pixel sets worked out by hand from the pixel-centre rules.
func TestRenderByHand(t *testing.T) {
	cases := []struct {
		shape Shape
		want  []string // rows, '#' inside
		fill  float64
	}{
		{Square, []string{"........", "........", "..####..", "..####..", "..####..", "..####..", "........", "........"}, 1},
		{Circle, []string{"........", "........", "...##...", "..####..", "..####..", "...##...", "........", "........"}, 0.75},
		// The apex row holds no pixel centre: the box is 4×3, the fill 8/12.
		{Triangle, []string{"........", "........", "........", "...##...", "...##...", "..####..", "........", "........"}, 8.0 / 12},
	}
	for _, c := range cases {
		s := &Scene{Size: 8, Background: Background{Kind: Flat, A: 0},
			Objects: []Object{{Shape: c.shape, Colour: 2, X: 0.5, Y: 0.5, Size: 0.25, Depth: 0.5}}}
		m, cm, em := Render(s), ClassMap(s), EdgeMap(s)
		bg, blue := BackgroundPalette[0], Palette[2]
		edges := 0
		for y := 0; y < 8; y++ {
			for x := 0; x < 8; x++ {
				in := c.want[y][x] == '#'
				r, g, b := m.At(x, y)
				want, wantClass := bg, uint8(0)
				if in {
					want, wantClass = blue, uint8(c.shape)
				}
				if (RGB{r, g, b}) != want || cm[y*8+x] != wantClass {
					t.Fatalf("%v: pixel (%d,%d) = %v class %d, want %v class %d", c.shape, x, y, RGB{r, g, b}, cm[y*8+x], want, wantClass)
				}
				// An edge pixel is an object pixel with a 4-neighbour outside.
				wantEdge := in && (c.want[y-1][x] != '#' || c.want[y+1][x] != '#' || c.want[y][x-1] != '#' || c.want[y][x+1] != '#')
				if (em[y*8+x] == 1) != wantEdge {
					t.Fatalf("%v: edge at (%d,%d) = %v, want %v", c.shape, x, y, em[y*8+x], wantEdge)
				}
				if wantEdge {
					edges++
				}
			}
		}
		if c.shape == Square && edges != 12 {
			t.Errorf("square perimeter %d pixels, want 12", edges)
		}
		dets := DetectObjects(m)
		if len(dets) != 1 || math.Abs(dets[0].Fill-c.fill) > 1e-12 || dets[0].Colour != 2 {
			t.Errorf("%v: detections %+v, want one blue object of fill %g", c.shape, dets, c.fill)
		}
	}
}

// TestOcclusionAndDepth checks two overlapping squares: the nearer one is
// painted over the farther one, and the depth map follows 1 − 0.6·Depth on
// objects and the ground plane 0.05 + 0.2·(y+½)/Size elsewhere.
func TestOcclusionAndDepth(t *testing.T) {
	s := &Scene{Size: 16, Background: Background{Kind: Flat, A: 6}, Objects: []Object{
		{Shape: Square, Colour: 1, X: 0.4, Y: 0.4, Size: 0.2, Depth: 0.2}, // near, listed first
		{Shape: Square, Colour: 0, X: 0.6, Y: 0.6, Size: 0.2, Depth: 0.8}, // far
	}}
	m, d, e := Render(s), DepthMap(s), EdgeMap(s)
	// Near square covers x,y ∈ [3,9]; far square covers [6,12]; (7,7) is in both.
	checks := []struct {
		x, y  int
		col   RGB
		depth float64
	}{
		{7, 7, Palette[1], 1 - 0.6*0.2},
		{11, 11, Palette[0], 1 - 0.6*0.8},
		{4, 4, Palette[1], 1 - 0.6*0.2},
		{14, 1, BackgroundPalette[6], 0.05 + 0.2*1.5/16},
		{0, 15, BackgroundPalette[6], 0.05 + 0.2*15.5/16},
	}
	for _, c := range checks {
		r, g, b := m.At(c.x, c.y)
		if (RGB{r, g, b}) != c.col {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, RGB{r, g, b}, c.col)
		}
		if got := float64(d[c.y*16+c.x]); math.Abs(got-c.depth) > 1e-6 {
			t.Errorf("depth (%d,%d) = %g, want %g", c.x, c.y, got, c.depth)
		}
	}
	// Where the near square's border crosses the far square it is an edge;
	// the far square's pixels next to the near square are not.
	if e[9*16+8] != 1 {
		t.Errorf("near square border (8,9) over the far square is not an edge")
	}
	if e[10*16+8] != 0 {
		t.Errorf("far square pixel (8,10) below the near square's border counts as an edge")
	}
	if e[7*16+7] != 0 {
		t.Errorf("interior pixel (7,7) counts as an edge")
	}
}

// TestMapsMatchRender checks, on random scenes, that every object pixel of
// the class map shows its object's palette colour and shape class, that the
// background pixels are not palette colours, that edges lie on objects and
// that depth orders objects as their Depth does.
func TestMapsMatchRender(t *testing.T) {
	rng := NewRand(11)
	for i := 0; i < 100; i++ {
		size := []int{16, 32, 64}[i%3]
		s := RandomScene(rng, size, DefaultSceneOptions)
		m, om, cm, dm, em := Render(s), ObjectMap(s), ClassMap(s), DepthMap(s), EdgeMap(s)
		for p := 0; p < size*size; p++ {
			got := exactPaletteIndex(m.Pix[3*p], m.Pix[3*p+1], m.Pix[3*p+2])
			if om[p] == 0 {
				if cm[p] != 0 || got >= 0 || em[p] != 0 || dm[p] > 0.25 {
					t.Fatalf("scene %d pixel %d: background with class %d, palette %d, edge %g, depth %g", i, p, cm[p], got, em[p], dm[p])
				}
				continue
			}
			o := s.Objects[om[p]-1]
			if got != o.Colour || cm[p] != uint8(o.Shape) || math.Abs(float64(dm[p])-(1-0.6*o.Depth)) > 1e-6 {
				t.Fatalf("scene %d pixel %d: colour %d class %d depth %g, want %d, %d, %g", i, p, got, cm[p], dm[p], o.Colour, o.Shape, 1-0.6*o.Depth)
			}
		}
		// Each visible object has edges, and its edge pixels are its own.
		for k := range s.Objects {
			var n, edges int
			for p := range om {
				if om[p] == uint8(k+1) {
					n++
					edges += int(em[p])
				}
			}
			if n > 0 && edges == 0 {
				t.Fatalf("scene %d: object %d has %d pixels and no edge", i, k, n)
			}
		}
	}
}

func TestClassDepthEdgeImages(t *testing.T) {
	s := RandomScene(NewRand(2), 32, DefaultSceneOptions)
	cm, ci := ClassMap(s), ClassImage(s)
	dm, di := DepthMap(s), DepthImage(s)
	em, ei := EdgeMap(s), EdgeImage(s)
	for p := range cm {
		c := ClassColours[cm[p]]
		if (RGB{ci.Pix[3*p], ci.Pix[3*p+1], ci.Pix[3*p+2]}) != c {
			t.Fatalf("class image pixel %d is not ClassColours[%d]", p, cm[p])
		}
		for ch := 0; ch < 3; ch++ {
			if di.Pix[3*p+ch] != dm[p] || ei.Pix[3*p+ch] != em[p] {
				t.Fatalf("depth/edge image pixel %d differs from the map", p)
			}
		}
	}
}
