package data

import (
	"math"

	"xprompt/img"
)

// PatchCodec is a fixed image codec that needs no training, for tests and
// examples: each F×F patch becomes the code of its mean colour quantised to
// 8 levels per channel (512 codes), and a code decodes to a flat F×F patch
// of that colour. A W×W image becomes (W/F)² codes.
type PatchCodec struct{ F int }

// Encode returns the code grid of each image, row-major.
func (c PatchCodec) Encode(imgs []*img.Image) [][]int32 {
	out := make([][]int32, len(imgs))
	for i, m := range imgs {
		side := m.W / c.F
		for py := 0; py < side; py++ {
			for px := 0; px < side; px++ {
				var s [3]float32
				for y := 0; y < c.F; y++ {
					for x := 0; x < c.F; x++ {
						r, g, b := m.At(px*c.F+x, py*c.F+y)
						s[0], s[1], s[2] = s[0]+r, s[1]+g, s[2]+b
					}
				}
				code := int32(0)
				for ch := 0; ch < 3; ch++ {
					q := int32(s[ch] / float32(c.F*c.F) * 7.999)
					code = code*8 + q
				}
				out[i] = append(out[i], code)
			}
		}
	}
	return out
}

// Decode returns the image of each code grid.
func (c PatchCodec) Decode(codes [][]int32) []*img.Image {
	var out []*img.Image
	for _, cs := range codes {
		side := int(math.Sqrt(float64(len(cs))))
		m := img.New(side*c.F, side*c.F)
		for i, code := range cs {
			r, g, b := float32(code/64)/7, float32(code/8%8)/7, float32(code%8)/7
			for y := 0; y < c.F; y++ {
				for x := 0; x < c.F; x++ {
					m.Set(i%side*c.F+x, i/side*c.F+y, r, g, b)
				}
			}
		}
		out = append(out, m)
	}
	return out
}
