package session

import (
	"context"
	"errors"
	"strings"
	"testing"

	"xprompt/display"
)

// "?name", "name?" and "%help NAME" return documentation marked for the
// pager; an unknown name is an error naming it.
func TestHelpForPager(t *testing.T) {
	s := newSession(t)
	for _, c := range []struct{ code, want string }{
		{"?ops.MatMul", "func MatMul(a, b *core.Tensor) *core.Tensor"},
		{"ops.MatMul?", "func MatMul(a, b *core.Tensor) *core.Tensor"},
		{"%time?", "%time STMT"},
		{"%help time", "%time STMT"},
	} {
		b, err := s.Eval(context.Background(), c.code, newRecorder())
		if err != nil || b == nil || !b.IsPage() || !strings.HasPrefix(b.PlainText(), c.want) {
			t.Errorf("cell %q: %v, error %v; want a page starting %q", c.code, b, err, c.want)
		}
	}
	_, err := s.Eval(context.Background(), "nosuch?", newRecorder())
	var ce *display.CellError
	if !errors.As(err, &ce) || ce.Name != "NotFound" || !strings.Contains(ce.Value, "nosuch") {
		t.Errorf("nosuch?: %v", err)
	}
	// %help without a name is a table in the cell's output.
	if b, err := s.Eval(context.Background(), "%help", newRecorder()); err != nil || b == nil || b.IsPage() {
		t.Errorf("%%help: %v, %v; want a result that is not a page", b, err)
	}
}
