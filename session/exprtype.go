package session

import (
	"go/ast"
	"go/parser"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Completion after "core.Ones(2)." and inspection inside "fmt.Sprintf(" need
// the expression before a dot or an open parenthesis, and its type, found
// without running anything: calls are typed by their function's first
// result.

// exprBefore returns the start of the operand expression that ends at end
// in code: an identifier chain with calls and index expressions
// ("core.Ones(2).T()[0].Shape"), found by matching brackets backwards.
func exprBefore(code string, end int) int {
	i := end
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(code[:i])
		switch {
		case r == '.' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			i -= n
		case r == ')' || r == ']':
			j := matchOpen(code, i-1)
			if j < 0 {
				return i
			}
			i = j
		default:
			return i
		}
	}
	return i
}

// matchOpen returns the index of the bracket that opens the one at close,
// or -1. Brackets inside string literals on the way are not told apart.
func matchOpen(code string, close int) int {
	depth := 0
	for i := close; i >= 0; i-- {
		switch code[i] {
		case ')', ']', '}':
			depth++
		case '(', '[', '{':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// openCall returns the offset of the '(' of the innermost call that is
// still open at cursor, or -1.
func openCall(code string, cursor int) int {
	depth := 0
	for i := cursor - 1; i >= 0; i-- {
		switch code[i] {
		case ')', ']', '}':
			depth++
		case '[', '{':
			if depth == 0 {
				return -1
			}
			depth--
		case '(':
			if depth == 0 {
				return i
			}
			depth--
		case '\n':
			if depth == 0 && i > 0 && strings.TrimSpace(code[strings.LastIndexByte(code[:i], '\n')+1:i]) == "" {
				return -1
			}
		}
	}
	return -1
}

// exprType returns the static type of the expression src: variables, package
// members, fields, methods, calls (their first result), index, slice,
// pointer and parenthesised expressions.
func (s *Session) exprType(src string) (reflect.Type, bool) {
	e, err := parser.ParseExpr(src)
	if err != nil {
		return nil, false
	}
	return s.typeOf(e)
}

func (s *Session) typeOf(e ast.Expr) (reflect.Type, bool) {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return s.typeOf(e.X)
	case *ast.Ident:
		if v, ok := s.globals()[e.Name]; ok && v.IsValid() {
			if v.Kind() == reflect.Interface && !v.IsNil() {
				return v.Elem().Type(), true
			}
			return v.Type(), true
		}
		return nil, false
	case *ast.SelectorExpr:
		if id, ok := e.X.(*ast.Ident); ok {
			s.mu.Lock()
			path, isPkg := s.imports[id.Name]
			syms := s.pkgSyms[path]
			s.mu.Unlock()
			if _, isVar := s.globals()[id.Name]; isPkg && !isVar {
				v, ok := syms[e.Sel.Name]
				if !ok || !v.IsValid() {
					return nil, false
				}
				return v.Type(), true // a type T is listed as (*T)(nil)
			}
		}
		t, ok := s.typeOf(e.X)
		if !ok {
			return nil, false
		}
		return memberType(t, e.Sel.Name)
	case *ast.CallExpr:
		t, ok := s.typeOf(e.Fun)
		if !ok || t.Kind() != reflect.Func || t.NumOut() == 0 {
			return nil, false
		}
		return t.Out(0), true
	case *ast.IndexExpr:
		t, ok := s.typeOf(e.X)
		if !ok {
			return nil, false
		}
		if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Array {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Slice, reflect.Array, reflect.Map:
			return t.Elem(), true
		}
		return nil, false
	case *ast.SliceExpr:
		return s.typeOf(e.X)
	case *ast.StarExpr:
		t, ok := s.typeOf(e.X)
		if !ok || t.Kind() != reflect.Pointer {
			return nil, false
		}
		return t.Elem(), true
	}
	return nil, false
}

// memberType returns the type of the method (a func without its receiver)
// or field called name of t.
func memberType(t reflect.Type, name string) (reflect.Type, bool) {
	if m, ok := methodOf(t, name); ok {
		return methodFunc(t, m), true
	}
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() == reflect.Struct {
		if f, ok := st.FieldByName(name); ok {
			return f.Type, true
		}
	}
	return nil, false
}

// methodOf finds the method name of t or *t.
func methodOf(t reflect.Type, name string) (reflect.Method, bool) {
	m, ok := t.MethodByName(name)
	if !ok && t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		m, ok = reflect.PointerTo(t).MethodByName(name)
	}
	return m, ok
}

// methodFunc returns the type of m as a method value: without the receiver
// that reflect puts first for concrete types.
func methodFunc(t reflect.Type, m reflect.Method) reflect.Type {
	ft := m.Type
	if t.Kind() == reflect.Interface || ft.NumIn() == 0 {
		return ft
	}
	in := make([]reflect.Type, 0, ft.NumIn()-1)
	for i := 1; i < ft.NumIn(); i++ {
		in = append(in, ft.In(i))
	}
	out := make([]reflect.Type, ft.NumOut())
	for i := range out {
		out[i] = ft.Out(i)
	}
	return reflect.FuncOf(in, out, ft.IsVariadic())
}
