package tasks

import (
	"fmt"
	"math"
	"math/rand/v2"

	"xprompt/img"
)

// This file holds the pixel operations of the global and low-level
// families. Each returns a new image and leaves its argument unchanged; all
// keep values in [0,1].

// mapValues returns f applied to every channel value of m.
func mapValues(m *img.Image, f func(float32) float32) *img.Image {
	out := m.Clone()
	for i, v := range out.Pix {
		out.Pix[i] = f(v)
	}
	return out
}

// Grayscale returns the luma Y = 0.299R + 0.587G + 0.114B in all channels.
func Grayscale(m *img.Image) *img.Image {
	out := m.Clone()
	for p := 0; p < len(out.Pix); p += 3 {
		y := 0.299*out.Pix[p] + 0.587*out.Pix[p+1] + 0.114*out.Pix[p+2]
		out.Pix[p], out.Pix[p+1], out.Pix[p+2] = y, y, y
	}
	return out
}

// Invert returns 1 − v for every channel value v.
func Invert(m *img.Image) *img.Image {
	return mapValues(m, func(v float32) float32 { return 1 - v })
}

// remap returns the w×h image out(x, y) = m(src(x, y)).
func remap(m *img.Image, w, h int, src func(x, y int) (int, int)) *img.Image {
	out := img.New(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sx, sy := src(x, y)
			i, j := (y*w+x)*3, (sy*m.W+sx)*3
			copy(out.Pix[i:i+3], m.Pix[j:j+3])
		}
	}
	return out
}

// FlipH mirrors m left to right: out(x, y) = m(W−1−x, y).
func FlipH(m *img.Image) *img.Image {
	return remap(m, m.W, m.H, func(x, y int) (int, int) { return m.W - 1 - x, y })
}

// FlipV mirrors m top to bottom: out(x, y) = m(x, H−1−y).
func FlipV(m *img.Image) *img.Image {
	return remap(m, m.W, m.H, func(x, y int) (int, int) { return x, m.H - 1 - y })
}

// Rotate90 turns m a quarter turn clockwise; the result is H×W with
// out(x, y) = m(y, H−1−x).
func Rotate90(m *img.Image) *img.Image {
	return remap(m, m.H, m.W, func(x, y int) (int, int) { return y, m.H - 1 - x })
}

// Rotate270 turns m a quarter turn counterclockwise; the result is H×W with
// out(x, y) = m(W−1−y, x).
func Rotate270(m *img.Image) *img.Image {
	return remap(m, m.H, m.W, func(x, y int) (int, int) { return m.W - 1 - y, x })
}

// Rotate180 turns m a half turn: out(x, y) = m(W−1−x, H−1−y).
func Rotate180(m *img.Image) *img.Image {
	return remap(m, m.W, m.H, func(x, y int) (int, int) { return m.W - 1 - x, m.H - 1 - y })
}

// Posterize quantises each channel to n levels: round(v·(n−1))/(n−1).
// It panics if n < 2.
func Posterize(m *img.Image, n int) *img.Image {
	if n < 2 {
		panic(fmt.Sprintf("tasks.Posterize: %d levels < 2", n))
	}
	k := float32(n - 1)
	return mapValues(m, func(v float32) float32 { return float32(math.Round(float64(v*k))) / k })
}

// Brightness scales every value by f and clips: min(v·f, 1).
func Brightness(m *img.Image, f float64) *img.Image {
	return mapValues(m, func(v float32) float32 { return clamp01(v * float32(f)) })
}

// Contrast stretches values about ½ by c and clips: clip((v − ½)·c + ½).
func Contrast(m *img.Image, c float64) *img.Image {
	return mapValues(m, func(v float32) float32 { return clamp01((v-0.5)*float32(c) + 0.5) })
}

// Gamma raises every value to the power g: v^g.
func Gamma(m *img.Image, g float64) *img.Image {
	return mapValues(m, func(v float32) float32 { return float32(math.Pow(float64(v), g)) })
}

// HueShift rotates every pixel's hue by deg degrees in HSV, keeping
// saturation and value; HueShift(HueShift(m, k), −k) returns m to float
// rounding.
func HueShift(m *img.Image, deg float64) *img.Image {
	out := m.Clone()
	for p := 0; p < len(out.Pix); p += 3 {
		h, s, v := rgbToHSV(float64(out.Pix[p]), float64(out.Pix[p+1]), float64(out.Pix[p+2]))
		h = math.Mod(h+deg, 360)
		if h < 0 {
			h += 360
		}
		r, g, b := hsvToRGB(h, s, v)
		out.Pix[p], out.Pix[p+1], out.Pix[p+2] = clamp01(float32(r)), clamp01(float32(g)), clamp01(float32(b))
	}
	return out
}

// rgbToHSV returns hue in [0,360), saturation and value in [0,1].
func rgbToHSV(r, g, b float64) (h, s, v float64) {
	v = max(r, g, b)
	c := v - min(r, g, b)
	if v > 0 {
		s = c / v
	}
	switch {
	case c == 0:
		h = 0
	case v == r:
		h = 60 * math.Mod((g-b)/c+6, 6)
	case v == g:
		h = 60 * ((b-r)/c + 2)
	default:
		h = 60 * ((r-g)/c + 4)
	}
	return h, s, v
}

