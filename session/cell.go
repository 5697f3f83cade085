package session

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"reflect"
	"strconv"
	"strings"

	"github.com/traefik/yaegi/interp"

	"xprompt/display"
)

// A cell is split at its top-level semicolons (explicit, or inserted at line
// ends) into items; consecutive declarations form one chunk and consecutive
// statements another, because yaegi reads a source either as a file of
// declarations or as the statements of a function body, not a mix. var and
// const count as statements: yaegi makes them globals either way, but a
// file-level var cannot refer to a variable made by ":=" ("variable
// definition loop"). A final expression is evaluated on its own so that its
// value can be kept.

// chunkKind tells how a chunk is read.
type chunkKind int

const (
	declChunk chunkKind = iota // import, func, type
	stmtChunk                  // statements, var, const
	exprChunk                  // the cell's final expression
)

// chunk is a run of items of one kind: the bytes [start, end) of the cell,
// starting at line and column (1-based).
type chunk struct {
	kind         chunkKind
	start, end   int
	line, column int
}

// lastVar is the interpreter variable that receives the final expression.
const lastVar = "_xpLast"

// boxedVar receives the final expression when yaegi cannot define lastVar
// from it (boxedSource).
const boxedVar = "_xpBoxed"

// splitCell splits code into chunks. It returns a *display.CellError
// (SyntaxError) when a chunk does not parse, naming the cell's line and column.
func splitCell(code string) ([]chunk, error) {
	fset := token.NewFileSet()
	file := fset.AddFile("cell", -1, len(code))
	var errs scanner.ErrorList
	var sc scanner.Scanner
	sc.Init(file, []byte(code), func(pos token.Position, msg string) { errs.Add(pos, msg) }, 0)

	type item struct {
		kind       chunkKind
		start, end int
	}
	var items []item
	depth := 0
	cur := item{start: -1}
	var toks []token.Token // the first tokens of the current item, to classify it
	flush := func() {
		if cur.start >= 0 {
			cur.kind = classify(toks)
			items = append(items, cur)
		}
		cur, toks = item{start: -1}, toks[:0]
	}
	for {
		pos, tok, lit := sc.Scan()
		if tok == token.EOF {
			break
		}
		off := file.Offset(pos)
		switch tok {
		case token.LPAREN, token.LBRACE, token.LBRACK:
			depth++
		case token.RPAREN, token.RBRACE, token.RBRACK:
			depth--
		}
		if tok == token.SEMICOLON && depth == 0 {
			flush()
			continue
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue // inserted inside brackets (an error the parser reports)
		}
		if cur.start < 0 {
			cur.start = off
		}
		if len(toks) < 64 {
			toks = append(toks, tok)
		}
		n := len(lit)
		if n == 0 {
			n = len(tok.String())
		}
		cur.end = min(off+n, len(code))
	}
	flush()
	if len(errs) > 0 {
		return nil, syntaxError(errs)
	}
	// A final expression statement becomes its own chunk.
	if k := len(items); k > 0 && items[k-1].kind == stmtChunk {
		last := code[items[k-1].start:items[k-1].end]
		if _, err := parser.ParseExpr(last); err == nil {
			items[k-1].kind = exprChunk
		}
	}
	var chunks []chunk
	for _, it := range items {
		if n := len(chunks); n > 0 && chunks[n-1].kind == it.kind && it.kind != exprChunk {
			chunks[n-1].end = it.end
			continue
		}
		p := file.Position(file.Pos(it.start))
		chunks = append(chunks, chunk{kind: it.kind, start: it.start, end: it.end, line: p.Line, column: p.Column})
	}
	for _, c := range chunks {
		if err := checkSyntax(code, c); err != nil {
			return nil, err
		}
	}
	return chunks, nil
}

// classify tells a declaration from a statement by its first tokens. "func"
// starts a declaration when a name follows, or a receiver and then a name and
// "(" (a method); otherwise it is a function literal in a statement.
func classify(toks []token.Token) chunkKind {
	if len(toks) == 0 {
		return stmtChunk
	}
	switch toks[0] {
	case token.IMPORT, token.TYPE:
		return declChunk
	case token.FUNC:
		if len(toks) > 1 && toks[1] == token.IDENT {
			return declChunk
		}
		if len(toks) > 1 && toks[1] == token.LPAREN {
			d := 0
			for i := 1; i < len(toks); i++ {
				switch toks[i] {
				case token.LPAREN:
					d++
				case token.RPAREN:
					d--
				}
				if d == 0 {
					if i+2 < len(toks) && toks[i+1] == token.IDENT && toks[i+2] == token.LPAREN {
						return declChunk
					}
					return stmtChunk
				}
			}
		}
	}
	return stmtChunk
}

