package tasks

import (
	"math"
	"testing"

	"xprompt/img"
)

// maxDiff returns the largest absolute difference between a and b, or +Inf
// when their sizes differ.
func maxDiff(a, b *img.Image) float64 {
	if a.W != b.W || a.H != b.H {
		return math.Inf(1)
	}
	var d float64
	for i := range a.Pix {
		d = max(d, math.Abs(float64(a.Pix[i])-float64(b.Pix[i])))
	}
	return d
}

// checkImage fails t unless m is w×h with every value in [0,1].
func checkImage(t *testing.T, what string, m *img.Image, w, h int) {
	t.Helper()
	if m == nil {
		t.Fatalf("%s: nil image", what)
	}
	if m.W != w || m.H != h || len(m.Pix) != w*h*3 {
		t.Fatalf("%s: size %d×%d (%d values), want %d×%d", what, m.W, m.H, len(m.Pix), w, h)
	}
	for i, v := range m.Pix {
		if !(v >= 0 && v <= 1) { // also catches NaN
			t.Fatalf("%s: value %v at %d outside [0,1]", what, v, i)
		}
	}
}

// colourPixels counts the pixels of m that hold Palette[c] exactly.
func colourPixels(m *img.Image, c int) int {
	n := 0
	for p := 0; p < m.W*m.H; p++ {
		if exactPaletteIndex(m.Pix[3*p], m.Pix[3*p+1], m.Pix[3*p+2]) == c {
			n++
		}
	}
	return n
}

// imageFromRows builds an image from rows of RGB triples.
func imageFromRows(rows [][][3]float32) *img.Image {
	m := img.New(len(rows[0]), len(rows))
	for y, r := range rows {
		for x, c := range r {
			m.Set(x, y, c[0], c[1], c[2])
		}
	}
	return m
}

// randomImage returns a w×h image of uniform random values.
func randomImage(w, h int, seed uint64) *img.Image {
	rng := NewRand(seed)
	m := img.New(w, h)
	for i := range m.Pix {
		m.Pix[i] = rng.Float32()
	}
	return m
}
