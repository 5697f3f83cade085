package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime/pprof"
	"strings"
	"time"

	"xprompt/display"
)

// Interrupting a cell: yaegi's EvalWithContext returns as soon as the
// context is cancelled and tells the running code to stop, but that code
// stops only at its next interpreted step — after the compiled call it may be
// in returns. If another evaluation started before then, it would reset the
// stop signal and the old cell would go on running beside the new one. So
// every evaluation runs under a pprof label naming it, and after an interrupt
// the next evaluation first waits until no goroutine that yaegi started for
// the interrupted one is left (goroutines the cell itself started are not
// waited for).

// evalLabel is the pprof label key of the session's evaluations.
const evalLabel = "xprompt-eval"

// evalFrame is the function of the goroutine in which yaegi runs a source.
const evalFrame = "interp.(*Interpreter).EvalWithContext.func1"

// exec evaluates src with yaegi under ctx, first waiting for an interrupted
// evaluation to stop.
func (s *Session) exec(ctx context.Context, src string) (reflect.Value, error) {
	if err := s.waitInterrupted(ctx); err != nil {
		return reflect.Value{}, err
	}
	s.mu.Lock()
	s.nevals++
	label := fmt.Sprintf("%p-%d", s, s.nevals)
	s.mu.Unlock()
	var v reflect.Value
	var err error
	slots := len(s.globalFrame())
	base := -1
	if fs := s.fileSet(); fs != nil && !strings.Contains(src, "func") {
		base = fs.Base()
	}
	pprof.Do(context.Background(), pprof.Labels(evalLabel, label), func(context.Context) {
		v, err = s.in.EvalWithContext(ctx, src)
	})
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		s.mu.Lock()
		s.stopping = label
		s.mu.Unlock()
	} else {
		s.dropRoots() // the evaluation is over: yaegi's debugger list need not keep it
		s.releaseTemporaries(slots)
		s.pruneScopes()
		if base >= 0 {
			s.dropFiles(base)
		}
	}
	return v, err
}

// run evaluates one chunk's source, clearing the recorded panic frames first.
func (s *Session) run(ctx context.Context, src string) error {
	s.out.takePanics()
	_, err := s.exec(ctx, guardGoStmts(src))
	return err
}

// stillRunningGrace is how long a cell waits for an interrupted one to
// return from a compiled call before it is refused.
const stillRunningGrace = time.Second

// waitInterrupted waits up to stillRunningGrace until the last interrupted
// evaluation has stopped. If it has not, the cell is refused at once with a
// PreviousCellRunning error rather than queued behind it (a compiled call
// cannot be stopped); cancelling ctx abandons the wait.
func (s *Session) waitInterrupted(ctx context.Context) error {
	s.mu.Lock()
	label := s.stopping
	s.mu.Unlock()
	if label == "" {
		return nil
	}
	deadline := time.Now().Add(stillRunningGrace)
	for evalRunning(label) {
		if time.Now().After(deadline) {
			return &display.CellError{
				Name:      "PreviousCellRunning",
				Value:     "the previous cell was interrupted inside a compiled call and is still running; this cell did not run (run it again once that call returns; its output goes to the cell that produced it)",
				Traceback: []string{"PreviousCellRunning: the interrupted cell has not returned from a compiled call yet; this cell did not run"},
			}
		}
		select {
		case <-ctx.Done():
			return interrupted(ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	s.mu.Lock()
	if s.stopping == label {
		s.stopping = ""
	}
	s.mu.Unlock()
	return nil
}

// interruptedRunning reports whether an interrupted evaluation may still run.
func (s *Session) interruptedRunning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping != ""
}

// evalRunning reports whether a goroutine in which yaegi runs the
// evaluation labelled label still exists.
func evalRunning(label string) bool {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return false
	}
	tag := fmt.Sprintf("%q:%q", evalLabel, label)
	for _, rec := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(rec, tag) && strings.Contains(rec, evalFrame) {
			return true
		}
	}
	return false
}