// source returns the chunk's text placed so that, read by yaegi (or by
// checkSyntax after a one-line header), its positions are the cell's
// positions plus one line: line L of the cell is reported as L+1. A
// statement chunk starts with "_ = 0;" on that first line, so that yaegi
// reads one that begins with var or const as statements; the final
// expression is assigned to lastVar.
func (c chunk) source(code string) string { return c.sourceOf(code[c.start:c.end]) }

// boxedSource is the source of an expression chunk that assigns its value
// to lastVar through a function literal, as an interface value.
func (c chunk) boxedSource(code string) string {
	return strings.Repeat("\n", c.line-1) + boxedVar + " := func() (v any) { v =\n" +
		strings.Repeat(" ", c.column-1) + code[c.start:c.end] + "\nreturn }()"
}

// sourceOf is source with the chunk's text replaced by text.
func (c chunk) sourceOf(text string) string {
	pad := strings.Repeat(" ", c.column-1)
	switch c.kind {
	case exprChunk:
		return strings.Repeat("\n", c.line-1) + lastVar + " :=\n" + pad + text
	case stmtChunk:
		return "_ = 0;" + strings.Repeat("\n", c.line) + pad + text
	}
	return strings.Repeat("\n", c.line) + pad + text
}

// checkSyntax parses one chunk with go/parser and reports the first error at
// its position in the cell.
func checkSyntax(code string, c chunk) error {
	var src string
	switch c.kind {
	case declChunk:
		src = "package p;" + c.source(code)
	default:
		st := c
		st.kind = stmtChunk
		src = "package p;func _(){" + st.source(code) + "\n}"
	}
	_, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
	if el, ok := err.(scanner.ErrorList); ok && len(el) > 0 {
		for _, e := range el {
			e.Pos.Line--
		}
		return syntaxError(el)
	}
	return nil
}

// syntaxError turns parse errors into a SyntaxError cell error: the first
// message in Value, up to ten in the traceback.
func syntaxError(el scanner.ErrorList) *display.CellError {
	el.Sort()
	msg := func(e *scanner.Error) string {
		return "line " + strconv.Itoa(e.Pos.Line) + ":" + strconv.Itoa(e.Pos.Column) + ": " + e.Msg
	}
	ce := &display.CellError{Name: "SyntaxError", Value: msg(el[0])}
	for i, e := range el {
		if i == 10 {
			break
		}
		ce.Traceback = append(ce.Traceback, "SyntaxError: "+msg(e))
	}
	return ce
}

// evalGo runs a cell of Go chunk by chunk and returns the rendered value of
// a final expression, if it has exactly one value.
func (s *Session) evalGo(ctx context.Context, code string) (*display.Bundle, error) {
	chunks, err := splitCell(code)
	if err != nil {
		return nil, err
	}
	var result *display.Bundle
	for _, c := range chunks {
		if err := ctx.Err(); err != nil {
			return nil, interrupted(err)
		}
		if err := s.undefinedName(code, c); err != nil {
			return nil, err
		}
		if c.kind == exprChunk {
			b, err := s.evalExpr(ctx, code, c)
			if err != nil {
				return nil, err
			}
			result = b
			continue
		}
		r := running{kind: c.kind, line: c.line}
		var src string
		if c.kind == declChunk {
			kept, err := s.dropRepeatedImports(code, c)
			if err != nil {
				return nil, err
			}
			if blankText(kept[c.start:c.end]) {
				continue // only imports already in scope
			}
			src = c.source(kept)
		} else {
			var text string
			text, r.marks = lineMarks(code[c.start:c.end], c.line, c.column)
			src = c.sourceOf(text)
		}
		if err := s.run(ctx, src); err != nil {
			return nil, s.cellError(ctx, err, r)
		}
		s.record(code[c.start:c.end], c.kind)
	}
	return result, nil
}

