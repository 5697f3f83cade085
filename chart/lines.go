package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// DPI is the resolution of the PNG images.
const DPI = 96

// px converts pixels to gonum's points at DPI.
func px(n int) vg.Length { return vg.Length(n) * vg.Inch / DPI }

// Series is one curve: points (X[i], Y[i]); X nil means 0, 1, …, len(Y)−1.
// Non-finite points are left out and break the curve.
type Series struct {
	Name string
	X, Y []float64
}

// LineOptions controls Lines.
type LineOptions struct {
	Title, XLabel, YLabel string
	W, H                  int  // image size in pixels (default 480×300)
	LogY                  bool // log10 y axis; non-positive values are left out
}

// curveColours are the curves' colours (Tableau 10's first six).
var curveColours = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255},
	{214, 39, 40, 255}, {148, 103, 189, 255}, {140, 86, 75, 255},
}

// Lines draws the series as a PNG with axes, ticks, labels, a grid and a
// legend of the named series. It returns an error when a series has X and
// Y of different lengths.
func Lines(opt LineOptions, series ...Series) ([]byte, error) {
	w, h := opt.W, opt.H
	if w <= 0 {
		w = 480
	}
	if h <= 0 {
		h = 300
	}
	p := plot.New()
	p.Title.Text = opt.Title
	p.X.Label.Text = opt.XLabel
	p.Y.Label.Text = opt.YLabel
	if opt.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	points := 0
	for i, s := range series {
		if s.X != nil && len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("chart.Lines: series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y))
		}
		col := curveColours[i%len(curveColours)]
		var first *plotter.Line
		for _, run := range finiteRuns(s, opt.LogY) {
			points += len(run)
			l, err := plotter.NewLine(run)
			if err != nil {
				return nil, fmt.Errorf("chart.Lines: series %q: %w", s.Name, err)
			}
			l.Color, l.Width = col, vg.Points(1.5)
			p.Add(l)
			if len(run) == 1 { // a lone point is invisible as a line
				sc, _ := plotter.NewScatter(run)
				sc.Color = col
				p.Add(sc)
			}
			if first == nil {
				first = l
			}
		}
		if s.Name != "" && first != nil {
			p.Legend.Add(s.Name, first)
		}
	}
	if points == 0 {
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		if opt.LogY {
			p.Y.Min, p.Y.Max = 1, 10
		}
	}
	c := vgimg.NewWith(vgimg.UseWH(px(w), px(h)), vgimg.UseDPI(DPI))
	dc := draw.New(c)
	fillWhite(dc)
	p.Draw(dc)
	return encodePNG(c)
}

// finiteRuns splits a series into runs of consecutive drawable points.
func finiteRuns(s Series, logY bool) []plotter.XYs {
	var runs []plotter.XYs
	var cur plotter.XYs
	for i, y := range s.Y {
		x := float64(i)
		if s.X != nil {
			x = s.X[i]
		}
		if !finite(x) || !finite(y) || logY && y <= 0 {
			if len(cur) > 0 {
				runs = append(runs, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, plotter.XY{X: x, Y: y})
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	return runs
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func fillWhite(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
}

func encodePNG(c *vgimg.Canvas) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// logTicks labels a log axis at powers of ten, or, when the range spans
// less than that (a loss from 7 to 3), at linear "nice" values.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	labelled := 0
	for _, t := range ticks {
		if t.Label != "" && t.Value >= lo && t.Value <= hi {
			labelled++
		}
	}
	if labelled >= 2 {
		return ticks
	}
	return plot.DefaultTicks{}.Ticks(lo, hi)
}
