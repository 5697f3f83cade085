package session

import (
	"strings"
	"testing"
)

// TestUndefinedNames: a name defined nowhere is the Go compiler's
// "undefined: NAME" at its line and column, whether it stands alone (which
// yaegi would run without error), is called or is assigned; names defined by
// earlier cells, the chunk itself, packages and builtins are not flagged.
func TestUndefinedNames(t *testing.T) {
	s := newSession(t)
	eval(t, s, "known := 1\nfunc knownFunc() int { return 2 }\ntype knownType struct{ A int }")
	for _, c := range []struct{ code, want string }{
		{"undefinedName", "line 1:1: undefined: undefinedName"},
		{"undefinedFunc()", "line 1:1: undefined: undefinedFunc"},
		{"x := undefinedName", "line 1:6: undefined: undefinedName"},
		{"y := 1\nfor i := 0; i < 2; i++ {\n\ty += i * missing\n}", "line 3:11: undefined: missing"},
		{"fmt.Println(known)\n  nope", "line 2:3: undefined: nope"},
		{"fmt.Printl(1)", "line 1:1: undefined: fmt.Printl"},
		{"t := core.Onez(2)", "line 1:6: undefined: core.Onez"},
	} {
		ce := evalErr(t, s, c.code)
		if ce.Name != "CompileError" || ce.Value != c.want {
			t.Errorf("cell %q: %s: %q, want CompileError %q", c.code, ce.Name, ce.Value, c.want)
		}
	}
	for _, c := range []struct{ code, want string }{
		{"known + knownFunc() + knownType{A: 3}.A", "6"},
		{"f := func(v int) int { w := v; return w + len(\"ab\") }\nf(1)", "3"},
		{"var z = struct{ B int }{B: 2}\nz.B", "2"},
		{"out:\n\tfor j := 0; j < 1; j++ {\n\t\tbreak out\n\t}\nmath.Pi > 3", "true"},
	} {
		if got, _ := eval(t, s, c.code); got != c.want {
			t.Errorf("cell %q = %q, want %q", c.code, got, c.want)
		}
	}
}

// TestRuntimeErrors: panics that yaegi raises from reflect read as the Go
// runtime's, with the line of the statement in the cell that failed.
func TestRuntimeErrors(t *testing.T) {
	s := newSession(t)
	eval(t, s, "a := []int{1}\nvar p *struct{ X int }\nvar i any = 1")
	for _, c := range []struct{ code, value, line string }{
		{"n := 0\nfor k := 0; k < 3; k++ {\n\tn += a[k]\n}", "runtime error: index out of range", "in the cell, line 3"},
		{"fmt.Print()\n\np.X = 2", "runtime error: invalid memory address or nil pointer dereference", "in the cell, line 3"},
		{"s := i.(string)\n_ = s", "interface conversion: interface {} is int, not string", "in the cell, line 1"},
		{"fmt.Print()\na[1]", "runtime error: index out of range", "in the cell, line 2"},
	} {
		ce := evalErr(t, s, c.code)
		tb := strings.Join(ce.Traceback, "\n")
		if ce.Name != "panic" || ce.Value != c.value || !strings.Contains(tb, c.line) {
			t.Errorf("cell %q: %s: %q\n%s\nwant panic %q and %q", c.code, ce.Name, ce.Value, tb, c.value, c.line)
		}
	}
	// Compile errors keep the cell's columns although statements are
	// instrumented with their line.
	ce := evalErr(t, s, "u := 1\nu = \"text\"")
	if ce.Value != `line 2:5: cannot convert "text" to int` {
		t.Errorf("compile error %q", ce.Value)
	}
}

// TestResultsInGoSyntax: strings are quoted, so "42" and 42 differ, and a
// function shows its signature, not an address.
func TestResultsInGoSyntax(t *testing.T) {
	s := newSession(t)
	for _, c := range []struct{ code, want string }{
		{`"abcd"`, `"abcd"`},
		{`"42"`, `"42"`},
		{"42", "42"},
		{`"tab\there"`, `"tab\there"`},
		{`[]string{"a b", "c"}`, `["a b" "c"]`},
		{"fmt.Sprintf", "func(string, ...any) string"},
		{"func half(v float64) float64 { return v / 2 }\nhalf", "func(float64) float64"},
		{"var nf func()\nnf", "(func())(nil)"},
		{"time.Second", "1s"}, // a fmt.Stringer keeps its String
	} {
		if got, _ := eval(t, s, c.code); got != c.want {
			t.Errorf("cell %q = %q, want %q", c.code, got, c.want)
		}
	}
}
