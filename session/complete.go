package session

import (
	"go/scanner"
	"go/token"
	"reflect"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"xprompt/display"
)

// goWords are the keywords and predeclared identifiers offered by Complete.
var goWords = strings.Fields(`break case chan const continue default defer else fallthrough for func go
goto if import interface map package range return select struct switch type var
any bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune
string uint uint8 uint16 uint32 uint64 uintptr true false iota nil
append cap clear close complex copy delete imag len make max min new panic print println real recover`)

// Complete returns completions of the word before cursor (a byte offset in
// code): a magic name after a leading %, a member after "pkg." or
// "variable." (fields and methods, through struct fields: "a.b.c"), or an
// identifier in scope. start and end delimit the bytes the matches replace:
// the part of the word after the last dot.
func (s *Session) Complete(code string, cursor int) (matches []string, start, end int) {
	cursor = min(max(cursor, 0), len(code))
	for cursor > 0 && cursor < len(code) && !utf8.RuneStart(code[cursor]) {
		cursor--
	}
	before := code[:cursor]
	wstart := wordStart(before)
	word := before[wstart:]
	lineStart := strings.LastIndexByte(before[:wstart], '\n') + 1

	// Magic names: "%ti" at the start of a line.
	if wstart > lineStart && before[wstart-1] == '%' && strings.TrimSpace(before[lineStart:wstart-1]) == "" {
		for _, m := range s.Magics() {
			if strings.HasPrefix(m.Name, word) {
				matches = append(matches, m.Name)
			}
		}
		return matches, wstart, cursor
	}
	parts := strings.Split(word, ".")
	prefix := parts[len(parts)-1]
	start = cursor - len(prefix)
	var cands []string
	switch {
	case len(parts) == 1:
		cands = s.scopeNames()
	case parts[0] == "":
		// ".Sh" after a call or index: "core.Ones(2).Sh".
		if t, ok := s.exprType(before[exprBefore(before, wstart) : start-1]); ok {
			cands = typeMembers(t)
		}
	default:
		cands = s.memberNames(parts[:len(parts)-1])
	}
	seen := map[string]bool{}
	for _, c := range cands {
		if strings.HasPrefix(c, prefix) && !seen[c] && !hidden(c) {
			seen[c] = true
			matches = append(matches, c)
		}
	}
	sort.Strings(matches)
	return matches, start, cursor
}

// wordStart returns where the identifier chain (letters, digits, _ and
// dots) that ends text begins.
func wordStart(text string) int {
	i := len(text)
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(text[:i])
		if r != '.' && r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		i -= n
	}
	return i
}

// scopeNames lists the names a cell can use unqualified.
func (s *Session) scopeNames() []string {
	names := append([]string(nil), goWords...)
	for name := range s.globals() {
		names = append(names, name)
	}
	s.mu.Lock()
	for name := range s.decls {
		names = append(names, name)
	}
	for name := range s.imports {
		names = append(names, name)
	}
	s.mu.Unlock()
	return names
}

// memberNames lists the members after a chain "pkg" or "v" or "v.f.g".
func (s *Session) memberNames(chain []string) []string {
	s.mu.Lock()
	path, isPkg := s.imports[chain[0]]
	syms := s.pkgSyms[path]
	s.mu.Unlock()
	if isPkg && len(chain) == 1 {
		var out []string
		for name := range syms {
			if r, _ := utf8.DecodeRuneInString(name); unicode.IsUpper(r) {
				out = append(out, name)
			}
		}
		return out
	}
	t, ok := s.chainType(chain)
	if !ok {
		return nil
	}
	return typeMembers(t)
}

// chainType resolves the type of a variable or a chain of its fields
// ("v.f.g"), or of a package variable ("pkg.V").
func (s *Session) chainType(chain []string) (reflect.Type, bool) {
	var t reflect.Type
	rest := chain[1:]
	if v, ok := s.globals()[chain[0]]; ok && v.IsValid() {
		t = v.Type()
		if v.Kind() == reflect.Interface && !v.IsNil() {
			t = v.Elem().Type()
		}
	} else {
		s.mu.Lock()
		path, isPkg := s.imports[chain[0]]
		syms := s.pkgSyms[path]
		s.mu.Unlock()
		if !isPkg || len(chain) < 2 {
			return nil, false
		}
		sv, ok := syms[chain[1]]
		if !ok || !sv.IsValid() {
			return nil, false
		}
		t = sv.Type() // a type T is listed as (*T)(nil): its members are *T's
		rest = chain[2:]
	}
	for _, f := range rest {
		st := t
		if st.Kind() == reflect.Pointer {
			st = st.Elem()
		}
		if st.Kind() != reflect.Struct {
			return nil, false
		}
		sf, ok := st.FieldByName(f)
		if !ok {
			return nil, false
		}
		t = sf.Type
	}
	return t, true
}

