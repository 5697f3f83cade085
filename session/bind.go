package session

import (
	"context"
	"fmt"
	"go/token"
	"reflect"

	"github.com/traefik/yaegi/interp"
)

// boundPath is the package through which Bind hands compiled values to the
// interpreter: each value is an exported symbol V1, V2, … of it, imported in
// cells as boundName.
const (
	boundPath = "xprompt/session/bound"
	boundName = "_xpbound"
)

// Bind makes value visible in cells as a variable called name, with value's
// dynamic type (a *model.Model stays a *model.Model; its methods and fields
// are usable). Binding a name again replaces the variable. It may be called
// from a magic while its cell runs, or between cells.
func (s *Session) Bind(name string, value any) error {
	if value == nil {
		return fmt.Errorf("session: Bind %q: nil value", name)
	}
	return s.bindValue(name, reflect.ValueOf(value))
}

// bindValue binds v, whose type may be an interface type (v from
// reflect.ValueOf(&x).Elem()), as the variable name.
func (s *Session) bindValue(name string, v reflect.Value) error {
	if !token.IsIdentifier(name) || name == "_" {
		return fmt.Errorf("session: Bind: %q is not a Go identifier", name)
	}
	s.mu.Lock()
	s.nbound++
	sym := fmt.Sprintf("V%d", s.nbound)
	first := s.nbound == 1
	s.mu.Unlock()
	if err := s.in.Use(interp.Exports{boundPath + "/bound": {sym: v}}); err != nil {
		return fmt.Errorf("session: Bind %q: %w", name, err)
	}
	src := fmt.Sprintf("var %s = %s.%s", name, boundName, sym)
	if first {
		src = fmt.Sprintf("import %s %q\n%s", boundName, boundPath, src)
	}
	if _, err := s.exec(context.Background(), src); err != nil {
		return fmt.Errorf("session: Bind %q: %w", name, err)
	}
	return nil
}
