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

// fixPos rewrites a leading yaegi position into "line L:C: ".
func fixPos(msg string) string {
	m := yaegiPos.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	return fmt.Sprintf("line %d:%s: %s", cellLine(msg[m[2]:m[3]]), msg[m[4]:m[5]], msg[m[1]:])
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
func (s *Session) cellError(ctx context.Context, err error) error {
	var p interp.Panic
	frames := s.out.peekPanics()
	switch {
	case errors.As(err, &p) && len(frames) == 0:
		// A panic before anything ran: yaegi failed to compile the chunk.
		msg := fixPos(compilePanic.ReplaceAllString(fmt.Sprint(p.Value), ""))
		if strings.Contains(msg, "incomplete type") || strings.Contains(msg, "undefined") {
			msg += " (is a name undefined, or a package not imported?)"
		}
		return &display.CellError{Name: "CompileError", Value: msg, Traceback: []string{"CompileError: " + msg}}
	case errors.As(err, &p):
		msg := fmt.Sprint(p.Value)
		if e, ok := p.Value.(error); ok {
			msg = e.Error()
		}
		ce := &display.CellError{Name: "panic", Value: msg, Traceback: []string{"panic: " + msg}}
		for _, l := range s.out.takePanics() {
			m := panicLine.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			where := "in the cell"
			if fn := m[3]; fn != "main" && fn != "" {
				where = "in " + trimMain(fn)
			}
			ce.Traceback = append(ce.Traceback, fmt.Sprintf("    %s, line %d", where, cellLine(m[1])))
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
	msg := fixPos(err.Error())
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
