package view

import (
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"

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

// LinePlot draws the series as a PNG: axes with about five "nice" ticks
// each (steps of 1, 2 or 5 × 10^k), one colour per curve, a legend when a
// series has a name. The text form summarises each series (points, last,
// minimum). It panics if a series has X and Y of different lengths.
func LinePlot(opt PlotOptions, series ...Series) display.Bundle {
	W, H := opt.W, opt.H
	if W <= 0 {
		W = 480
	}
	if H <= 0 {
		H = 300
	}
	fy := func(v float64) float64 { return v }
	if opt.LogY {
		fy = func(v float64) float64 {
			if v <= 0 {
				return math.NaN()
			}
			return math.Log10(v)
		}
	}
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range series {
		if s.X != nil && len(s.X) != len(s.Y) {
			panic(fmt.Sprintf("view.LinePlot: series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y)))
		}
		for i, y := range s.Y {
			x, y := xAt(s, i), fy(y)
			if finite(x) && finite(y) {
				xlo, xhi, ylo, yhi = min(xlo, x), max(xhi, x), min(ylo, y), max(yhi, y)
			}
		}
	}
	if xlo > xhi {
		xlo, xhi, ylo, yhi = 0, 1, 0, 1
	}
	if xhi == xlo {
		xlo, xhi = xlo-1, xhi+1
	}
	if yhi == ylo {
		d := math.Max(math.Abs(ylo)*0.1, 1e-3)
		ylo, yhi = ylo-d, yhi+d
	}
	pad := (yhi - ylo) * 0.05
	ylo, yhi = ylo-pad, yhi+pad

	m := image.NewRGBA(image.Rect(0, 0, W, H))
	fill(m, m.Rect, white)
	yTicks := niceTicks(ylo, yhi, 5)
	ylabels := make([]string, len(yTicks))
	lw := 0
	for i, t := range yTicks {
		if opt.LogY {
			ylabels[i] = formatTick(math.Pow(10, t))
		} else {
			ylabels[i] = formatTick(t)
		}
		lw = max(lw, textWidth(ylabels[i]))
	}
	left, right, top, bottom := lw+10, W-12, 10, H-34
	if opt.YLabel != "" {
		left += 14
	}
	if opt.Title != "" {
		top = 24
		text(m, (W-textWidth(opt.Title))/2, 15, opt.Title, black)
	}
	if right-left < 20 || bottom-top < 20 {
		panic(fmt.Sprintf("view.LinePlot: a %d×%d image is too small", W, H))
	}
	px := func(x float64) int { return left + int(math.Round((x-xlo)/(xhi-xlo)*float64(right-left))) }
	py := func(y float64) int { return bottom - int(math.Round((y-ylo)/(yhi-ylo)*float64(bottom-top))) }

	for i, t := range yTicks {
		y := py(t)
		line(m, left, y, right, y, grey)
		line(m, left-4, y, left, y, black)
		text(m, left-6-textWidth(ylabels[i]), y+4, ylabels[i], darkGrey)
	}
	for _, t := range niceTicks(xlo, xhi, 6) {
		x := px(t)
		line(m, x, bottom, x, bottom+4, black)
		l := formatTick(t)
		text(m, x-textWidth(l)/2, bottom+16, l, darkGrey)
	}
	line(m, left, top, left, bottom, black)
	line(m, left, bottom, right, bottom, black)
	if opt.XLabel != "" {
		text(m, (left+right-textWidth(opt.XLabel))/2, H-4, opt.XLabel, black)
	}
	if opt.YLabel != "" {
		for i, r := range opt.YLabel { // vertical, one letter per line
			text(m, 2, top+12+13*i, string(r), black)
		}
	}

	var alt strings.Builder
	if opt.Title != "" {
		alt.WriteString(opt.Title + "\n")
	}
	ly := top + 14
	for k, s := range series {
		c := palette[k%len(palette)]
		prevOK := false
		var x0, y0 int
		last, lo := math.NaN(), math.Inf(1)
		for i, yv := range s.Y {
			x, y := xAt(s, i), fy(yv)
			if !finite(x) || !finite(y) {
				prevOK = false
				continue
			}
			x1, y1 := px(x), py(y)
			if prevOK {
				line(m, x0, y0, x1, y1, c)
				line(m, x0, y0+1, x1, y1+1, c)
			} else {
				m.SetRGBA(x1, y1, c)
			}
			x0, y0, prevOK = x1, y1, true
			last, lo = yv, math.Min(lo, yv)
		}
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("series %d", k+1)
		}
		if s.Name != "" {
			tw := textWidth(s.Name)
			fill(m, image.Rect(right-tw-24, ly-8, right-8-tw, ly-5), c)
			text(m, right-tw-4, ly, s.Name, black)
			ly += 14
		}
		fmt.Fprintf(&alt, "%s: %d points, last %.4g, min %.4g\n", name, len(s.Y), last, lo)
	}
	return PNGBundle(m, strings.TrimRight(alt.String(), "\n"))
}

func xAt(s Series, i int) float64 {
	if s.X == nil {
		return float64(i)
	}
	return s.X[i]
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// niceTicks returns tick values inside [lo, hi] spaced by a step of 1, 2 or
// 5 × 10^k chosen so that there are about n of them.
func niceTicks(lo, hi float64, n int) []float64 {
	step := NiceStep((hi - lo) / float64(n))
	var ticks []float64
	for t := math.Ceil(lo/step) * step; t <= hi+step*1e-9; t += step {
		if math.Abs(t) < step*1e-9 {
			t = 0
		}
		ticks = append(ticks, t)
	}
	return ticks
}

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

func formatTick(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
