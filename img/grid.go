package img

import "fmt"

// GridBackground is the grey level of Grid's padding and blank cells.
const GridBackground = 0.94

// Grid lays images out in rows: rows[i][j] goes in row i, column j; a nil
// image (or a missing entry of a short row) is a blank cell. Column j is as
// wide as its widest image and row i as tall as its tallest; each image is
// centred in its cell, and pad pixels of background (GridBackground) separate
// the cells and surround the grid, so the result is
// (pad + Σ(colW+pad)) × (pad + Σ(rowH+pad)). A column or row without images
// has size 0. Grid panics if pad < 0 or there is no image at all.
func Grid(rows [][]*Image, pad int) *Image {
	if pad < 0 {
		panic(fmt.Sprintf("img.Grid: negative padding %d", pad))
	}
	ncol := 0
	for _, r := range rows {
		ncol = max(ncol, len(r))
	}
	colW := make([]int, ncol)
	rowH := make([]int, len(rows))
	found := false
	for i, r := range rows {
		for j, m := range r {
			if m != nil {
				colW[j] = max(colW[j], m.W)
				rowH[i] = max(rowH[i], m.H)
				found = true
			}
		}
	}
	if !found {
		panic("img.Grid: no images")
	}
	W, H := pad, pad
	for _, w := range colW {
		W += w + pad
	}
	for _, h := range rowH {
		H += h + pad
	}
	out := New(W, H)
	for i := range out.Pix {
		out.Pix[i] = GridBackground
	}
	y0 := pad
	for i, r := range rows {
		x0 := pad
		for j := 0; j < ncol; j++ {
			if j < len(r) && r[j] != nil {
				m := r[j]
				ox, oy := x0+(colW[j]-m.W)/2, y0+(rowH[i]-m.H)/2
				for y := 0; y < m.H; y++ {
					copy(out.Pix[((oy+y)*W+ox)*3:], m.Pix[y*m.W*3:(y+1)*m.W*3])
				}
			}
			x0 += colW[j] + pad
		}
		y0 += rowH[i] + pad
	}
	return out
}
