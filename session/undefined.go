package session

import (
	"fmt"
	"go/parser"
	"go/token"
	"go/types"

	"xprompt/display"
)

// yaegi does not always say that a name is undefined: a cell holding only
// "undefinedName" runs without error, "x := undefinedName" reports a
// "constant definition loop" and "undefinedFunc()" can fail inside yaegi's
// compiler with an index error. So statements and the final expression are
// checked first, the way the Go compiler would: every identifier that the
// chunk itself does not declare must be predeclared, a package imported by
// the cells, a variable or constant in the interpreter's scope, or a func or
// type declared by an earlier cell.

// undefinedName returns a CompileError "line L:C: undefined: NAME" for the
// first identifier of the statement or expression chunk c that is defined
// nowhere, or nil. Declaration chunks are left to yaegi, which reports
// their undefined names itself.
func (s *Session) undefinedName(code string, c chunk) error {
	if c.kind == declChunk {
		return nil
	}
	st := c
	st.kind = stmtChunk
	src := "package p;func _(){" + st.source(code) + "\n}"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, 0)
	if err != nil {
		return nil // syntax errors are reported by splitCell
	}
	for _, id := range f.Unresolved {
		if s.known(id.Name) {
			continue
		}
		p := fset.Position(id.Pos())
		msg := fmt.Sprintf("line %d:%d: undefined: %s", max(p.Line-1, 1), p.Column, id.Name)
		if path := s.packageNamed(id.Name); path != "" {
			msg += fmt.Sprintf(" (package not imported? import %q)", path)
		}
		return &display.CellError{Name: "CompileError", Value: msg, Traceback: []string{"CompileError: " + msg}}
	}
	return nil
}

// known reports whether name can be used unqualified in a cell.
func (s *Session) known(name string) bool {
	if name == "_" || name == lastVar || types.Universe.Lookup(name) != nil {
		return true
	}
	if s.defined(name) {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dotImport {
		return true // names of a dot-imported package are not tracked
	}
	_, ok := s.imports[name]
	return ok
}

// packageNamed returns the import path of an importable package called
// name, the shortest path when there are several (then the first in sort
// order: "crypto/rand" before "math/rand"), or "".
func (s *Session) packageNamed(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := ""
	for path, n := range s.pkgNames {
		if n != name || path == boundPath {
			continue
		}
		if best == "" || len(path) < len(best) || len(path) == len(best) && path < best {
			best = path
		}
	}
	return best
}
