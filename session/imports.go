package session

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"

	"xprompt/display"
)

// Cells may import again what is already imported (the default imports, an
// earlier cell's): yaegi would report "fmt/_.go redeclared in this block", so
// such imports are dropped before the chunk runs. Importing another package
// under a name already taken is an error that says so.

// dropRepeatedImports returns code with the imports of the declaration chunk
// c that are already in scope (the same package under the same name, or
// twice in the chunk) replaced by spaces, so that positions do not move. An
// import of a different package under a name already in use is a
// CompileError naming both.
func (s *Session) dropRepeatedImports(code string, c chunk) (string, error) {
	const header = "package p;"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", header+code[c.start:c.end], parser.ImportsOnly)
	if err != nil {
		return code, nil // the chunk's syntax was checked; leave it to yaegi
	}
	off := func(p token.Pos) int { return fset.Position(p).Offset - len(header) + c.start }
	s.mu.Lock()
	have := make(map[string]string, len(s.imports))
	for name, path := range s.imports {
		have[name] = path
	}
	s.mu.Unlock()
	buf := []byte(code)
	blank := func(from, to token.Pos) {
		for i := off(from); i < off(to); i++ {
			if buf[i] != '\n' {
				buf[i] = ' '
			}
		}
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		var dropped []*ast.ImportSpec
		for _, sp := range g.Specs {
			is := sp.(*ast.ImportSpec)
			path, _ := strconv.Unquote(is.Path.Value)
			name := s.packageName(path)
			if is.Name != nil {
				name = is.Name.Name
			}
			if name == "_" || name == "." {
				continue
			}
			prev, taken := have[name]
			switch {
			case taken && prev == path:
				dropped = append(dropped, is)
			case taken:
				p := fset.Position(is.Pos())
				msg := fmt.Sprintf("line %d:%d: %s already names package %q; import %q under another name (import x %q)",
					p.Line+c.line-1, columnIn(p, c), name, prev, path, path)
				return "", &display.CellError{Name: "CompileError", Value: msg, Traceback: []string{"CompileError: " + msg}}
			default:
				have[name] = path
			}
		}
		switch {
		case len(dropped) == len(g.Specs):
			blank(g.Pos(), g.End())
			// and the explicit semicolon that may end it: a stray ";" is
			// not a declaration.
			i := off(g.End())
			for i < c.end && (buf[i] == ' ' || buf[i] == '\t') {
				i++
			}
			if i < c.end && buf[i] == ';' {
				buf[i] = ' '
			}
		default:
			for _, is := range dropped {
				blank(is.Pos(), is.End())
			}
		}
	}
	return string(buf), nil
}

// columnIn returns the cell column of a position p in a chunk parsed after a
// one-line header ("package p;" on the chunk's first line).
func columnIn(p token.Position, c chunk) int {
	if p.Line == 1 {
		return p.Column - len("package p;") + c.column - 1
	}
	return p.Column
}

// packageName returns the name a package is imported under by default.
func (s *Session) packageName(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name, ok := s.pkgNames[path]; ok {
		return name
	}
	return pathBase(path)
}

// blankText reports whether text holds only white space.
func blankText(text string) bool { return strings.TrimSpace(text) == "" }
