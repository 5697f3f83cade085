package session

import (
	"regexp"

	"xprompt/display"
)

// helpLine matches a cell asking for documentation as in IPython: "?name",
// "name?", "%magic?" with a name chain ("ops.MatMul", "t.Shape").
var helpLine = regexp.MustCompile(`^\s*(?:\?\s*(%?[\pL_][\pL\pN_.]*)|(%?[\pL_][\pL\pN_.]*)\s*\?)\s*$`)

// helpQuery returns the name of a "?name" or "name?" cell.
func helpQuery(code string) (string, bool) {
	m := helpLine.FindStringSubmatch(code)
	if m == nil {
		return "", false
	}
	return m[1] + m[2], true
}

// help returns the documentation of name (what Inspect shows) for the
// pager, or an error saying there is none.
func (s *Session) help(name string) (*display.Bundle, error) {
	b, ok := s.Inspect(name, len(name))
	if !ok {
		msg := "no documentation for " + name + " (not a variable, package, package member or magic in scope)"
		return nil, &display.CellError{Name: "NotFound", Value: msg, Traceback: []string{"NotFound: " + msg}}
	}
	p := display.Page(b)
	return &p, nil
}
