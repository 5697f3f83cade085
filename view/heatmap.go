package view

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"xprompt/chart"
	"xprompt/core"
	"xprompt/display"
)

// HeatmapOptions controls Heatmap.
type HeatmapOptions struct {
	// Title is drawn above the map when not empty; XLabel and YLabel name
	// the axes.
	Title, XLabel, YLabel string
	// Boundaries are indices b at which a new segment starts: a line is
	// drawn between rows b-1 and b and between columns b-1 and b, and both
	// axes are ticked there (for the [BOS][IE][XP][TD] segments of an
	// attention mask).
	Boundaries []int
	// ColumnBoundaries are drawn between columns only, for a map whose
	// rows are not the tokens of its columns (X-Prompt rows × example
	// columns).
	ColumnBoundaries []int
	// Names label the segments on the axes, in order (the first starts at
	// 0); without them the axes show the boundaries' indices.
	Names []string
	// Min and Max fix the colour scale; when both are zero it spans the
	// finite values of the data.
	Min, Max float32
	// Cell is the side of one matrix entry in pixels; 0 chooses one that
	// makes the map about 400 pixels high (between 1 and 24).
	Cell int
}

// Heatmap draws a rows×cols matrix (row-major data, row 0 at the top) as a
// PNG with gonum/plot (package chart): the viridis map from Min (dark blue)
// to Max (yellow) with a colour bar, ticked axes, segment boundaries; NaN is
// grey. It panics if len(data) != rows·cols or a dimension is not positive.
func Heatmap(data []float32, rows, cols int, opt HeatmapOptions) display.Bundle {
	if rows <= 0 || cols <= 0 || len(data) != rows*cols {
		panic(fmt.Sprintf("view.Heatmap: %d values for a %d×%d matrix", len(data), rows, cols))
	}
	cell := opt.Cell
	if cell <= 0 {
		cell = min(24, max(1, 400/rows))
	}
	h := min(max(rows*cell, 200), 720) + 70 // the map, title and axis
	png, err := chart.Heatmap(data, rows, cols, chart.HeatmapOptions{
		Title: opt.Title, XLabel: opt.XLabel, YLabel: opt.YLabel,
		Boundaries: opt.Boundaries, ColumnBoundaries: opt.ColumnBoundaries, Names: opt.Names,
		Min: float64(opt.Min), Max: float64(opt.Max), H: h,
	})
	if err != nil {
		panic("view.Heatmap: " + strings.TrimPrefix(err.Error(), "chart.Heatmap: "))
	}
	lo, hi := opt.Min, opt.Max
	if lo == 0 && hi == 0 {
		lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range data {
			if finite(float64(v)) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	alt := fmt.Sprintf("Heatmap %d×%d, values %.4g…%.4g", rows, cols, lo, hi)
	if opt.Title != "" {
		alt = opt.Title + ": " + alt
	}
	if len(opt.Boundaries) > 0 {
		alt += fmt.Sprintf(", segments start at %v", opt.Boundaries)
	}
	return display.Bundle{Data: map[string]any{display.MIMEPNG: png, display.MIMEText: alt}}
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
