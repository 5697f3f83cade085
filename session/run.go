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
	pprof.Do(context.Background(), pprof.Labels(evalLabel, label), func(context.Context) {
		v, err = s.in.EvalWithContext(ctx, src)
	})
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		s.mu.Lock()
		s.stopping = label
		s.mu.Unlock()
	}
	return v, err
}

// run evaluates one chunk's source, clearing the recorded panic frames first.
func (s *Session) run(ctx context.Context, src string) error {
	s.out.takePanics()
	_, err := s.exec(ctx, guardGoStmts(src))
	return err
}

// waitInterrupted waits until the last interrupted evaluation has stopped.
// After a second it says so on the running cell's stderr. Cancelling ctx
// abandons the wait (the next evaluation waits again).
func (s *Session) waitInterrupted(ctx context.Context) error {
	s.mu.Lock()
	label := s.stopping
	s.mu.Unlock()
	if label == "" {
		return nil
	}
	start := time.Now()
	told := false
	for evalRunning(label) {
		if !told && time.Since(start) > time.Second {
			s.out.Stream("stderr", "waiting for the interrupted cell to return from a compiled call…\n")
			told = true
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
