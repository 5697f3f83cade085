package img

import (
	"fmt"
	"image"

	"golang.org/x/image/draw"
)

// Resize returns m resampled to w×h with the Catmull-Rom cubic kernel (from
// golang.org/x/image/draw; when shrinking, the kernel is widened by the scale
// factor, so downscaling averages rather than aliases). Values go through
// 16-bit channels (error ≤ 1/131070) and are clamped to [0,1]. Resize panics
// if w or h is not positive.
func Resize(m *Image, w, h int) *Image {
	if w <= 0 || h <= 0 {
		panic(fmt.Sprintf("img.Resize: bad size %d×%d", w, h))
	}
	if w == m.W && h == m.H {
		return m.Clone()
	}
	dst := image.NewRGBA64(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), rgba64View{m}, image.Rect(0, 0, m.W, m.H), draw.Src, nil)
	out := New(w, h)
	const s = 1.0 / 65535
	for i := 0; i < w*h; i++ {
		p := dst.Pix[i*8 : i*8+6 : i*8+6] // big-endian R, G, B
		out.Pix[i*3] = float32(float64(uint16(p[0])<<8|uint16(p[1])) * s)
		out.Pix[i*3+1] = float32(float64(uint16(p[2])<<8|uint16(p[3])) * s)
		out.Pix[i*3+2] = float32(float64(uint16(p[4])<<8|uint16(p[5])) * s)
	}
	return out
}

// Nearest returns m enlarged factor times in each direction by pixel
// repetition: out(x, y) = m(x/factor, y/factor). It panics if factor < 1.
func Nearest(m *Image, factor int) *Image {
	if factor < 1 {
		panic(fmt.Sprintf("img.Nearest: bad factor %d", factor))
	}
	out := New(m.W*factor, m.H*factor)
	for y := 0; y < out.H; y++ {
		src := m.Pix[(y/factor)*m.W*3:]
		dst := out.Pix[y*out.W*3:]
		for x := 0; x < out.W; x++ {
			copy(dst[x*3:x*3+3], src[(x/factor)*3:(x/factor)*3+3])
		}
	}
	return out
}

// CenterCrop returns the largest centred square of m: side min(W, H), offset
// ((W-side)/2, (H-side)/2).
func CenterCrop(m *Image) *Image {
	side := min(m.W, m.H)
	x0, y0 := (m.W-side)/2, (m.H-side)/2
	out := New(side, side)
	for y := 0; y < side; y++ {
		copy(out.Pix[y*side*3:(y+1)*side*3], m.Pix[((y0+y)*m.W+x0)*3:])
	}
	return out
}