// hsvToRGB inverts rgbToHSV.
func hsvToRGB(h, s, v float64) (r, g, b float64) {
	c := v * s
	hp := h / 60
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	switch int(hp) % 6 {
	case 0:
		r, g, b = c, x, 0
	case 1:
		r, g, b = x, c, 0
	case 2:
		r, g, b = 0, c, x
	case 3:
		r, g, b = 0, x, c
	case 4:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	m := v - c
	return r + m, g + m, b + m
}

// PermutePalette replaces every pixel that holds Palette[i] (each channel
// within 1e-4) by Palette[perm[i]]; other pixels are kept. It panics if perm
// is not a permutation of the palette indices.
func PermutePalette(m *img.Image, perm []int) *img.Image {
	checkPerm("tasks.PermutePalette", perm)
	out := m.Clone()
	for p := 0; p < len(out.Pix); p += 3 {
		if i := exactPaletteIndex(out.Pix[p], out.Pix[p+1], out.Pix[p+2]); i >= 0 {
			c := Palette[perm[i]]
			out.Pix[p], out.Pix[p+1], out.Pix[p+2] = c.R, c.G, c.B
		}
	}
	return out
}

// exactPaletteIndex returns i when (r, g, b) is Palette[i] to within 1e-4
// per channel, else −1.
func exactPaletteIndex(r, g, b float32) int {
	near := func(a, b float32) bool { return a-b < 1e-4 && b-a < 1e-4 }
	for i, c := range Palette {
		if near(r, c.R) && near(g, c.G) && near(b, c.B) {
			return i
		}
	}
	return -1
}

func checkPerm(fn string, perm []int) {
	seen := make([]bool, len(Palette))
	if len(perm) != len(Palette) {
		panic(fmt.Sprintf("%s: permutation of length %d, want %d", fn, len(perm), len(Palette)))
	}
	for _, j := range perm {
		if j < 0 || j >= len(Palette) || seen[j] {
			panic(fmt.Sprintf("%s: %v is not a permutation", fn, perm))
		}
		seen[j] = true
	}
}

// AddNoise adds independent Gaussian noise of standard deviation sigma to
// every channel value and clips to [0,1].
func AddNoise(m *img.Image, rng *rand.Rand, sigma float64) *img.Image {
	out := m.Clone()
	for i, v := range out.Pix {
		out.Pix[i] = clamp01(v + float32(rng.NormFloat64()*sigma))
	}
	return out
}

// Blur convolves m with a separable Gaussian of standard deviation sigma
// (taps out to ⌈2σ⌉, normalised), clamping coordinates at the borders.
func Blur(m *img.Image, sigma float64) *img.Image {
	rad := int(math.Ceil(2 * sigma))
	w := make([]float32, 2*rad+1)
	var sum float64
	for k := -rad; k <= rad; k++ {
		v := math.Exp(-float64(k*k) / (2 * sigma * sigma))
		w[k+rad] = float32(v)
		sum += v
	}
	for i := range w {
		w[i] /= float32(sum)
	}
	pass := func(src *img.Image, dx, dy int) *img.Image {
		out := img.New(src.W, src.H)
		for y := 0; y < src.H; y++ {
			for x := 0; x < src.W; x++ {
				var r, g, b float32
				for k := -rad; k <= rad; k++ {
					sx := min(max(x+k*dx, 0), src.W-1)
					sy := min(max(y+k*dy, 0), src.H-1)
					pr, pg, pb := src.At(sx, sy)
					r, g, b = r+w[k+rad]*pr, g+w[k+rad]*pg, b+w[k+rad]*pb
				}
				out.Set(x, y, clamp01(r), clamp01(g), clamp01(b))
			}
		}
		return out
	}
	return pass(pass(m, 1, 0), 0, 1)
}

// rainColour is the colour rain streaks are blended towards.
var rainColour = RGB{0.85, 0.87, 0.90}

// AddRain draws count straight streaks, all with the same slant (dx per
// row), each length pixels long from a random start, blending each pixel
// 55% towards a light grey.
func AddRain(m *img.Image, rng *rand.Rand, count, length int, slant float64) *img.Image {
	out := m.Clone()
	const a = 0.55
	for s := 0; s < count; s++ {
		x0 := rng.Float64() * float64(m.W)
		y0 := rng.IntN(m.H+length) - length
		for t := 0; t < length; t++ {
			x, y := int(math.Floor(x0+float64(t)*slant)), y0+t
			if x < 0 || y < 0 || x >= m.W || y >= m.H {
				continue
			}
			r, g, b := out.At(x, y)
			out.Set(x, y, r+a*(rainColour.R-r), g+a*(rainColour.G-g), b+a*(rainColour.B-b))
		}
	}
	return out
}

// LowLight darkens m as a dim exposure: k·v^g for every channel value v
// (k < 1 scales down, g > 1 crushes the shadows).
func LowLight(m *img.Image, k, g float64) *img.Image {
	return mapValues(m, func(v float32) float32 { return float32(k * math.Pow(float64(v), g)) })
}

// CutHole returns m with the rectangle [x0,x0+w)×[y0,y0+h) set to black.
func CutHole(m *img.Image, x0, y0, w, h int) *img.Image {
	out := m.Clone()
	for y := max(y0, 0); y < min(y0+h, m.H); y++ {
		for x := max(x0, 0); x < min(x0+w, m.W); x++ {
			out.Set(x, y, 0, 0, 0)
		}
	}
	return out
}
