package chart

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// HeatmapOptions controls Heatmap.
type HeatmapOptions struct {
	Title, XLabel, YLabel string
	// Boundaries are the indices at which a new segment starts, on both
	// axes (the [BOS][IE][XP][TD] segments of an attention map): a line is
	// drawn before each and the axes are ticked there, with Names when given.
	Boundaries []int
	// ColumnBoundaries are segment starts of the columns only, for maps whose
	// rows are not the tokens of the columns.
	ColumnBoundaries []int
	// Names label the segments that Boundaries (or ColumnBoundaries) start,
	// in order; the first segment starts at 0.
	Names []string
	// Min and Max fix the colour scale; both zero spans the finite data.
	Min, Max float64
	// W and H are the image size in pixels (default: a square map about 420
	// pixels high, plus the colour bar).
	W, H int
}

// Heatmap draws a rows×cols matrix (row-major data; row 0 at the top) as a
// PNG coloured by the viridis map, with a colour bar, ticked axes and the
// segment boundaries. NaN entries are grey. It returns an error when
// len(data) != rows·cols or a dimension is not positive.
func Heatmap(data []float32, rows, cols int, opt HeatmapOptions) ([]byte, error) {
	if rows <= 0 || cols <= 0 || len(data) != rows*cols {
		return nil, fmt.Errorf("chart.Heatmap: %d values for a %d×%d matrix", len(data), rows, cols)
	}
	lo, hi := opt.Min, opt.Max
	if lo == 0 && hi == 0 {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, v := range data {
			if f := float64(v); finite(f) {
				lo, hi = min(lo, f), max(hi, f)
			}
		}
		if lo > hi {
			lo, hi = 0, 1
		}
	}
	if hi <= lo {
		hi = lo + 1
	}
	cmap := &viridis{min: lo, max: hi}
	h := opt.H
	if h <= 0 {
		h = 420
	}
	w := opt.W
	if w <= 0 {
		w = min(max(h*cols/rows+110, 260), 1200)
	}
	// The cells as an image, each k×k pixels with k at least the cell's
	// size on screen, so that scaling it into the plot keeps edges sharp.
	k := max(1, (h+rows-1)/rows, (w+cols-1)/cols)
	for k > 1 && rows*cols*k*k > 16<<20 {
		k--
	}
	raster := image.NewRGBA(image.Rect(0, 0, cols*k, rows*k))
	nan := color.RGBA{160, 160, 160, 255}
	for i := range rows {
		for j := range cols {
			c := nan
			if v := float64(data[i*cols+j]); finite(v) {
				cc, _ := cmap.At(min(max(v, lo), hi))
				c = cc.(color.RGBA)
			}
			for y := i * k; y < (i+1)*k; y++ {
				for x := j * k; x < (j+1)*k; x++ {
					raster.SetRGBA(x, y, c)
				}
			}
		}
	}
	cells := plotter.NewImage(raster, -0.5, -0.5, float64(cols)-0.5, float64(rows)-0.5)

	p := plot.New()
	p.Title.Text = opt.Title
	p.X.Label.Text, p.Y.Label.Text = opt.XLabel, opt.YLabel
	p.Add(cells)
	p.X.Min, p.X.Max = -0.5, float64(cols)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(rows)-0.5
	colBounds := opt.ColumnBoundaries
	if colBounds == nil {
		colBounds = opt.Boundaries
	}
	p.X.Tick.Marker = segmentTicks{bounds: colBounds, names: opt.Names, n: cols}
	p.Y.Tick.Marker = segmentTicks{bounds: opt.Boundaries, names: opt.Names, n: rows, flip: true}
	white := color.RGBA{255, 255, 255, 220}
	for _, b := range colBounds {
		if b > 0 && b < cols {
			addLine(p, white, plotter.XY{X: float64(b) - 0.5, Y: -0.5}, plotter.XY{X: float64(b) - 0.5, Y: float64(rows) - 0.5})
		}
	}
	for _, b := range opt.Boundaries {
		if b > 0 && b < rows {
			y := float64(rows-b) - 0.5
			addLine(p, white, plotter.XY{X: -0.5, Y: y}, plotter.XY{X: float64(cols) - 0.5, Y: y})
		}
	}

	bar := plot.New()
	bar.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})
	bar.HideX()
	bar.Y.Padding = 0

	barW := px(80)
	c := vgimg.NewWith(vgimg.UseWH(px(w), px(h)), vgimg.UseDPI(DPI))
	dc := draw.New(c)
	fillWhite(dc)
	p.Draw(draw.Crop(dc, 0, -barW, 0, 0))
	top := vg.Length(0)
	if opt.Title != "" {
		top = -p.Title.TextStyle.Height(opt.Title) - p.Title.Padding
	}
	bar.Draw(draw.Crop(dc, px(w)-barW+px(12), -px(24), px(36), top))
	return encodePNG(c)
}

