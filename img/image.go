package img

import "fmt"

// Image is an RGB image with values in [0,1], stored row-major as
// Pix[(y*W+x)*3+c].
type Image struct {
	W, H int
	Pix  []float32
}

// New returns a black w×h image. It panics if w or h is not positive.
func New(w, h int) *Image {
	if w <= 0 || h <= 0 {
		panic(fmt.Sprintf("img.New: bad size %d×%d", w, h))
	}
	return &Image{W: w, H: h, Pix: make([]float32, w*h*3)}
}

// At returns the colour at (x, y).
func (m *Image) At(x, y int) (r, g, b float32) {
	i := (y*m.W + x) * 3
	return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
}

// Set sets the colour at (x, y).
func (m *Image) Set(x, y int, r, g, b float32) {
	i := (y*m.W + x) * 3
	m.Pix[i], m.Pix[i+1], m.Pix[i+2] = r, g, b
}

// Clone returns a deep copy of m.
func (m *Image) Clone() *Image {
	return &Image{W: m.W, H: m.H, Pix: append([]float32(nil), m.Pix...)}
}
