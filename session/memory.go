package session

import (
	"reflect"
	"unsafe"

	"github.com/traefik/yaegi/interp"
)

// Memory per cell. yaegi v0.16.1 appends the AST root of every evaluation
// to Interpreter.roots, which only its debugger reads, so every cell's
// parsed and compiled nodes stay reachable forever (about 4–9 KB a short
// cell: 10,000 cells through the kernel grew its RSS by 180 MB). What a cell
// defines stays reachable through the interpreter's scopes and frame; the
// list itself is dropped after each evaluation that finished.
//
// Not fixed here: yaegi evaluates a func literal by copying the frame of
// its scope, and at the top level of a cell that is the global frame, whose
// copy stays in a global slot for good. A cell such as
// "go func() { … }()" therefore keeps O(cells so far) bytes, and memory
// grows quadratically with such cells (about 10 KB a cell after 800 cells).
// Func literals inside declared functions do not have this cost; the rewrite
// of go statements (goroutines.go) adds none.

// rootsField is the index of Interpreter.roots, or -1 when this yaegi has no
// such field of the expected type (the trim is then skipped; the
// staleness of this hack is caught by TestMemoryPerCellBounded).
var rootsField = func() int {
	f, ok := reflect.TypeFor[interpreterLayout]().FieldByName("roots")
	if !ok {
		return -1
	}
	return f.Index[0]
}()

// interpreterLayout is the type whose roots field is trimmed.
type interpreterLayout = interp.Interpreter

// dropRoots empties the interpreter's list of evaluation roots.
func (s *Session) dropRoots() {
	if rootsField < 0 {
		return
	}
	f := reflect.ValueOf(s.in).Elem().Field(rootsField)
	if f.Kind() != reflect.Slice {
		return
	}
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().SetZero()
}
