package session

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Goroutines started by cells: a panic in a goroutine is not covered by the
// recover of the cell that started it, and an unrecovered panic ends the
// process (the kernel or the REPL with every variable in it). So every go
// statement of a cell is rewritten, before yaegi reads it:
//
//	go f(a, b)      →  _xpGoCall(f, a, b)
//	go f(a, bs...)  →  _xpGoCallSlice(f, a, bs)
//
// _xpGoCall is compiled: it starts the goroutine itself, calls f through
// reflection under a recover, and reports a panic on the cell that started
// it. The function value and arguments are evaluated where the go statement
// is, as Go does; untyped constants are converted to the parameter types.
// The rewrite adds no func literal: yaegi copies the whole frame of the
// enclosing scope into every func literal it evaluates, and at the top level
// of a cell that is the global frame, kept for good (one go func literal a
// cell made the kernel grow quadratically). Builtins, which have no function
// value, are wrapped in a literal. The rewrite adds no line breaks, so
// positions in error messages keep their lines.

// goRecord is the panic of a goroutine started by cell Cell.
type goRecord struct {
	cell  int
	value string
}

// goPanics keeps the goroutine panics not yet reported.
type goPanics struct {
	mu      sync.Mutex
	pending []goRecord
	dropped int
}

// maxPendingGoPanics bounds the panics kept between cells.
const maxPendingGoPanics = 32

// goPanicked is bound as _xpGoPanic: it reports r, when not nil, on the
// stderr of cell if that cell is running, else keeps it for the next cell.
func (s *Session) goPanicked(cell int, r any) {
	if r == nil {
		return
	}
	rec := goRecord{cell: cell, value: fmt.Sprint(r)}
	s.mu.Lock()
	running := s.cellRunning == cell
	s.mu.Unlock()
	if running {
		s.out.Stream("stderr", rec.message(true))
		return
	}
	g := &s.goPanics
	g.mu.Lock()
	if len(g.pending) < maxPendingGoPanics {
		g.pending = append(g.pending, rec)
	} else {
		g.dropped++
	}
	g.mu.Unlock()
}

// message is the stderr text of a goroutine panic.
func (r goRecord) message(here bool) string {
	if here {
		return fmt.Sprintf("panic in a goroutine started by this cell (recovered): %s\n", r.value)
	}
	return fmt.Sprintf("panic in a goroutine started by cell %d (recovered, reported late): %s\n", r.cell, r.value)
}

// reportGoPanics writes the kept goroutine panics to the running cell's
// stderr.
func (s *Session) reportGoPanics() {
	g := &s.goPanics
	g.mu.Lock()
	pending, dropped := g.pending, g.dropped
	g.pending, g.dropped = nil, 0
	g.mu.Unlock()
	for _, r := range pending {
		s.out.Stream("stderr", r.message(false))
	}
	if dropped > 0 {
		s.out.Stream("stderr", fmt.Sprintf("(%d more goroutine panics not shown)\n", dropped))
	}
}

// currentCell is bound as _xpCell: the number of the running cell.
func (s *Session) currentCell() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cellRunning
}

// guardGoStmts rewrites the go statements of a chunk's source (see above).
// src is returned unchanged when it has none or does not parse.
func guardGoStmts(src string) string {
	if !strings.Contains(src, "go") {
		return src
	}
	var file *ast.File
	var off int
	for _, wrap := range [][2]string{{"package p;", ""}, {"package p;func _(){", "\n}"}} {
		f, err := parser.ParseFile(token.NewFileSet(), "", wrap[0]+src+wrap[1], parser.SkipObjectResolution)
		if err == nil {
			file, off = f, len(wrap[0])
			break
		}
	}
	if file == nil {
		return src
	}
	var stmts []*ast.GoStmt
	ast.Inspect(file, func(n ast.Node) bool {
		if g, ok := n.(*ast.GoStmt); ok {
			stmts = append(stmts, g)
		}
		return true
	})
	if len(stmts) == 0 {
		return src
	}
	sort.Slice(stmts, func(i, j int) bool { return stmts[i].Pos() < stmts[j].Pos() })
	r := goRewriter{src: src, off: off + 1, stmts: stmts}
	return r.text(0, len(src))
}