// evalExpr evaluates the final expression E of a cell and renders its value.
// When E is a call whose function is a plain name or selector ("f",
// "pkg.F", "v.Method"), the function is looked up first and E runs as a
// statement unless it has exactly one result. Otherwise "_xpLast := E" runs:
// yaegi rejects it before running anything when E is nil, a builtin without
// a value or the like (then E runs as a statement), and panics only after E
// ran when E has no value (then there is nothing to show).
func (s *Session) evalExpr(ctx context.Context, code string, c chunk) (*display.Bundle, error) {
	stmt := c
	stmt.kind = stmtChunk
	if n, ok := s.resultCount(ctx, code[c.start:c.end]); ok && n != 1 {
		if err := s.run(ctx, stmt.source(code)); err != nil {
			return nil, s.cellError(ctx, err, running{kind: exprChunk, line: c.line})
		}
		return nil, nil
	}
	result := lastVar
	err := s.run(ctx, c.source(code))
	if err != nil {
		var p interp.Panic
		frames := s.out.peekPanics()
		switch {
		case errors.As(err, &p) && len(frames) > 0 && isNoValue(p.Value):
			return nil, nil
		case errors.As(err, &p) && len(frames) == 0, isCompileError(err):
			// yaegi's type analysis of a top-level definition fails on some
			// expressions (an element of a compiled struct's slice field,
			// "t.Data[1]"); inside a function it does not.
			berr := s.run(ctx, c.boxedSource(code))
			if berr == nil {
				result = boxedVar
				break
			}
			if bp := (interp.Panic{}); (!errors.As(berr, &bp) || len(s.out.peekPanics()) > 0) && !isCompileError(berr) {
				return nil, s.cellError(ctx, berr, running{kind: exprChunk, line: c.line}) // E ran and failed
			}
			if err := s.run(ctx, stmt.source(code)); err != nil {
				return nil, s.cellError(ctx, err, running{kind: exprChunk, line: c.line})
			}
			return nil, nil
		}
		if result != boxedVar {
			return nil, s.cellError(ctx, err, running{kind: exprChunk, line: c.line})
		}
	}
	v, ok := s.globals()[result]
	if !ok || !v.IsValid() || !v.CanInterface() {
		return nil, nil
	}
	b := renderResult(v)
	return &b, nil
}

// isNoValue reports whether a panic is yaegi assigning the missing value of
// a call without results.
func isNoValue(v any) bool {
	s := fmt.Sprint(v)
	return strings.HasPrefix(s, "reflect.Set: value of type ") && strings.HasSuffix(s, " is not assignable to type func()")
}

// isCompileError reports whether err is one yaegi returns before running
// anything (its compile errors are not scanner errors, panics or context
// errors).
func isCompileError(err error) bool {
	var p interp.Panic
	var el scanner.ErrorList
	return !errors.As(err, &p) && !errors.As(err, &el) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// resultCount returns the number of results of the call expr when its
// function is a name or a selector chain that can be evaluated without side
// effects; ok is false otherwise.
func (s *Session) resultCount(ctx context.Context, expr string) (n int, ok bool) {
	e, err := parser.ParseExpr(expr)
	if err != nil {
		return 0, false
	}
	call, isCall := e.(*ast.CallExpr)
	if !isCall || !isNameChain(call.Fun) {
		return 0, false
	}
	if id, ok := call.Fun.(*ast.Ident); ok && noValueBuiltins[id.Name] && !s.defined(id.Name) {
		return 0, true
	}
	fun := expr[call.Fun.Pos()-1 : call.Fun.End()-1]
	v, err := s.exec(ctx, fun)
	if err != nil || !v.IsValid() || v.Kind() != reflect.Func {
		return 0, false
	}
	return v.Type().NumOut(), true
}

// noValueBuiltins are the builtin functions without a result.
var noValueBuiltins = map[string]bool{"panic": true, "print": true, "println": true, "close": true, "delete": true, "clear": true}

// defined reports whether cells defined name (shadowing a builtin).
func (s *Session) defined(name string) bool {
	if _, ok := s.globals()[name]; ok {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.decls[name]
	return ok
}

// isNameChain reports whether e is an identifier or a selector chain of
// identifiers (a.b.c).
func isNameChain(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return true
	case *ast.SelectorExpr:
		return isNameChain(e.X)
	case *ast.ParenExpr:
		return isNameChain(e.X)
	}
	return false
}

// record notes the names that a successful chunk declared: imports (for
// completion of package members) and funcs and types (yaegi's Globals lists
// only variables and constants).
func (s *Session) record(text string, kind chunkKind) {
	if kind != declChunk {
		return
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+text, parser.SkipObjectResolution)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				s.decls[d.Name.Name] = "func"
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.ImportSpec:
					path, _ := strconv.Unquote(sp.Path.Value)
					name, ok := s.pkgNames[path]
					if !ok {
						name = pathBase(path)
					}
					if sp.Name != nil {
						name = sp.Name.Name
					}
					if name == "." {
						s.dotImport = true
					}
					if name != "_" && name != "." {
						s.imports[name] = path
					}
				case *ast.TypeSpec:
					s.decls[sp.Name.Name] = "type"
				}
			}
		}
	}
}

func pathBase(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}