func addLine(p *plot.Plot, col color.Color, a, b plotter.XY) {
	l, err := plotter.NewLine(plotter.XYs{a, b})
	if err != nil {
		return
	}
	l.Color, l.Width = col, vg.Points(1)
	p.Add(l)
}

// segmentTicks ticks an axis of n entries at the segment boundaries
// (labelled with the index, or the segment's name at its middle), or at
// nice values when there are none.
type segmentTicks struct {
	bounds []int
	names  []string
	n      int
	flip   bool // the y axis: entry i is drawn at n−1−i
}

func (s segmentTicks) Ticks(lo, hi float64) []plot.Tick {
	at := func(i float64) float64 {
		if s.flip {
			return float64(s.n-1) - i
		}
		return i
	}
	if len(s.bounds) == 0 {
		var ticks []plot.Tick
		for _, t := range (plot.DefaultTicks{}).Ticks(0, float64(s.n-1)) {
			if t.Label == "" || t.Value != math.Trunc(t.Value) {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: at(t.Value), Label: t.Label})
		}
		return ticks
	}
	starts := append([]int{0}, s.bounds...)
	var ticks []plot.Tick
	for i, b := range starts {
		if b < 0 || b > s.n {
			continue
		}
		end := s.n
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		// A long tick at the boundary, labelled with its index…
		if b > 0 {
			ticks = append(ticks, plot.Tick{Value: at(float64(b) - 0.5)})
		}
		label := strconv.Itoa(b)
		if i < len(s.names) {
			label = s.names[i]
		}
		// …and the segment's label at its middle.
		if end > b {
			ticks = append(ticks, plot.Tick{Value: at(float64(b+end-1) / 2), Label: label})
		}
	}
	return ticks
}

// viridis is matplotlib's viridis colour map as a gonum palette.ColorMap,
// interpolated between nine samples.
type viridis struct {
	min, max, alpha float64
}

var viridisStops = []color.RGBA{
	{68, 1, 84, 255}, {71, 44, 122, 255}, {59, 81, 139, 255}, {44, 113, 142, 255},
	{33, 144, 141, 255}, {39, 173, 129, 255}, {92, 200, 99, 255}, {170, 220, 50, 255},
	{253, 231, 37, 255},
}

func (v *viridis) At(x float64) (color.Color, error) {
	if x < v.min || x > v.max || math.IsNaN(x) {
		return nil, palette.ErrOverflow
	}
	t := (x - v.min) / (v.max - v.min) * float64(len(viridisStops)-1)
	i := min(int(t), len(viridisStops)-2)
	f := t - float64(i)
	a, b := viridisStops[i], viridisStops[i+1]
	mix := func(p, q uint8) uint8 { return uint8(math.Round(float64(p) + f*(float64(q)-float64(p)))) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}, nil
}

func (v *viridis) Max() float64     { return v.max }
func (v *viridis) SetMax(x float64) { v.max = x }
func (v *viridis) Min() float64     { return v.min }
func (v *viridis) SetMin(x float64) { v.min = x }
func (v *viridis) Alpha() float64   { return 1 }
func (v *viridis) SetAlpha(float64) {}

func (v *viridis) Palette(n int) palette.Palette {
	cs := make([]color.Color, n)
	for i := range cs {
		c, _ := v.At(v.min + (v.max-v.min)*float64(i)/float64(max(n-1, 1)))
		cs[i] = c
	}
	return colors(cs)
}

type colors []color.Color

func (c colors) Colors() []color.Color { return c }