// typeMembers lists the exported methods of t (and of *t) and the exported
// fields of the struct t or *t points to.
func typeMembers(t reflect.Type) []string {
	var out []string
	add := func(t reflect.Type) {
		for i := range t.NumMethod() {
			if m := t.Method(i); m.IsExported() {
				out = append(out, m.Name)
			}
		}
	}
	add(t)
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		add(reflect.PointerTo(t))
	}
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() == reflect.Struct {
		for i := range st.NumField() {
			if f := st.Field(i); f.IsExported() {
				out = append(out, f.Name)
			}
		}
	}
	return out
}

// IsComplete tells whether code is a whole cell: "incomplete" while a
// bracket, brace or parenthesis is open (indent then holds four spaces per
// open bracket), a raw string or comment is unterminated, or the last token
// is one after which Go inserts no semicolon (an operator, a comma, "="), so
// the statement goes on. Code that can never be completed is "invalid"; a
// magic line is "complete" unless its argument is incomplete Go.
func (s *Session) IsComplete(code string) (status, indent string) {
	if strings.TrimSpace(code) == "" {
		return display.Complete, ""
	}
	if _, ok := shellCommands(code); ok {
		return display.Complete, ""
	}
	if name, args, ok := magicLine(code); ok {
		// Magic arguments are words and flags, complete on their line; only
		// %time takes Go code, which may continue.
		if args == "" || name != "time" {
			return display.Complete, ""
		}
		code = args
	}
	sc := scanCell(code)
	switch {
	case sc.depth < 0 || sc.invalid:
		return display.Invalid, ""
	case sc.unterminated:
		return display.Incomplete, ""
	case sc.depth > 0:
		return display.Incomplete, strings.Repeat("    ", sc.depth)
	case sc.continues:
		return display.Incomplete, "    "
	}
	if _, err := splitCell(code); err != nil {
		return display.Invalid, ""
	}
	return display.Complete, ""
}

// cellScan is what scanCell learns from the tokens of a cell.
type cellScan struct {
	depth        int  // open brackets at the end (negative: a closing one too many)
	unterminated bool // ends inside a raw string or a general comment
	invalid      bool // an unterminated interpreted string or rune: no more lines can fix it
	continues    bool // the last token inserts no semicolon: the code goes on
}

func scanCell(code string) cellScan {
	var r cellScan
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(code))
	var sc scanner.Scanner
	sc.Init(file, []byte(code), func(_ token.Position, msg string) {
		switch {
		case strings.Contains(msg, "raw string literal not terminated"), strings.Contains(msg, "comment not terminated"):
			r.unterminated = true
		case strings.Contains(msg, "not terminated"):
			r.invalid = true
		}
	}, 0)
	last := token.ILLEGAL
	for {
		_, tok, lit := sc.Scan()
		switch tok {
		case token.EOF:
			r.continues = last != token.ILLEGAL && !insertsSemicolon(last)
			return r
		case token.LPAREN, token.LBRACE, token.LBRACK:
			r.depth++
		case token.RPAREN, token.RBRACE, token.RBRACK:
			r.depth--
			if r.depth < 0 {
				return r
			}
		}
		if tok != token.SEMICOLON || lit == ";" {
			last = tok
		}
	}
}

// insertsSemicolon reports whether a line ending after tok ends the
// statement (the Go specification's rule for automatic semicolons).
func insertsSemicolon(tok token.Token) bool {
	switch tok {
	case token.IDENT, token.INT, token.FLOAT, token.IMAG, token.CHAR, token.STRING,
		token.BREAK, token.CONTINUE, token.FALLTHROUGH, token.RETURN,
		token.INC, token.DEC, token.RPAREN, token.RBRACK, token.RBRACE, token.SEMICOLON:
		return true
	}
	return false
}
