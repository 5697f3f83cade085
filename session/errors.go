package session

import (
	"context"
	"errors"
	"fmt"
	"go/scanner"
	"regexp"
	"strconv"
	"strings"

	"github.com/traefik/yaegi/interp"

	"xprompt/display"
)

// yaegiPos matches the position that starts yaegi's compile errors:
// "_.go:3:5: " or "3:5: ".
var yaegiPos = regexp.MustCompile(`^(?:\S+\.go:)?(\d+):(\d+): `)

// compilePanic matches the prefix of the panics yaegi raises while it
// compiles a chunk.
var compilePanic = regexp.MustCompile(`CFG post-order panic: (?:\d+:\d+: )?`)

// cellLine converts a line reported by yaegi for a chunk placed by
// chunk.source into the cell's line.
func cellLine(s string) int {
	n, _ := strconv.Atoi(s)
	return max(n-1, 1)
}

// fixPos rewrites a leading yaegi position into "line L:C: ", the cell's
// position before the insertions ins of lineMarks.
func fixPos(msg string, ins []insertion) string {
	m := yaegiPos.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	l := cellLine(msg[m[2]:m[3]])
	col, _ := strconv.Atoi(msg[m[4]:m[5]])
	return fmt.Sprintf("line %d:%d: %s", l, cellColumn(ins, l, col), msg[m[1]:])
}

// running is the chunk that the session runs: its kind and first line, and
// the insertions of lineMarks in its source.
type running struct {
	kind  chunkKind
	line  int
	marks []insertion
}

// panicLine returns the cell line at which the running chunk panicked: the
// line recorded by its line marks, or the chunk's first line.
func (s *Session) panicCellLine(r running) int {
	if r.kind == stmtChunk && len(r.marks) > 0 {
		if v, ok := s.globals()[lineVar]; ok && v.IsValid() && v.CanInt() && v.Int() > 0 {
			return int(v.Int())
		}
	}
	return max(r.line, 1)
}

// interrupted is the error of a cell stopped through its context.
func interrupted(err error) *display.CellError {
	msg := "the cell was interrupted"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "the cell ran past its deadline"
	}
	return &display.CellError{Name: "Interrupted", Value: msg, Traceback: []string{"Interrupted: " + msg}}
}

// cellError converts an error of yaegi into a CellError:
//
//   - a panic (interp.Panic) while the code ran → "panic", with the value's
//     message and a traceback of the interpreted functions it unwound,
//     innermost first; one before anything ran is yaegi failing to compile
//     → "CompileError";
//   - a cancelled context → "Interrupted";
//   - a parse error → "SyntaxError"; any other → "CompileError".
func (s *Session) cellError(ctx context.Context, err error, r running) error {
	var p interp.Panic
	frames := s.out.peekPanics()
	switch {
	case errors.As(err, &p) && len(frames) == 0:
		// A panic before anything ran: yaegi failed to compile the chunk.
		msg := fixPos(compilePanic.ReplaceAllString(fmt.Sprint(p.Value), ""), r.marks)
		if strings.Contains(msg, "incomplete type") || strings.Contains(msg, "undefined") {
			msg += " (is a name undefined, or a package not imported?)"
		}
		return &display.CellError{Name: "CompileError", Value: msg, Traceback: []string{"CompileError: " + msg}}
	case errors.As(err, &p):
		msg := fmt.Sprint(p.Value)
		if e, ok := p.Value.(error); ok {
			msg = e.Error()
		}
		if m := yaegiPos.FindStringIndex(msg); m != nil {
			msg = msg[m[1]:] // "interface conversion: …" at the position of the assertion
		}
		msg = runtimeMessage(msg)
		ce := &display.CellError{Name: "panic", Value: msg, Traceback: []string{"panic: " + msg}}
		for _, l := range s.out.takePanics() {
			m := panicLine.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			if fn := m[3]; fn != "main" && fn != "" {
				ce.Traceback = append(ce.Traceback, fmt.Sprintf("    in %s, line %d", trimMain(fn), cellLine(m[1])))
				continue
			}
			ce.Traceback = append(ce.Traceback, fmt.Sprintf("    in the cell, line %d", s.panicCellLine(r)))
		}
		return ce
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return interrupted(err)
	}
	var el scanner.ErrorList
	if errors.As(err, &el) && len(el) > 0 {
		for _, e := range el {
			e.Pos.Line = max(e.Pos.Line-1, 1)
		}
		return syntaxError(el)
	}
	msg := s.compilerMessage(fixPos(err.Error(), r.marks))
	if strings.HasSuffix(msg, "definition loop") {
		// yaegi's message for a name it cannot resolve in a declaration.
		msg += " (is a name undefined, or a package not imported?)"
	}
	return &display.CellError{Name: "CompileError", Value: msg, Traceback: []string{"CompileError: " + msg}}
}

func trimMain(fn string) string {
	const p = "main."
	if len(fn) > len(p) && fn[:len(p)] == p {
		return fn[len(p):]
	}
	return fn
}

// yaegi's messages for a package member that does not exist.
var (
	noSymbol       = regexp.MustCompile(`package (\w+) "[^"]*" has no symbol (\w+)$`)
	undefinedInPkg = regexp.MustCompile(`undefined selector ([\w./-]+)\.(\w+)$`)
)

// compilerMessage rewrites yaegi's messages for a missing package member
// as the Go compiler's "undefined: pkg.Name".
func (s *Session) compilerMessage(msg string) string {
	if m := noSymbol.FindStringSubmatchIndex(msg); m != nil {
		return msg[:m[0]] + "undefined: " + msg[m[2]:m[3]] + "." + msg[m[4]:m[5]]
	}
	if m := undefinedInPkg.FindStringSubmatchIndex(msg); m != nil {
		path := msg[m[2]:m[3]]
		s.mu.Lock()
		name, ok := s.pkgNames[path]
		s.mu.Unlock()
		if ok {
			return msg[:m[0]] + "undefined: " + name + "." + msg[m[4]:m[5]]
		}
	}
	return msg
}
