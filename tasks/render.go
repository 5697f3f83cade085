package tasks

import (
	"fmt"
	"math"
	"sort"

	"xprompt/img"
)

// covers reports whether the pixel centre (px, py), in pixels, lies inside o
// drawn at size×size. With cx, cy, r the centre and half-extent in pixels:
// circle dx²+dy² ≤ r²; square |dx|,|dy| ≤ r; triangle (apex up, base 2r)
// −r ≤ dy ≤ r and |dx| ≤ (dy+r)/2. The bounding box is 2r×2r for all three,
// so the fill ratios are π/4, 1 and 1/2.
func (o Object) covers(px, py float64, size int) bool {
	s := float64(size)
	dx, dy, r := px-o.X*s, py-o.Y*s, o.Size*s
	switch o.Shape {
	case Circle:
		return dx*dx+dy*dy <= r*r
	case Square:
		return math.Abs(dx) <= r && math.Abs(dy) <= r
	case Triangle:
		return dy >= -r && dy <= r && math.Abs(dx) <= (dy+r)/2
	}
	panic(fmt.Sprintf("tasks: object with bad shape %d", o.Shape))
}

// drawOrder returns object indices from farthest to nearest (ties by index):
// the order in which they are painted.
func drawOrder(s *Scene) []int {
	order := make([]int, len(s.Objects))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return s.Objects[order[a]].Depth > s.Objects[order[b]].Depth })
	return order
}

// ObjectMap returns, per pixel (y*Size+x), 0 for the background or i+1 for
// the visible object s.Objects[i].
func ObjectMap(s *Scene) []uint8 {
	n := s.Size
	om := make([]uint8, n*n)
	for _, i := range drawOrder(s) {
		o := s.Objects[i]
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				if o.covers(float64(x)+0.5, float64(y)+0.5, n) {
					om[y*n+x] = uint8(i + 1)
				}
			}
		}
	}
	return om
}

// Render draws s as a Size×Size image: the background, then the objects from
// farthest to nearest, each pixel either its background colour or exactly
// its object's palette colour (no anti-aliasing).
func Render(s *Scene) *img.Image {
	n := s.Size
	m := img.New(n, n)
	om := ObjectMap(s)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			var c RGB
			if k := om[y*n+x]; k > 0 {
				c = Palette[s.Objects[k-1].Colour]
			} else {
				c = s.Background.colourAt(x, y, n)
			}
			m.Set(x, y, c.R, c.G, c.B)
		}
	}
	return m
}

// ClassMap returns, per pixel, the class of what is visible there: 0 for the
// background, else the object's Shape.
func ClassMap(s *Scene) []uint8 {
	om := ObjectMap(s)
	for p, k := range om {
		if k > 0 {
			om[p] = uint8(s.Objects[k-1].Shape)
		}
	}
	return om
}

// DepthMap returns, per pixel, a nearness in [0,1] (nearer is larger): an
// object at Depth d gives 1 − 0.6·d; the background is a ground plane rising
// from 0.05 at the top row to 0.25 at the bottom, 0.05 + 0.2·(y+0.5)/Size.
func DepthMap(s *Scene) []float32 {
	n := s.Size
	om := ObjectMap(s)
	d := make([]float32, n*n)
	for p, k := range om {
		if k > 0 {
			d[p] = float32(1 - 0.6*s.Objects[k-1].Depth)
		} else {
			d[p] = float32(0.05 + 0.2*(float64(p/n)+0.5)/float64(n))
		}
	}
	return d
}

// EdgeMap returns, per pixel, 1 on object boundaries and 0 elsewhere: a
// pixel is an edge when a 4-neighbour shows something else (another object
// or the background) and the pixel's object is in front of it.
func EdgeMap(s *Scene) []float32 {
	n := s.Size
	om := ObjectMap(s)
	rank := make([]int, len(s.Objects)+1) // 0 for the background, larger is nearer
	for r, i := range drawOrder(s) {
		rank[i+1] = r + 1
	}
	e := make([]float32, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			k := om[y*n+x]
			if k == 0 {
				continue
			}
			for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
				qx, qy := x+d[0], y+d[1]
				if qx < 0 || qy < 0 || qx >= n || qy >= n {
					continue
				}
				if q := om[qy*n+qx]; q != k && rank[k] > rank[q] {
					e[y*n+x] = 1
					break
				}
			}
		}
	}
	return e
}

