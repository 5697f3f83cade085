package session

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"sync"

	"xprompt/display"
)

// MagicFunc runs a magic: args is the text after the magic's name (it may
// span several lines), sink the cell's output. It returns the bundle to show
// as the cell's result (or nil) and an error, reported as the cell's error
// (a *display.CellError passes through unchanged).
type MagicFunc func(ctx context.Context, s *Session, args string, sink display.Sink) (*display.Bundle, error)

// Magic is a % command of the cells: `%name args`.
type Magic struct {
	Name  string // without the %: "time"
	Usage string // one line: "%time STMT"
	Help  string // what it does, with an example
	Run   MagicFunc
}

// Summary returns the first sentence of the help (up to the first period
// or line end).
func (m Magic) Summary() string {
	h := strings.TrimSpace(m.Help)
	if i := strings.IndexAny(h, "\n"); i >= 0 {
		h = h[:i]
	}
	if i := strings.Index(h, ". "); i >= 0 {
		h = h[:i+1]
	}
	return h
}

var (
	registryMu sync.Mutex
	registry   = map[string]Magic{}
	magicName  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// Register adds a magic to every session created afterwards. It is meant
// for init functions, one table entry per magic:
//
//	func init() {
//		session.Register(session.Magic{Name: "load", Usage: "%load FILE",
//			Help: "Loads a checkpoint and binds it as m. …", Run: runLoad})
//	}
//
// It panics on an invalid or duplicate name or a nil Run (programmer
// mistakes). RegisterAll registers a table whose help lives in NAME.md
// files.
func Register(m Magic) {
	if !magicName.MatchString(m.Name) || m.Run == nil {
		panic(fmt.Sprintf("session.Register: invalid magic %q (name must match %s, Run must be set)", m.Name, magicName))
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[m.Name]; dup {
		panic(fmt.Sprintf("session.Register: magic %%%s registered twice", m.Name))
	}
	registry[m.Name] = m
}

// RegisterMagic adds (or replaces) a magic in this session only.
func (s *Session) RegisterMagic(name, usage, help string, run MagicFunc) error {
	if !magicName.MatchString(name) || run == nil {
		return fmt.Errorf("session: invalid magic %q (name must match %s, run must be set)", name, magicName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.magics[name] = Magic{Name: name, Usage: usage, Help: help, Run: run}
	return nil
}

// Magics returns the session's magics sorted by name.
func (s *Session) Magics() []Magic {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Magic, 0, len(s.magics))
	for _, m := range s.magics {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// State returns the value a package of magics keeps in this session under
// key, made by init on first use: the magics' state between cells (a
// loaded model, the current prompt). Use an unexported key type, as for
// context values.
func (s *Session) State(key any, init func() any) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil {
		s.state = map[any]any{}
	}
	v, ok := s.state[key]
	if !ok {
		v = init()
		s.state[key] = v
	}
	return v
}

// Global returns the value of the cells' variable name, if there is one
// that compiled code can hold.
func (s *Session) Global(name string) (any, bool) {
	v, ok := s.in.Globals()[name]
	if !ok || !v.IsValid() || !v.CanInterface() {
		return nil, false
	}
	return v.Interface(), true
}

// magic returns the named magic.
func (s *Session) magic(name string) (Magic, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.magics[name]
	return m, ok
}

//go:embed help/*.md
var helpFS embed.FS

// RegisterAll registers the magics of a table, reading the usage line and
// help text of each from help/NAME.md in fsys (ReadHelp). A package of
// magics calls it from init with its embedded help folder.
func RegisterAll(fsys fs.FS, table map[string]MagicFunc) {
	for name, run := range table {
		usage, help := ReadHelp(fsys, name)
		Register(Magic{Name: name, Usage: usage, Help: help, Run: run})
	}
}

// ReadHelp returns the usage line and help text of magic name from
// help/NAME.md in fsys: its first line is the usage, the rest the help.
// It panics if the file is missing (a build mistake).
func ReadHelp(fsys fs.FS, name string) (usage, help string) {
	b, err := fs.ReadFile(fsys, "help/"+name+".md")
	if err != nil {
		panic(fmt.Sprintf("session.ReadHelp: no help/%s.md: %v", name, err))
	}
	usage, help, _ = strings.Cut(string(b), "\n")
	return strings.TrimSpace(usage), strings.TrimSpace(help)
}

// magicLine reports whether code is a magic: its first non-blank line
// starts with % followed by a name. args is the rest of the cell after the
// name, trimmed.
func magicLine(code string) (name, args string, ok bool) {
	t := strings.TrimLeft(code, " \t\r\n")
	if !strings.HasPrefix(t, "%") {
		return "", "", false
	}
	t = t[1:]
	i := strings.IndexFunc(t, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	if i < 0 {
		i = len(t)
	}
	return t[:i], strings.TrimSpace(t[i:]), true
}

// runMagic runs the named magic, converting its errors into cell errors and
// a panic (a shape check, a misused value from a cell) into a cell error
// that names the magic: the one guard of every magic.
func (s *Session) runMagic(ctx context.Context, name, args string, sink display.Sink) (b *display.Bundle, err error) {
	m, ok := s.magic(name)
	if !ok {
		return nil, usageError(fmt.Sprintf("unknown magic %%%s; %%help lists them", name))
	}
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprintf("%%%s: %v", name, r)
			b, err = nil, &display.CellError{Name: "panic", Value: msg, Traceback: []string{"panic: " + msg}}
		}
	}()
	b, err = m.Run(ctx, s, args, sink)
	if err != nil {
		var ce *display.CellError
		if errors.As(err, &ce) {
			return nil, ce
		}
		if ctx.Err() != nil {
			return nil, interrupted(ctx.Err())
		}
		msg := "%" + name + ": " + err.Error()
		return nil, &display.CellError{Name: "MagicError", Value: msg, Traceback: []string{"MagicError: " + msg}}
	}
	return b, nil
}

// UsageError returns the error magic name reports for bad arguments: the
// message and the magic's usage line.
func (s *Session) UsageError(name, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	if m, ok := s.magic(name); ok {
		msg += "; usage: " + m.Usage
	}
	return usageError(msg)
}

func usageError(msg string) *display.CellError {
	return &display.CellError{Name: "UsageError", Value: msg, Traceback: []string{"UsageError: " + msg}}
}
