package session

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"xprompt/display"
	"xprompt/view"
)

// renderResult renders the value of a cell's final expression. Values that
// fmt's %v would make ambiguous are shown in Go syntax: a string quoted
// ("42" differs from 42), a slice, array or map of strings with quoted
// elements, a function as its signature rather than its address. Values that
// render themselves (display.Displayer, fmt.Stringer, error) and all others
// go to view.Render.
func renderResult(v reflect.Value) display.Bundle {
	x := v.Interface()
	switch x.(type) {
	case display.Displayer, fmt.Stringer, error:
		return view.Render(x)
	}
	rv := reflect.ValueOf(x)
	if !rv.IsValid() {
		return view.Render(x)
	}
	switch rv.Kind() {
	case reflect.String:
		return display.Text(strconv.Quote(rv.String()))
	case reflect.Slice, reflect.Array, reflect.Map:
		if rv.Type().Elem().Kind() == reflect.String {
			return display.Text(fmt.Sprintf("%q", x))
		}
	case reflect.Func:
		if rv.IsNil() {
			return display.Text(fmt.Sprintf("(%s)(nil)", typeName(rv.Type())))
		}
		return display.Text(typeName(rv.Type()))
	}
	return view.Render(x)
}

// typeName is t as Go source writes it, with "any" for the empty interface.
func typeName(t reflect.Type) string {
	return strings.ReplaceAll(t.String(), "interface {}", "any")
}
