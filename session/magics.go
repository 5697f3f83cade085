package session

import (
	"context"
	"fmt"
	"go/constant"
	"reflect"
	"sort"
	"strings"
	"time"

	"xprompt/core"
	"xprompt/display"
	"xprompt/img"
	"xprompt/infer"
	"xprompt/tasks"
	"xprompt/view"
)

// The built-in magics: one entry each; the usage and help come from
// help/NAME.md. Other packages register theirs the same way (RegisterAll).
var builtinMagics = map[string]MagicFunc{
	"help":   runHelp,
	"time":   runTime,
	"device": runDevice,
	"who":    runWho,
}

func init() { RegisterAll(helpFS, builtinMagics) }

// runHelp implements %help [MAGIC].
func runHelp(_ context.Context, s *Session, args string, _ display.Sink) (*display.Bundle, error) {
	if args == "" {
		t := view.NewTable("magic", "usage", "summary")
		t.Title = "Magics (%help NAME for one)"
		for _, m := range s.Magics() {
			t.Add("%"+m.Name, m.Usage, m.Summary())
		}
		b := t.Display()
		return &b, nil
	}
	name := strings.TrimPrefix(strings.Fields(args)[0], "%")
	m, ok := s.magic(name)
	if !ok {
		return nil, s.UsageError("help", "no magic %%%s", name)
	}
	text := m.Usage + "\n\n" + m.Help + "\n"
	b := display.Page(display.Bundle{Data: map[string]any{
		display.MIMEText:     text,
		display.MIMEMarkdown: "`" + m.Usage + "`\n\n" + m.Help + "\n",
	}})
	return &b, nil
}

// runTime implements %time STMT.
func runTime(ctx context.Context, s *Session, args string, sink display.Sink) (*display.Bundle, error) {
	if args == "" {
		return nil, s.UsageError("time", "nothing to time")
	}
	start := time.Now()
	b, err := s.evalGo(ctx, args)
	sink.Stream("stdout", fmt.Sprintf("wall time: %s\n", formatDuration(time.Since(start))))
	return b, err
}

// formatDuration rounds d to three significant digits: 1.23ms, 45.6µs, 2.5s.
func formatDuration(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d >= time.Microsecond:
		return d.Round(10 * time.Nanosecond).String()
	}
	return d.String()
}

// runDevice implements %device [NAME].
func runDevice(_ context.Context, s *Session, args string, _ display.Sink) (*display.Bundle, error) {
	if f := strings.Fields(args); len(f) > 0 {
		if len(f) > 1 {
			return nil, s.UsageError("device", "one device name expected, got %q", args)
		}
		d := core.Device(f[0])
		if f[0] == "auto" {
			d, _ = core.ResolveDevice("auto") // never fails: the CPU is the fallback
		}
		if err := s.SetDevice(d); err != nil {
			return nil, err
		}
		if err := s.moveModels(d); err != nil {
			return nil, err
		}
		b := display.Text("device: " + string(d))
		return &b, nil
	}
	cur := s.Device()
	t := view.NewTable("device", "backend", "current")
	for _, d := range core.Devices() {
		name := "(opened on first use)"
		if be, ok := core.OpenedBackend(d); ok {
			name = be.Name()
		}
		mark := ""
		if d == cur {
			mark = "*"
		}
		t.Add(string(d), name, mark)
	}
	b := t.Display()
	return &b, nil
}

// runWho implements %who.
func runWho(_ context.Context, s *Session, _ string, _ display.Sink) (*display.Bundle, error) {
	t := view.NewTable("name", "type", "value")
	for _, v := range s.Variables() {
		t.Add(v.Name, v.Type, v.Value)
	}
	if len(t.Rows) == 0 {
		b := display.Text("no variables yet")
		return &b, nil
	}
	b := t.Display()
	return &b, nil
}

// Variable describes a name defined in the cells' scope.
type Variable struct {
	Name  string
	Type  string // the Go type, or "func" / "type"
	Value string // a one-line summary of the value ("" for funcs and types)
}

// Variables lists the variables, constants, functions and types defined by
// cells and Bind, sorted by name. Names starting with _xp are the session's
// own and are left out.
func (s *Session) Variables() []Variable {
	var out []Variable
	seen := map[string]bool{}
	for name, v := range s.globals() {
		if hidden(name) {
			continue
		}
		seen[name] = true
		vr := Variable{Name: name, Type: "?"}
		if v.IsValid() {
			vr.Type = v.Type().String()
			if _, ok := v.Interface().(constant.Value); ok {
				vr.Type = "const"
			}
			if v.CanInterface() {
				vr.Value = summary(v)
			}
		}
		out = append(out, vr)
	}
	s.mu.Lock()
	for name, kind := range s.decls {
		if !seen[name] && !hidden(name) {
			out = append(out, Variable{Name: name, Type: kind})
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func hidden(name string) bool { return name == "_" || strings.HasPrefix(name, "_xp") }

// summary returns a one-line form of a value, at most 60 runes: an image's
// size, a constant's value, or the first line of its rendered text (values
// that render themselves are only named, to keep %who cheap).
func summary(v reflect.Value) string {
	var s string
	switch x := v.Interface().(type) {
	case constant.Value:
		s = x.ExactString()
	case *img.Image:
		if x != nil {
			s = fmt.Sprintf("Image %d×%d", x.W, x.H)
		}
	case *infer.Engine:
		if x != nil {
			s = fmt.Sprintf("model %s, %s parameters, from %s", x.Model.Cfg.Preset, view.GroupDigits(int64(x.Model.Params.Count())), x.Source)
		}
	case tasks.Example:
		s = fmt.Sprintf("Example %s: %s", x.Family, x.Instruction)
	case display.Displayer:
		s = fmt.Sprintf("(%T)", x)
	default:
		if v.Kind() == reflect.Func {
			return ""
		}
		s = view.Render(x).PlainText()
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if r := []rune(s); len(r) > 60 {
		s = string(r[:59]) + "…"
	}
	return s
}
