package chart

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

func decode(t *testing.T, b []byte, err error) image.Image {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return m
}

// count returns how many pixels of m are within 8 of c in every channel.
func count(m image.Image, c color.RGBA) int {
	n := 0
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := m.At(x, y).RGBA()
			if near(r>>8, c.R) && near(g>>8, c.G) && near(bl>>8, c.B) {
				n++
			}
		}
	}
	return n
}

func near(a uint32, b uint8) bool { return math.Abs(float64(a)-float64(b)) <= 8 }

func TestLines(t *testing.T) {
	y := []float64{5, 4, math.NaN(), 3, 2.5, 0, 2}
	b, err := Lines(LineOptions{Title: "loss", XLabel: "step", YLabel: "loss", W: 400, H: 250, LogY: true},
		Series{Name: "a", Y: y}, Series{Name: "b", X: []float64{0, 6}, Y: []float64{4, 4}})
	m := decode(t, b, err)
	if m.Bounds().Dx() != 400 || m.Bounds().Dy() != 250 {
		t.Errorf("size %v, want 400×250", m.Bounds())
	}
	// Both curves are drawn in their colours.
	for i, c := range curveColours[:2] {
		if n := count(m, c); n < 50 {
			t.Errorf("curve %d: %d pixels of its colour", i, n)
		}
	}
	if _, err := Lines(LineOptions{}, Series{Name: "bad", X: []float64{1}, Y: []float64{1, 2}}); err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("mismatched series: %v", err)
	}
	b, err = Lines(LineOptions{}) // no series: empty axes, no error
	decode(t, b, err)
	// A log axis over less than a decade is still labelled at several values.
	if ticks := (logTicks{}).Ticks(3, 7); labelled(ticks) < 2 {
		t.Errorf("log ticks over [3, 7]: %v", ticks)
	}
}

func TestHeatmap(t *testing.T) {
	// A 4×4 map whose top-left 2×2 block is the maximum and the rest the
	// minimum: the viridis ends fill about a quarter and three quarters of
	// the map area.
	data := make([]float32, 16)
	for _, i := range []int{0, 1, 4, 5} {
		data[i] = 1
	}
	data[15] = float32(math.NaN())
	b, err := Heatmap(data, 4, 4, HeatmapOptions{Title: "t", Boundaries: []int{2}, Names: []string{"A", "B"}, H: 300})
	m := decode(t, b, err)
	yellow, purple := viridisStops[len(viridisStops)-1], viridisStops[0]
	ny, np := count(m, yellow), count(m, purple)
	if ny < 1000 || np < 2*ny {
		t.Errorf("max colour %d pixels, min colour %d: want about 1:3 (plus the colour bar)", ny, np)
	}
	if count(m, color.RGBA{160, 160, 160, 255}) < 100 {
		t.Error("the NaN cell is not grey")
	}
	if _, err := Heatmap(data, 3, 4, HeatmapOptions{}); err == nil {
		t.Error("16 values for 3×4: no error")
	}
	// Segment ticks: a long tick at each boundary, the names in between.
	ticks := segmentTicks{bounds: []int{1, 5}, names: []string{"BOS", "IE", "TD"}, n: 8}.Ticks(0, 7)
	var labels []string
	for _, tk := range ticks {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if strings.Join(labels, " ") != "BOS IE TD" || len(ticks) != 5 {
		t.Errorf("segment ticks %v", ticks)
	}
}

func labelled(ts []plot.Tick) int {
	n := 0
	for _, t := range ts {
		if t.Label != "" {
			n++
		}
	}
	return n
}
