package session

import (
	"slices"
	"strings"
	"testing"

	"xprompt/display"
)

func TestComplete(t *testing.T) {
	s := newSession(t)
	eval(t, s, "tensor := core.Ones(2, 3)\ntype pair struct{ Left, Right int }\nvar pr = pair{1, 2}\nfunc squareOf() {}")
	cases := []struct {
		code      string
		want      []string // all must be among the matches
		wantExact []string // when set, the matches exactly
		start     int      // expected start of the replaced range
	}{
		{code: "ops.MatM", wantExact: []string{"MatMul", "MatMulT"}, start: 4},
		{code: "x := core.On", wantExact: []string{"Ones"}, start: 10},
		{code: "tensor.Sh", wantExact: []string{"Shape"}, start: 7},
		{code: "tensor.D", want: []string{"Detach", "Device", "Dim", "Dims"}, start: 7},
		{code: "pr.Le", wantExact: []string{"Left"}, start: 3},
		{code: "tens", wantExact: []string{"tensor"}, start: 0},
		{code: "squar", wantExact: []string{"squareOf"}, start: 0},
		{code: "fmt.Sprin", wantExact: []string{"Sprint", "Sprintf", "Sprintln"}, start: 4},
		{code: "%ti", wantExact: []string{"time"}, start: 1},
		{code: "%", want: []string{"device", "help", "time", "who"}, start: 1},
		{code: "fu", want: []string{"func"}, start: 0},
		{code: "img.Image{}.", want: nil, start: 12},
	}
	for _, c := range cases {
		m, start, end := s.Complete(c.code, len(c.code))
		if start != c.start || end != len(c.code) {
			t.Errorf("Complete(%q): range [%d,%d), want [%d,%d)", c.code, start, end, c.start, len(c.code))
		}
		if c.wantExact != nil && !slices.Equal(m, c.wantExact) {
			t.Errorf("Complete(%q) = %v, want %v", c.code, m, c.wantExact)
		}
		for _, w := range c.want {
			if !slices.Contains(m, w) {
				t.Errorf("Complete(%q) = %v, lacks %q", c.code, m, w)
			}
		}
	}
	// The cursor may sit inside the code: only the text before it counts.
	code := "y := ops.Sof + 1"
	if m, start, end := s.Complete(code, strings.Index(code, " +")); !slices.Equal(m, []string{"Softmax"}) || start != 9 || end != 12 {
		t.Errorf("mid-line completion: %v [%d,%d)", m, start, end)
	}
}

func TestInspect(t *testing.T) {
	s := newSession(t)
	eval(t, s, "tensor := core.Ones(2, 3)")
	cases := []struct {
		code   string
		cursor int // -1: end of code
		want   []string
	}{
		{"ops.MatMul", -1, []string{"func MatMul(a, b *core.Tensor) *core.Tensor", "MatMul"}},
		{"x := ops.MatMul(a, b)", 12, []string{"func MatMul("}},
		{"tensor.Shape", -1, []string{"func (t *Tensor) Shape() []int", "Shape returns a copy"}},
		{"tensor", -1, []string{"var tensor *core.Tensor", "Tensor is an n-dimensional", "[2 3]"}},
		{"core.Tensor", -1, []string{"type Tensor struct", "Tensor is an n-dimensional"}},
		{"strings.ToUpper", -1, []string{"strings.ToUpper func(string) string"}},
		{"%time", -1, []string{"%time STMT", "wall-clock"}},
		{"core", -1, []string{"package core", "Package core holds"}},
	}
	for _, c := range cases {
		cur := c.cursor
		if cur < 0 {
			cur = len(c.code)
		}
		b, ok := s.Inspect(c.code, cur)
		if !ok {
			t.Errorf("Inspect(%q, %d) found nothing", c.code, cur)
			continue
		}
		text := b.PlainText()
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("Inspect(%q): %q lacks %q", c.code, text, w)
			}
		}
		if _, ok := b.Data[display.MIMEMarkdown]; !ok {
			t.Errorf("Inspect(%q): no Markdown", c.code)
		}
	}
	if _, ok := s.Inspect("nothingHere", 11); ok {
		t.Error("Inspect of an unknown name found something")
	}
}

func TestIsComplete(t *testing.T) {
	s := newSession(t)
	cases := []struct {
		code, status, indent string
	}{
		{"x := 1", display.Complete, ""},
		{"", display.Complete, ""},
		{"func f() {", display.Incomplete, "    "},
		{"for i := 0; i < 3; i++ {\n\tif i > 1 {", display.Incomplete, "        "},
		{"x := f(1,", display.Incomplete, "    "},
		{"x := 1 +", display.Incomplete, "    "},
		{"s := `raw\nstring", display.Incomplete, ""},
		{"/* a comment", display.Incomplete, ""},
		{"func f() {\n}", display.Complete, ""},
		{"x := 1)", display.Invalid, ""},
		{"}", display.Invalid, ""},
		{"x := 1 1", display.Invalid, ""},
		{`s := "unterminated`, display.Invalid, ""},
		{"%help", display.Complete, ""},
		{"%time for {", display.Incomplete, "    "},
		{"%load default", display.Complete, ""},
		{"%prompt derain --examples 2", display.Complete, ""},
	}
	for _, c := range cases {
		st, ind := s.IsComplete(c.code)
		if st != c.status || ind != c.indent {
			t.Errorf("IsComplete(%q) = %q, %q; want %q, %q", c.code, st, ind, c.status, c.indent)
		}
	}
}