// goRewriter splices rewritten go statements into src; positions of the
// parsed file are offsets in src plus off.
type goRewriter struct {
	src   string
	off   int
	stmts []*ast.GoStmt
}

func (r *goRewriter) at(p token.Pos) int { return int(p) - r.off }

// text returns src[start:end] with the outermost go statements in it
// rewritten (and those nested in them, recursively).
func (r *goRewriter) text(start, end int) string {
	var b strings.Builder
	pos := start
	for _, g := range r.stmts {
		gs, ge := r.at(g.Pos()), r.at(g.End())
		if gs < pos || ge > end {
			continue // outside, or nested in one already rewritten
		}
		b.WriteString(r.src[pos:gs])
		rw := r.rewrite(g)
		b.WriteString(rw)
		// Keep the line count: a go statement over several lines
		// ends with its line breaks.
		b.WriteString(strings.Repeat("\n", max(0, strings.Count(r.src[gs:ge], "\n")-strings.Count(rw, "\n"))))
		pos = ge
	}
	b.WriteString(r.src[pos:end])
	return b.String()
}

// rewrite returns the guarded form of one go statement.
func (r *goRewriter) rewrite(g *ast.GoStmt) string {
	call := g.Call
	fun := r.text(r.at(call.Fun.Pos()), r.at(call.Fun.End()))
	args := make([]string, len(call.Args))
	for i, a := range call.Args {
		args[i] = r.text(r.at(a.Pos()), r.at(a.End()))
	}
	if id, ok := call.Fun.(*ast.Ident); ok && builtinFuncs[id.Name] {
		// No function value: a literal (rare) around the builtin's call.
		dots := ""
		if call.Ellipsis.IsValid() {
			dots = "..."
		}
		return fmt.Sprintf("_xpGoCall(func() { %s(%s%s) })", fun, strings.Join(args, ", "), dots)
	}
	helper := "_xpGoCall"
	if call.Ellipsis.IsValid() {
		helper = "_xpGoCallSlice"
	}
	return fmt.Sprintf("%s(%s)", helper, strings.Join(append([]string{fun}, args...), ", "))
}

// goCall is bound as _xpGoCall: it calls fn(args...) in a new goroutine
// under a recover, converting each argument to its parameter's type where
// Go would have (untyped constants).
func (s *Session) goCall(fn any, args ...any) { s.startGo(fn, args, false) }

// goCallSlice is bound as _xpGoCallSlice: as goCall, the last argument
// being the variadic slice (f(a, bs...)).
func (s *Session) goCallSlice(fn any, args ...any) { s.startGo(fn, args, true) }

func (s *Session) startGo(fn any, args []any, slice bool) {
	cell := s.currentCell()
	f := reflect.ValueOf(fn)
	if f.Kind() != reflect.Func {
		panic(fmt.Sprintf("go: %T is not a function", fn))
	}
	t := f.Type()
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		var want reflect.Type
		switch {
		case t.IsVariadic() && i >= t.NumIn()-1 && !slice:
			want = t.In(t.NumIn() - 1).Elem()
		case i < t.NumIn():
			want = t.In(i)
		default:
			panic(fmt.Sprintf("go: too many arguments in call to %v", t))
		}
		in[i] = argValue(a, want)
	}
	go func() {
		defer func() { s.goPanicked(cell, recover()) }()
		if slice {
			f.CallSlice(in)
		} else {
			f.Call(in)
		}
	}()
}

// argValue returns a as a value of type want: converted when Go would have
// converted an untyped constant, the zero value for nil.
func argValue(a any, want reflect.Type) reflect.Value {
	if a == nil {
		return reflect.Zero(want)
	}
	v := reflect.ValueOf(a)
	if v.Type().AssignableTo(want) {
		return v
	}
	if v.CanConvert(want) && isNumeric(v.Kind()) == isNumeric(want.Kind()) {
		return v.Convert(want)
	}
	return v // Call reports the mismatch
}

func isNumeric(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Complex128
}

// builtinFuncs are the builtins that can be the function of a go statement
// (they have no function value to capture).
var builtinFuncs = map[string]bool{
	"append": true, "cap": true, "clear": true, "close": true, "complex": true, "copy": true,
	"delete": true, "imag": true, "len": true, "make": true, "max": true, "min": true, "new": true,
	"panic": true, "print": true, "println": true, "real": true, "recover": true,
}
