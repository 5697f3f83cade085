package session

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"xprompt/display"
	"xprompt/session/symbols"
	"xprompt/view"
)

// docEntry and docPackage mirror the generated index (symbols.Docs).
type docEntry struct {
	Kind string `json:"kind"`
	Sig  string `json:"sig"`
	Doc  string `json:"doc"`
}

type docPackage struct {
	Name    string              `json:"name"`
	Doc     string              `json:"doc"`
	Symbols map[string]docEntry `json:"symbols"`
}

var (
	docsOnce  sync.Once
	docsIndex map[string]docPackage
)

// docs returns the documentation index, parsed on first use.
func docs() map[string]docPackage {
	docsOnce.Do(func() {
		if err := json.Unmarshal(symbols.Docs, &docsIndex); err != nil {
			docsIndex = map[string]docPackage{}
		}
	})
	return docsIndex
}

// Doc returns the signature and doc comment of a project symbol:
// Doc("xprompt/ops", "MatMul"), Doc("xprompt/core", "Tensor.Shape").
func Doc(path, symbol string) (sig, doc string, ok bool) {
	p, ok := docs()[path]
	if !ok {
		return "", "", false
	}
	if symbol == "" {
		return "package " + p.Name, p.Doc, true
	}
	e, ok := p.Symbols[symbol]
	return e.Sig, e.Doc, ok
}

// Inspect documents the identifier at cursor (or ending there): a magic, a
// package, a package member ("ops.MatMul", "core.Tensor.Shape"), a
// variable (type and value) or a field or method of one ("t.Shape"). The
// bundle holds text and Markdown.
func (s *Session) Inspect(code string, cursor int) (display.Bundle, bool) {
	cursor = min(max(cursor, 0), len(code))
	start := wordStart(code[:cursor])
	end := cursor
	for end < len(code) {
		r, n := utf8.DecodeRuneInString(code[end:])
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		end += n
	}
	word := strings.Trim(code[start:end], ".")
	if word == "" {
		return display.Bundle{}, false
	}
	if start > 0 && code[start-1] == '%' {
		if m, ok := s.magic(word); ok {
			return docBundle(m.Usage, m.Help), true
		}
	}
	parts := strings.Split(word, ".")
	s.mu.Lock()
	path, isPkg := s.imports[parts[0]]
	syms := s.pkgSyms[path]
	kind, declared := s.decls[parts[0]]
	s.mu.Unlock()
	globals := s.in.Globals()
	gv, isVar := globals[parts[0]]

	switch {
	case isVar:
		if len(parts) == 1 {
			return s.inspectValue(parts[0], gv), true
		}
		return s.inspectMember(parts)
	case isPkg:
		if len(parts) == 1 {
			sig, doc, ok := Doc(path, "")
			if !ok {
				sig, doc = "package "+parts[0], fmt.Sprintf("import %q (standard library)", path)
			}
			return docBundle(sig, doc), true
		}
		if sig, doc, ok := Doc(path, strings.Join(parts[1:], ".")); ok {
			return docBundle(sig, doc), true
		}
		if len(parts) == 2 {
			if v, ok := syms[parts[1]]; ok && v.IsValid() {
				return docBundle(parts[0]+"."+parts[1]+" "+describe(v), ""), true
			}
		}
		return s.inspectMember(parts)
	case declared && len(parts) == 1:
		return docBundle(parts[0]+" ("+kind+" declared in a cell)", ""), true
	}
	return display.Bundle{}, false
}

// describe gives the type of a symbol-table value: "func(…) …" for
// functions, "type T" for types (stored as (*T)(nil)), else its type.
func describe(v reflect.Value) string {
	t := v.Type()
	if t.Kind() == reflect.Pointer && v.IsNil() && t.Elem().Name() != "" {
		return "type " + t.Elem().String()
	}
	return t.String()
}

// inspectValue shows a variable's type, the doc of its type when it is a
// project type, and its value.
func (s *Session) inspectValue(name string, v reflect.Value) display.Bundle {
	if !v.IsValid() {
		return docBundle(name, "")
	}
	t := v.Type()
	sig := "var " + name + " " + t.String()
	var doc []string
	if path, tname := namedType(t); path != "" {
		if _, d, ok := Doc(path, tname); ok {
			doc = append(doc, d)
		}
	}
	if v.CanInterface() {
		doc = append(doc, "Value:\n"+Render(v.Interface()).PlainText())
	}
	return docBundle(sig, strings.Join(doc, "\n\n"))
}

// inspectMember documents the last element of a chain whose prefix resolves
// to a type: a method (signature from reflection, doc from the index) or a
// struct field.
func (s *Session) inspectMember(parts []string) (display.Bundle, bool) {
	t, ok := s.chainType(parts[:len(parts)-1])
	if !ok {
		return display.Bundle{}, false
	}
	name := parts[len(parts)-1]
	m, ok := t.MethodByName(name)
	if !ok && t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		m, ok = reflect.PointerTo(t).MethodByName(name)
	}
	if ok {
		path, tname := namedType(t)
		if sig, doc, found := Doc(path, tname+"."+name); found {
			return docBundle(sig, doc), true
		}
		return docBundle(fmt.Sprintf("func (%s) %s%s", t, name, strings.TrimPrefix(m.Type.String(), "func")), ""), true
	}
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() == reflect.Struct {
		if f, ok := st.FieldByName(name); ok {
			return docBundle(fmt.Sprintf("field %s.%s %s", st, name, f.Type), ""), true
		}
	}
	return display.Bundle{}, false
}

// namedType returns the import path and name of t (or of what t points to).
func namedType(t reflect.Type) (path, name string) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath(), t.Name()
}

// docBundle shows a signature and its documentation.
func docBundle(sig, doc string) display.Bundle {
	text := sig
	md := "```go\n" + sig + "\n```\n"
	if doc != "" {
		text += "\n\n" + doc
		md += "\n" + doc + "\n"
	}
	return display.Bundle{Data: map[string]any{display.MIMEText: text + "\n", display.MIMEMarkdown: md}}
}

// Render returns the display bundle of v; see view.Render for the rules.
func Render(v any) display.Bundle { return view.Render(v) }
