package session

import (
	"slices"
	"strings"
	"testing"
)

// Completion after a call or index offers the members of its result's type.
func TestCompleteAfterCalls(t *testing.T) {
	s := newSession(t)
	eval(t, s, "x := core.Ones(2, 3)\nts := []*core.Tensor{x}")
	for _, c := range []struct {
		code, want string
		start      int // of the replaced text
	}{
		{"core.Ones(2).Sh", "Shape", 13},
		{"x.Clone().Sh", "Shape", 10},
		{"ops.MatMul(x, core.Ones(3, 1)).Ra", "Rank", 31},
		{"ts[0].Dev", "Device", 6},
		{"(x).Det", "Detach", 4},
	} {
		m, start, end := s.Complete(c.code, len(c.code))
		if !slices.Contains(m, c.want) || start != c.start || end != len(c.code) {
			t.Errorf("Complete(%q) = %v [%d, %d), want %s from %d", c.code, m, start, end, c.want, c.start)
		}
	}
}

// Inspect inside the parentheses of a call documents the called function
// (Shift-Tab after "fmt.Sprintf(").
func TestInspectInsideCall(t *testing.T) {
	s := newSession(t)
	eval(t, s, "x := core.Ones(2, 3)")
	for _, c := range []struct{ code, want string }{
		{"fmt.Sprintf(", "fmt.Sprintf func(string, ...interface {}) string"},
		{`fmt.Sprintf("%d", `, "fmt.Sprintf func(string"},
		{"ops.MatMul(x, ", "func MatMul(a, b *core.Tensor) *core.Tensor"},
		{"x.View(", "func (t *Tensor) View(shape ...int) *Tensor"},
		{"core.Ones(2).View(2, ", "func (t *Tensor) View(shape ...int) *Tensor"},
		{"x.At(1, fmt.Sprint(2), ", "func (t *Tensor) At(idx ...int) float32"},
		{"show(", "var show func(interface {})\n\nValue:\nfunc(any)"},
	} {
		b, ok := s.Inspect(c.code, len(c.code))
		if !ok || !strings.HasPrefix(b.PlainText(), c.want) {
			t.Errorf("Inspect(%q) = %v %q, want prefix %q", c.code, ok, b.PlainText(), c.want)
		}
	}
	if b, ok := s.Inspect("x := (1 + ", 10); ok {
		t.Errorf("Inspect in a parenthesised expression found %q", b.PlainText())
	}
}
