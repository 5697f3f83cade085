package view

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"sync"
	"testing"

	"xprompt/core"
	"xprompt/display"
	"xprompt/img"
)

func decodePNG(t *testing.T, b display.Bundle) image.Image {
	t.Helper()
	raw, ok := b.Data[display.MIMEPNG].([]byte)
	if !ok {
		t.Fatalf("bundle has no image/png: %v", keys(b))
	}
	m, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func keys(b display.Bundle) []string {
	var k []string
	for m := range b.Data {
		k = append(k, m)
	}
	return k
}

func rgba(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

type selfShown struct{}

func (selfShown) Display() display.Bundle { return display.Text("self") }

type tabular struct{}

func (tabular) TableHeaders() []string { return []string{"a"} }
func (tabular) TableRows() [][]string  { return [][]string{{"1"}} }

func TestRenderMIMETypes(t *testing.T) {
	small := core.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	big := core.Zeros(20, 20)
	cases := []struct {
		name string
		v    any
		mime []string // exactly these types
		text string   // the text form contains this
	}{
		{"small matrix", small, []string{display.MIMEText, display.MIMEHTML}, "[2 3]"},
		{"large matrix", big, []string{display.MIMEText}, "[20 20]"},
		{"vector", core.Ones(5), []string{display.MIMEText}, "[5]"},
		{"image", img.New(32, 32), []string{display.MIMEText, display.MIMEPNG}, "Image 32×32"},
		{"images", []*img.Image{img.New(4, 4), img.New(4, 4)}, []string{display.MIMEText, display.MIMEPNG}, "2 images"},
		{"table", NewTable("k", "v").Add("a", 1), []string{display.MIMEText, display.MIMEHTML, display.MIMEMarkdown}, "k  v"},
		{"tabular", tabular{}, []string{display.MIMEText, display.MIMEHTML, display.MIMEMarkdown}, "a\n-\n1"},
		{"displayer", selfShown{}, []string{display.MIMEText}, "self"},
		{"error", errors.New("broken"), []string{display.MIMEText}, "error: broken"},
		{"int", 42, []string{display.MIMEText}, "42"},
		{"nil", nil, []string{display.MIMEText}, "<nil>"},
		{"nil tensor", (*core.Tensor)(nil), []string{display.MIMEText}, "(*core.Tensor)(nil)"},
	}
	for _, c := range cases {
		b := Render(c.v)
		if len(b.Data) != len(c.mime) {
			t.Errorf("%s: MIME types %v, want %v", c.name, keys(b), c.mime)
		}
		for _, m := range c.mime {
			if _, ok := b.Data[m]; !ok {
				t.Errorf("%s: no %s (have %v)", c.name, m, keys(b))
			}
		}
		if !strings.Contains(b.PlainText(), c.text) {
			t.Errorf("%s: text %q lacks %q", c.name, b.PlainText(), c.text)
		}
	}
	html := Render(small).Data[display.MIMEHTML].(string)
	if !strings.Contains(html, "<tr><td>1</td><td>2</td><td>3</td></tr>") || !strings.Contains(html, "<tr><td>4</td><td>5</td><td>6</td></tr>") {
		t.Errorf("tensor HTML:\n%s", html)
	}
}

func TestImageEnlarged(t *testing.T) {
	m := img.New(32, 16)
	for y := range m.H {
		for x := range m.W {
			m.Set(x, y, float32(x)/31, float32(y)/15, 0.5)
		}
	}
	p := decodePNG(t, Render(m))
	if b := p.Bounds(); b.Dx() != 128 || b.Dy() != 64 {
		t.Fatalf("shown %v, want 128×64 (×4)", b)
	}
	want := img.ToRGBA(m)
	for _, pt := range []image.Point{{0, 0}, {127, 63}, {53, 22}, {4, 61}} {
		if got, w := rgba(p.At(pt.X, pt.Y)), want.RGBAAt(pt.X/4, pt.Y/4); got != w {
			t.Errorf("pixel %v = %v, want source pixel %v = %v", pt, got, image.Pt(pt.X/4, pt.Y/4), w)
		}
	}
	// Large images are not enlarged.
	if p := decodePNG(t, Render(img.New(200, 100))); p.Bounds().Dx() != 200 {
		t.Errorf("200-pixel image shown %v wide", p.Bounds().Dx())
	}
}

func TestTableForms(t *testing.T) {
	tb := NewTable("name", "loss")
	tb.Title = "Runs"
	tb.Add("a|b", 0.123456).Add("long name", float32(2))
	b := tb.Display()
	wantText := "Runs\nname       loss\n---------  ------\na|b        0.1235\nlong name  2\n"
	if got := b.PlainText(); got != wantText {
		t.Errorf("text:\n%q\nwant\n%q", got, wantText)
	}
	wantMD := "**Runs**\n\n| name | loss |\n| --- | --- |\n| a\\|b | 0.1235 |\n| long name | 2 |\n"
	if got := b.Data[display.MIMEMarkdown]; got != wantMD {
		t.Errorf("markdown:\n%q\nwant\n%q", got, wantMD)
	}
	html := b.Data[display.MIMEHTML].(string)
	for _, w := range []string{"<caption>Runs</caption>", "<th>name</th><th>loss</th>", "<td>a|b</td><td>0.1235</td>"} {
		if !strings.Contains(html, w) {
			t.Errorf("HTML lacks %q:\n%s", w, html)
		}
	}
	if tb.String() != wantText {
		t.Errorf("String() = %q", tb.String())
	}
}

func TestHeatmap(t *testing.T) {
	// A 4×4 causal mask with a segment boundary at 2, cells of 10 pixels.
	mask := core.Zeros(4, 4)
	for i := range 4 {
		for j := 0; j <= i; j++ {
			mask.Set(1, i, j)
		}
	}
	b := HeatmapTensor(mask, HeatmapOptions{Boundaries: []int{2}, Cell: 10})
	p := decodePNG(t, b)
	if p.Bounds().Dx() != 40 || p.Bounds().Dy() != 40 {
		t.Fatalf("size %v, want 40×40", p.Bounds())
	}
	cases := []struct {
		x, y int
		want color.RGBA
	}{
		{5, 5, Viridis(1)},   // (0,0) allowed: the top of the scale
		{35, 5, Viridis(0)},  // (0,3) masked: the bottom
		{15, 35, Viridis(1)}, // (3,1)
		{20, 5, boundary},    // the vertical line at column 2
		{5, 20, boundary},    // the horizontal line at row 2
	}
	for _, c := range cases {
		if got := rgba(p.At(c.x, c.y)); got != c.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	if !strings.Contains(b.PlainText(), "Heatmap 4×4") || !strings.Contains(b.PlainText(), "segments start at [2]") {
		t.Errorf("text %q", b.PlainText())
	}
	// Column boundaries draw vertical lines only: a 4-row map (rows are not
	// the columns' tokens) split at column 2, with no line at row 2.
	q := decodePNG(t, HeatmapTensor(mask, HeatmapOptions{ColumnBoundaries: []int{2}, Cell: 10}))
	if got := rgba(q.At(20, 5)); got != boundary {
		t.Errorf("column boundary: pixel (20,5) = %v, want %v", got, boundary)
	}
	if got := rgba(q.At(5, 20)); got != Viridis(1) {
		t.Errorf("column boundaries drew a row line: pixel (5,20) = %v, want %v", got, Viridis(1))
	}
	// Viridis endpoints are matplotlib's.
	if Viridis(0) != (color.RGBA{68, 1, 84, 255}) || Viridis(1) != (color.RGBA{253, 231, 37, 255}) || Viridis(0.5) != (color.RGBA{33, 145, 140, 255}) {
		t.Errorf("viridis: %v %v %v", Viridis(0), Viridis(0.5), Viridis(1))
	}
}

func TestLinePlot(t *testing.T) {
	ys := []float64{4, 3, 2.5, 2, 1.8}
	b := LinePlot(PlotOptions{Title: "loss", W: 300, H: 200}, Series{Name: "train", Y: ys})
	p := decodePNG(t, b)
	if p.Bounds().Dx() != 300 || p.Bounds().Dy() != 200 {
		t.Fatalf("size %v", p.Bounds())
	}
	// The curve's colour appears, and more in the upper-left quarter
	// (high loss early) than in the upper-right.
	count := func(x0, x1, y0, y1 int) int {
		n := 0
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if rgba(p.At(x, y)) == palette[0] {
					n++
				}
			}
		}
		return n
	}
	if ul, ur := count(0, 150, 0, 100), count(150, 300, 0, 100); ul == 0 || ur >= ul {
		t.Errorf("curve pixels: upper-left %d, upper-right %d", ul, ur)
	}
	if want := "loss\ntrain: 5 points, last 1.8, min 1.8"; b.PlainText() != want {
		t.Errorf("text %q, want %q", b.PlainText(), want)
	}
}

func TestNiceStep(t *testing.T) {
	cases := []struct{ raw, want float64 }{
		{0.7, 1}, {1, 1}, {1.3, 2}, {3, 5}, {7, 10}, {0.013, 0.02}, {420, 500},
	}
	for _, c := range cases {
		if got := NiceStep(c.raw); got != c.want {
			t.Errorf("NiceStep(%v) = %v, want %v", c.raw, got, c.want)
		}
	}
	if got := niceTicks(0, 1, 5); len(got) != 6 || got[0] != 0 || got[5] != 1 {
		t.Errorf("niceTicks(0,1,5) = %v", got)
	}
}

type sinkLog struct {
	mu    sync.Mutex
	calls []string
}

func (s *sinkLog) Stream(name, text string) {}
func (s *sinkLog) Display(b display.Bundle, id string, update bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := "new"
	if update {
		u = "update"
	}
	s.calls = append(s.calls, id+" "+u+" "+b.PlainText())
}

func TestLiveDisplay(t *testing.T) {
	var s sinkLog
	l := NewLiveDisplay(&s)
	other := NewLiveDisplay(&s)
	if l.ID() == other.ID() || l.ID() == "" {
		t.Fatalf("ids %q %q", l.ID(), other.ID())
	}
	l.Progress("train", 5, 20)
	l.Progress("train", 20, 20)
	want := []string{
		l.ID() + " new train [#####...............] 5/20",
		l.ID() + " update train [####################] 20/20",
	}
	if strings.Join(s.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant\n%s", strings.Join(s.calls, "\n"), strings.Join(want, "\n"))
	}
}