// ClassImage renders ClassMap in the ClassColours: the segmentation target.
func ClassImage(s *Scene) *img.Image {
	cm := ClassMap(s)
	m := img.New(s.Size, s.Size)
	for p, c := range cm {
		k := ClassColours[c]
		m.Pix[3*p], m.Pix[3*p+1], m.Pix[3*p+2] = k.R, k.G, k.B
	}
	return m
}

// greyImage returns a size×size image with v in all three channels.
func greyImage(v []float32, size int) *img.Image {
	m := img.New(size, size)
	for p, x := range v {
		m.Pix[3*p], m.Pix[3*p+1], m.Pix[3*p+2] = x, x, x
	}
	return m
}

// DepthImage renders DepthMap as grey levels: the depth target.
func DepthImage(s *Scene) *img.Image { return greyImage(DepthMap(s), s.Size) }

// EdgeImage renders EdgeMap white on black: the edge target.
func EdgeImage(s *Scene) *img.Image { return greyImage(EdgeMap(s), s.Size) }

// colourAt returns the background colour at pixel (x, y) of a size×size
// image. With u, v the pixel centre as fractions of the side and (c, s) the
// direction of Angle: a gradient mixes A→B by t = ((u−½)c + (v−½)s)/(|c|+|s|) + ½;
// stripes alternate A and B every half Period along (c, s); a texture mixes
// A→B by smooth value noise on a 5×5 lattice plus a ±0.03 per-pixel grain.
func (b Background) colourAt(x, y, size int) RGB {
	A, B := BackgroundPalette[b.A], BackgroundPalette[b.B]
	u, v := (float64(x)+0.5)/float64(size), (float64(y)+0.5)/float64(size)
	c, s := math.Cos(b.Angle), math.Sin(b.Angle)
	switch b.Kind {
	case Gradient:
		t := ((u-0.5)*c+(v-0.5)*s)/(math.Abs(c)+math.Abs(s)) + 0.5
		return mix(A, B, t)
	case Stripes:
		p := (u*c + v*s) / b.Period
		if p-math.Floor(p) < 0.5 {
			return A
		}
		return B
	case Texture:
		t := valueNoise(b.Seed, u*4, v*4)
		grain := float32(unitHash(b.Seed^0x5bd1e995, uint64(x), uint64(y))-0.5) * 0.06
		k := mix(A, B, t)
		return RGB{clamp01(k.R + grain), clamp01(k.G + grain), clamp01(k.B + grain)}
	}
	return A
}

// mix returns a + t·(b − a).
func mix(a, b RGB, t float64) RGB {
	f := float32(t)
	return RGB{a.R + f*(b.R-a.R), a.G + f*(b.G-a.G), a.B + f*(b.B-a.B)}
}

// valueNoise returns smooth noise in [0,1] at (u, v) in lattice units:
// lattice values from unitHash, interpolated with a smoothstep.
func valueNoise(seed uint64, u, v float64) float64 {
	i, j := math.Floor(u), math.Floor(v)
	fu, fv := u-i, v-j
	fu, fv = fu*fu*(3-2*fu), fv*fv*(3-2*fv)
	ii, jj := uint64(int64(i)), uint64(int64(j))
	a, b := unitHash(seed, ii, jj), unitHash(seed, ii+1, jj)
	c, d := unitHash(seed, ii, jj+1), unitHash(seed, ii+1, jj+1)
	return (a*(1-fu)+b*fu)*(1-fv) + (c*(1-fu)+d*fu)*fv
}

// unitHash maps (seed, i, j) to [0,1) with the splitmix64 finaliser.
func unitHash(seed, i, j uint64) float64 {
	z := seed + i*0x9e3779b97f4a7c15 + j*0xc2b2ae3d27d4eb4f
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

// clamp01 clips v to [0,1].
func clamp01(v float32) float32 { return min(max(v, 0), 1) }
