package session

import (
	"strings"
	"testing"
)

// TestRepeatedImports: importing a package already in scope (a default
// import, an earlier cell's) is a no-op instead of yaegi's "fmt/_.go
// redeclared in this block".
func TestRepeatedImports(t *testing.T) {
	s := newSession(t)
	steps := []struct{ code, want string }{
		{`import "fmt"`, ""},                                       // a default import
		{"import \"fmt\"\nfmt.Sprint(6 * 7)", `"42"`},              // and used at once
		{`import "strconv"`, ""},                                   // new
		{"import \"strconv\"\nstrconv.Itoa(7)", `"7"`},             // again
		{"import (\n\t\"fmt\"\n\t\"unicode\"\n)", ""},              // one old, one new
		{"unicode.IsUpper('Q')", "true"},                           // the new one works
		{"import (\n\t\"math\"\n\t\"fmt\"\n)\nmath.Sqrt(16)", "4"}, // all old
		{`import "xprompt/core"`, ""},                              // a project package
		{`import cc "xprompt/core"`, ""},                           // another name for it
		{`import cc "xprompt/core"`, ""},                           // again
		{"cc.Ones(2, 2).Len()", "4"},
		{"import \"fmt\"; import \"fmt\"\nfunc hi() string { return fmt.Sprint(\"hi\") }\nhi()", `"hi"`},
	}
	for _, st := range steps {
		if got, _ := eval(t, s, st.code); got != st.want {
			t.Errorf("cell %q = %q, want %q", st.code, got, st.want)
		}
	}
	// Errors keep their cell positions after dropped imports.
	ce := evalErr(t, s, "import \"fmt\"\nfunc bad() int { return \"s\" }")
	if ce.Name != "CompileError" || !strings.HasPrefix(ce.Value, "line 2:") {
		t.Errorf("error after a dropped import: %s: %s", ce.Name, ce.Value)
	}
	// A name already used for another package is an error that says so.
	ce = evalErr(t, s, "x := 1\nimport core \"strings\"")
	if ce.Name != "CompileError" || !strings.Contains(ce.Value, `line 2:8: core already names package "xprompt/core"`) {
		t.Errorf("import under a taken name: %s: %s", ce.Name, ce.Value)
	}
	ce = evalErr(t, s, `import "nosuch/package"`)
	if ce.Name != "CompileError" {
		t.Errorf("unknown package: %s: %s", ce.Name, ce.Value)
	}
}
