package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"xprompt/display"
)

// A cell of "!" lines runs shell commands with their output streamed into
// the cell; a failing command is a ShellError naming it; an interrupt stops
// a running command (and its children) at once.
func TestShellCommands(t *testing.T) {
	s := newSession(t)
	rec := newRecorder()
	if _, err := s.Eval(context.Background(), "!echo one; echo two >&2\n!echo three", rec); err != nil {
		t.Fatal(err)
	}
	if rec.text("stdout") != "one\nthree\n" || rec.text("stderr") != "two\n" {
		t.Errorf("stdout %q, stderr %q", rec.text("stdout"), rec.text("stderr"))
	}
	rec = newRecorder()
	_, err := s.Eval(context.Background(), "!exit 3\n!echo not reached", rec)
	var ce *display.CellError
	if !errors.As(err, &ce) || ce.Name != "ShellError" || ce.Value != "!exit 3: exit status 3" || rec.text("stdout") != "" {
		t.Errorf("failing command: %v, output %q", err, rec.text("stdout"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err = s.Eval(ctx, "!echo started; sleep 30 | cat", newRecorder())
	if !errors.As(err, &ce) || ce.Name != "Interrupted" || time.Since(start) > 5*time.Second {
		t.Errorf("interrupted command: %v after %v", err, time.Since(start))
	}
	// Go code still runs, and "!" inside it is Go's not.
	if got, _ := eval(t, s, "ok := false\n!ok"); got != "true" {
		t.Errorf("!ok after a statement = %q", got)
	}
}

// SVG and Markdown bundles keep their MIME types and a text fallback.
func TestSVGAndMarkdownResults(t *testing.T) {
	s := newSession(t)
	b, err := s.Eval(context.Background(), `display.SVG("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")`, newRecorder())
	if err != nil || b == nil || b.Data[display.MIMESVG] == nil || b.PlainText() == "" {
		t.Errorf("SVG: %+v, %v", b, err)
	}
	b, err = s.Eval(context.Background(), `display.Markdown("# Title")`, newRecorder())
	if err != nil || b == nil || b.Data[display.MIMEMarkdown] != "# Title" {
		t.Errorf("Markdown: %+v, %v", b, err)
	}
	if !strings.Contains(b.PlainText(), "Title") {
		t.Errorf("Markdown text %q", b.PlainText())
	}
}
