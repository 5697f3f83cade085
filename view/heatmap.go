package view

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"xprompt/core"
	"xprompt/display"
)

// HeatmapOptions controls Heatmap.
type HeatmapOptions struct {
	// Title is drawn above the map when not empty.
	Title string
	// Boundaries are indices b at which a new segment starts: a line is
	// drawn between rows b-1 and b and between columns b-1 and b (for the
	// [BOS][IE][XP][TD] segments of an attention mask).
	Boundaries []int
	// ColumnBoundaries are drawn between columns only, for a map whose
	// rows are not the tokens of its columns (X-Prompt rows × example
	// columns).
	ColumnBoundaries []int
	// Min and Max fix the colour scale; when both are zero it spans the
	// finite values of the data.
	Min, Max float32
	// Cell is the side of one matrix entry in pixels; 0 chooses one that
	// makes the map about 384 pixels wide (between 1 and 24).
	Cell int
}

// Heatmap draws a rows×cols matrix (row-major data) as a PNG: entry (i, j)
// is a Cell×Cell square at column j, row i, coloured by the viridis map from
// Min (dark blue) to Max (yellow); NaN is grey. It panics if
// len(data) != rows·cols or a dimension is not positive.
func Heatmap(data []float32, rows, cols int, opt HeatmapOptions) display.Bundle {
	if rows <= 0 || cols <= 0 || len(data) != rows*cols {
		panic(fmt.Sprintf("view.Heatmap: %d values for a %d×%d matrix", len(data), rows, cols))
	}
	lo, hi := opt.Min, opt.Max
	if lo == 0 && hi == 0 {
		lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range data {
			if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		if lo > hi {
			lo, hi = 0, 1
		}
	}
	cs := opt.Cell
	if cs <= 0 {
		cs = min(24, max(1, 384/max(rows, cols)))
	}
	top := 0
	if opt.Title != "" {
		top = 18
	}
	w, h := cols*cs, rows*cs
	m := image.NewRGBA(image.Rect(0, 0, max(w, textWidth(opt.Title)+4), h+top))
	fill(m, m.Rect, white)
	for i := range rows {
		for j := range cols {
			c := color.RGBA{128, 128, 128, 255}
			if v := data[i*cols+j]; !math.IsNaN(float64(v)) {
				t := float32(0.5)
				if hi > lo {
					t = (v - lo) / (hi - lo)
				}
				c = Viridis(t)
			}
			fill(m, image.Rect(j*cs, top+i*cs, (j+1)*cs, top+(i+1)*cs), c)
		}
	}
	for _, b := range opt.Boundaries {
		if b > 0 && b < cols {
			line(m, b*cs, top, b*cs, top+h-1, boundary)
		}
		if b > 0 && b < rows {
			line(m, 0, top+b*cs, w-1, top+b*cs, boundary)
		}
	}
	for _, b := range opt.ColumnBoundaries {
		if b > 0 && b < cols {
			line(m, b*cs, top, b*cs, top+h-1, boundary)
		}
	}
	if opt.Title != "" {
		text(m, 2, 13, opt.Title, black)
	}
	alt := fmt.Sprintf("Heatmap %d×%d, values %.4g…%.4g", rows, cols, lo, hi)
	if opt.Title != "" {
		alt = opt.Title + ": " + alt
	}
	if len(opt.Boundaries) > 0 {
		alt += fmt.Sprintf(", segments start at %v", opt.Boundaries)
	}
	return PNGBundle(m, alt)
}

// HeatmapTensor draws a 2-D tensor with Heatmap. It panics if t is not a
// matrix.
func HeatmapTensor(t *core.Tensor, opt HeatmapOptions) display.Bundle {
	if t.Rank() != 2 {
		panic(fmt.Sprintf("view.HeatmapTensor: want a matrix, got shape %v", t.Dims()))
	}
	return Heatmap(t.Data, t.Dim(0), t.Dim(1), opt)
}

// viridisStops samples matplotlib's viridis map at 0, 0.25, 0.5, 0.75, 1.
var viridisStops = [5][3]float32{
	{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37},
}

// Viridis returns the colour of t ∈ [0, 1] (clamped) on the viridis map,
// linearly interpolated between five samples.
func Viridis(t float32) color.RGBA {
	t = min(max(t, 0), 1) * 4
	i := min(int(t), 3)
	f := t - float32(i)
	var c [3]uint8
	for k := range 3 {
		c[k] = uint8(viridisStops[i][k] + f*(viridisStops[i+1][k]-viridisStops[i][k]) + 0.5)
	}
	return color.RGBA{c[0], c[1], c[2], 255}
}
