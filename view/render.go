package view

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"reflect"
	"strings"

	"xprompt/core"
	"xprompt/display"
	"xprompt/img"
)

// MinShownSide is the side, in pixels, that Render enlarges small images to
// (by an integer factor of pixel repetition): a 32×32 image is shown 128×128.
const MinShownSide = 128

// MaxHTMLCells bounds the matrices that Render also shows as an HTML table:
// 2-D tensors with at most this many rows and this many columns.
const MaxHTMLCells = 16

// Render returns the display bundle of v:
//
//   - display.Displayer: v.Display(); a display.Bundle or *display.Bundle: itself;
//   - *core.Tensor: text (shape, statistics, preview) and, for a matrix of at
//     most MaxHTMLCells×MaxHTMLCells, an HTML table;
//   - *img.Image and image.Image: PNG (enlarged to MinShownSide) and text;
//   - []*img.Image: the images side by side (img.Grid) as PNG;
//   - Tabular: HTML, Markdown and text;
//   - error: text "error: …";
//   - nil: text "<nil>"; anything else: text from fmt's %v.
func Render(v any) display.Bundle {
	switch x := v.(type) {
	case nil:
		return display.Text("<nil>")
	case display.Bundle:
		return x
	case *display.Bundle:
		if x == nil {
			return display.Text("<nil>")
		}
		return *x
	case display.Displayer:
		if isNilPointer(v) {
			return display.Text(fmt.Sprintf("(%T)(nil)", v))
		}
		return x.Display()
	case *core.Tensor:
		if x == nil {
			return display.Text("(*core.Tensor)(nil)")
		}
		return TensorBundle(x)
	case *img.Image:
		if x == nil {
			return display.Text("(*img.Image)(nil)")
		}
		return ImageBundle(x)
	case []*img.Image:
		return imagesBundle(x)
	case image.Image:
		if isNilPointer(v) {
			return display.Text(fmt.Sprintf("(%T)(nil)", v))
		}
		return ImageBundle(img.FromImage(x))
	case Tabular:
		if isNilPointer(v) {
			return display.Text(fmt.Sprintf("(%T)(nil)", v))
		}
		return tableBundle("", x.TableHeaders(), x.TableRows())
	case error:
		return display.Text("error: " + x.Error())
	}
	return display.Text(fmt.Sprintf("%v", v))
}

func isNilPointer(v any) bool {
	r := reflect.ValueOf(v)
	return r.Kind() == reflect.Pointer && r.IsNil()
}

// TensorBundle shows t as text — t.String(): shape, statistics and a short
// preview — and, when t is a matrix of at most MaxHTMLCells in each
// direction, as an HTML table of its values.
func TensorBundle(t *core.Tensor) display.Bundle {
	b := display.Text(t.String())
	if t.Rank() == 2 && t.Dim(0) <= MaxHTMLCells && t.Dim(1) <= MaxHTMLCells && t.Device() == core.CPU {
		var h strings.Builder
		fmt.Fprintf(&h, "<table>\n<caption>Tensor %v</caption>\n<tbody>\n", t.Dims())
		for i := range t.Dim(0) {
			h.WriteString("<tr>")
			for j := range t.Dim(1) {
				fmt.Fprintf(&h, "<td>%.4g</td>", t.Data[i*t.Dim(1)+j])
			}
			h.WriteString("</tr>\n")
		}
		h.WriteString("</tbody>\n</table>\n")
		b.Data[display.MIMEHTML] = h.String()
	}
	return b
}

// ImageBundle shows m as a PNG, enlarged by pixel repetition to at least
// MinShownSide on its longer side, with a text description.
func ImageBundle(m *img.Image) display.Bundle {
	shown := m
	if f := MinShownSide / max(m.W, m.H); f > 1 {
		shown = img.Nearest(m, f)
	}
	return PNGBundle(img.ToRGBA(shown), fmt.Sprintf("Image %d×%d", m.W, m.H))
}

func imagesBundle(ms []*img.Image) display.Bundle {
	var row []*img.Image
	for _, m := range ms {
		if m != nil {
			row = append(row, m)
		}
	}
	if len(row) == 0 {
		return display.Text("[] (no images)")
	}
	b := ImageBundle(img.Grid([][]*img.Image{row}, 2))
	b.Data[display.MIMEText] = fmt.Sprintf("%d images", len(row))
	return b
}

// PNGBundle encodes m as PNG with alt as its text form. If encoding fails
// the bundle holds only the text and the error.
func PNGBundle(m image.Image, alt string) display.Bundle {
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return display.Text(alt + " (PNG encoding failed: " + err.Error() + ")")
	}
	return display.Bundle{Data: map[string]any{display.MIMEPNG: buf.Bytes(), display.MIMEText: alt}}
}
