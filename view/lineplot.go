package view

import (
	"fmt"
	"math"
	"strings"

	"xprompt/chart"
	"xprompt/display"
)

// Series is one curve of a LinePlot. X may be nil: the points are then at
// x = 0, 1, …, len(Y)-1. Non-finite values are skipped (the curve breaks).
type Series struct {
	Name string
	X, Y []float64
}

// PlotOptions controls LinePlot.
type PlotOptions struct {
	Title, XLabel, YLabel string
	// W and H are the image size in pixels (default 480×300).
	W, H int
	// LogY draws the y axis on a log10 scale (non-positive values skipped).
	LogY bool
}

// LinePlot draws the series as a PNG with gonum/plot (package chart): axes
// with ticks and labels, a grid, one colour per curve and a legend of the
// named series. The text form summarises each series (points, last,
// minimum). It panics if a series has X and Y of different lengths.
func LinePlot(opt PlotOptions, series ...Series) display.Bundle {
	cs := make([]chart.Series, len(series))
	for i, s := range series {
		cs[i] = chart.Series{Name: s.Name, X: s.X, Y: s.Y}
	}
	png, err := chart.Lines(chart.LineOptions{Title: opt.Title, XLabel: opt.XLabel, YLabel: opt.YLabel,
		W: opt.W, H: opt.H, LogY: opt.LogY}, cs...)
	if err != nil {
		panic("view.LinePlot: " + strings.TrimPrefix(err.Error(), "chart.Lines: "))
	}
	var alt strings.Builder
	if opt.Title != "" {
		alt.WriteString(opt.Title + "\n")
	}
	for k, s := range series {
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("series %d", k+1)
		}
		last, lo, n := math.NaN(), math.Inf(1), 0
		for _, y := range s.Y {
			if finite(y) {
				last, lo, n = y, math.Min(lo, y), n+1
			}
		}
		fmt.Fprintf(&alt, "%s: %d points, last %.4g, min %.4g\n", name, n, last, lo)
	}
	return display.Bundle{Data: map[string]any{
		display.MIMEPNG:  png,
		display.MIMEText: strings.TrimRight(alt.String(), "\n"),
	}}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// NiceStep rounds a raw tick spacing up to the nearest 1, 2 or 5 × 10^k.
func NiceStep(raw float64) float64 {
	if raw <= 0 || !finite(raw) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 5, 10} {
		if raw <= f*p*(1+1e-9) {
			return f * p
		}
	}
	return 10 * p
}
