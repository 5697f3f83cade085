package img

import (
	"strconv"
	"strings"
)

// HalfBlocks renders m for a 24-bit-colour terminal, two pixel rows per text
// line: each character is the upper half block "▀" with foreground colour
// ESC[38;2;r;g;bm = the upper pixel and background ESC[48;2;r;g;bm = the
// lower pixel (colours quantised as ToRGBA does; a colour is re-sent only when
// it changes along the line). When H is odd the last line has only upper
// pixels over the default background (ESC[49m). Every line ends with ESC[0m
// and a newline, so the result has ceil(H/2) lines.
func HalfBlocks(m *Image) string {
	var sb strings.Builder
	sb.Grow((m.H + 1) / 2 * (m.W*40 + 8))
	var buf []byte
	for y := 0; y < m.H; y += 2 {
		fg, bg := -1, -1 // packed 0xRRGGBB of the colours in force; -1 none
		for x := 0; x < m.W; x++ {
			if c := pack(m, x, y); c != fg {
				buf = appendColor(buf[:0], 38, c)
				sb.Write(buf)
				fg = c
			}
			if y+1 < m.H {
				if c := pack(m, x, y+1); c != bg {
					buf = appendColor(buf[:0], 48, c)
					sb.Write(buf)
					bg = c
				}
			} else if x == 0 {
				sb.WriteString("\x1b[49m")
			}
			sb.WriteString("▀")
		}
		sb.WriteString("\x1b[0m\n")
	}
	return sb.String()
}

// pack returns the 8-bit colour of pixel (x, y) as 0xRRGGBB.
func pack(m *Image, x, y int) int {
	r, g, b := m.At(x, y)
	return int(to8(r))<<16 | int(to8(g))<<8 | int(to8(b))
}

// appendColor appends ESC[sel;2;r;g;bm for the packed colour c.
func appendColor(buf []byte, sel, c int) []byte {
	buf = append(buf, "\x1b["...)
	buf = strconv.AppendInt(buf, int64(sel), 10)
	buf = append(buf, ";2;"...)
	buf = strconv.AppendInt(buf, int64(c>>16), 10)
	buf = append(buf, ';')
	buf = strconv.AppendInt(buf, int64(c>>8&0xff), 10)
	buf = append(buf, ';')
	buf = strconv.AppendInt(buf, int64(c&0xff), 10)
	return append(buf, 'm')
}
