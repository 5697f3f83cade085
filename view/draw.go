package view

import (
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The drawing primitives of the plots: filled rectangles, 1-pixel lines and
// 7×13 bitmap text (basicfont).

var (
	white     = color.RGBA{255, 255, 255, 255}
	black     = color.RGBA{0, 0, 0, 255}
	grey      = color.RGBA{200, 200, 200, 255}
	darkGrey  = color.RGBA{90, 90, 90, 255}
	boundary  = color.RGBA{230, 40, 40, 255}
	fontFace  = basicfont.Face7x13
	charWidth = 7
)

// palette holds the colours of successive curves.
var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255},
	{214, 39, 40, 255}, {148, 103, 189, 255}, {140, 86, 75, 255},
}

func fill(m *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(m, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// line draws a 1-pixel line from (x0, y0) to (x1, y1) (Bresenham).
func line(m *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		if (image.Point{x0, y0}).In(m.Rect) {
			m.SetRGBA(x0, y0, c)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

// text draws s with its baseline's left end at (x, y).
func text(m *image.RGBA, x, y int, s string, c color.RGBA) {
	d := font.Drawer{Dst: m, Src: image.NewUniform(c), Face: fontFace, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func textWidth(s string) int { return len([]rune(s)) * charWidth }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func sign(x int) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
