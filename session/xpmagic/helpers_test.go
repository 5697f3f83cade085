package xpmagic

// The cell helpers of package session's tests, for the magics' tests.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"xprompt/display"
	"xprompt/session"
)

// recorder is a Sink that keeps everything.
type recorder struct {
	mu       sync.Mutex
	streams  map[string]*strings.Builder
	displays []shown
}

type shown struct {
	b      display.Bundle
	id     string
	update bool
}

func newRecorder() *recorder { return &recorder{streams: map[string]*strings.Builder{}} }

func (r *recorder) Stream(name, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.streams[name] == nil {
		r.streams[name] = &strings.Builder{}
	}
	r.streams[name].WriteString(text)
}

func (r *recorder) Display(b display.Bundle, id string, update bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.displays = append(r.displays, shown{b, id, update})
}

func (r *recorder) text(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.streams[name] == nil {
		return ""
	}
	return r.streams[name].String()
}

func newSession(t *testing.T) *session.Session {
	t.Helper()
	s, err := session.New(session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// eval runs a cell that must succeed and returns its value's text ("" for
// no value) and the sink.
func eval(t *testing.T, s *session.Session, code string) (string, *recorder) {
	t.Helper()
	rec := newRecorder()
	b, err := s.Eval(context.Background(), code, rec)
	if err != nil {
		t.Fatalf("cell %q: %v", code, err)
	}
	if b == nil {
		return "", rec
	}
	return b.PlainText(), rec
}

// evalErr runs a cell that must fail and returns its CellError.
func evalErr(t *testing.T, s *session.Session, code string) *display.CellError {
	t.Helper()
	b, err := s.Eval(context.Background(), code, newRecorder())
	var ce *display.CellError
	if !errors.As(err, &ce) {
		t.Fatalf("cell %q: want a *display.CellError, got value %v, error %v (%T)", code, b, err, err)
	}
	if len(ce.Traceback) == 0 {
		t.Errorf("cell %q: empty traceback", code)
	}
	return ce
}
