package model

import (
	"xprompt/core"
	"xprompt/img"
)

// segColors are the display colours of the segments BOS, IE, XP, TD.
var segColors = map[int32][3]float32{
	core.SegBOS: {0.95, 0.85, 0.30},
	core.SegIE:  {0.35, 0.60, 0.95},
	core.SegXP:  {0.95, 0.45, 0.30},
	core.SegTD:  {0.40, 0.80, 0.45},
	core.SegPad: {0.5, 0.5, 0.5},
}

// MaskImage draws the attention mask of a sequence of segment ids under rule
// kind: row i is query i, column j key j; allowed cells take the colour of
// the key's segment, masked cells are dark, segment boundaries are drawn as
// white lines, and a strip on the top and left shows each token's segment.
// Each token takes scale×scale pixels.
func MaskImage(seg []int32, kind core.MaskKind, scale int) *img.Image {
	t := len(seg)
	if scale < 1 {
		scale = 1
	}
	const strip = 6
	side := strip + t*scale
	out := img.New(side, side)
	m := &core.Mask{Kind: kind, QSeg: seg, KSeg: seg}
	fill := func(x0, y0, w, h int, c [3]float32) {
		for y := y0; y < y0+h; y++ {
			for x := x0; x < x0+w; x++ {
				out.Set(x, y, c[0], c[1], c[2])
			}
		}
	}
	dark := [3]float32{0.08, 0.08, 0.1}
	for i := 0; i < t; i++ {
		fill(strip+i*scale, 0, scale, strip-1, segColors[seg[i]])
		fill(0, strip+i*scale, strip-1, scale, segColors[seg[i]])
		for j := 0; j < t; j++ {
			c := dark
			if m.Allowed(0, i, j, t, t) {
				c = segColors[seg[j]]
			}
			fill(strip+j*scale, strip+i*scale, scale, scale, c)
		}
	}
	white := [3]float32{1, 1, 1}
	for i := 1; i < t; i++ {
		if seg[i] != seg[i-1] {
			fill(strip+i*scale, 0, 1, side, white)
			fill(0, strip+i*scale, side, 1, white)
		}
	}
	return out
}
