package session

import (
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"

	"xprompt/core"
	"xprompt/display"
	_ "xprompt/ops" // registers the CPU backend
	"xprompt/session/symbols"
	"xprompt/view"
)

// DefaultImports are imported into the cells' scope when Options.Imports is
// nil: a few standard packages and every project package in package symbols.
var DefaultImports = []string{
	"fmt", "math", "os", "strings", "time",
	"xprompt/core", "xprompt/display", "xprompt/img", "xprompt/ops", "xprompt/view", "xprompt/data",
	"xprompt/model", "xprompt/infer", "xprompt/tasks", "xprompt/metrics", "xprompt/train", "xprompt/protocol",
}

// Options configures a Session. The zero value is ready to use.
type Options struct {
	// Imports are imported before the first cell; nil means DefaultImports.
	Imports []string
	// Device is the initial device shown and switched by %device; "" means
	// core.CPU. It must be registered (core.Devices).
	Device core.Device
	// Stdin is what cells read as standard input when the sink of the
	// running cell is not a display.Inputter; nil means none (EOF).
	Stdin io.Reader
	// Env is the environment cells see through os.Getenv; nil means the
	// process environment.
	Env []string
}

// Session is one interpreter with its state, magics and output routing. It
// implements display.Evaluator. Eval runs one cell at a time; Complete,
// Inspect and IsComplete may be called between cells.
type Session struct {
	cellMu sync.Mutex // held while a cell runs

	in          *interp.Interpreter
	resultSlots map[string]int // global frame slots of the previous cell results (memory.go)
	out         *router

	mu          sync.Mutex // guards the fields below
	magics      map[string]Magic
	imports     map[string]string // package name in cells → import path
	decls       map[string]string // func and type names declared by cells → "func"/"type"
	dotImport   bool              // a cell imported a package with "."
	env         []string          // environment of shell commands (!cmd)
	device      core.Device
	nbound      int
	nevals      int                                 // evaluations so far, to label them
	stopping    string                              // label of an interrupted evaluation that may still run
	ncells      int                                 // cells run so far
	cellRunning int                                 // number of the running cell, 0 between cells
	pkgSyms     map[string]map[string]reflect.Value // import path → exported symbols
	pkgNames    map[string]string                   // import path → package name

	state map[any]any // magic packages' per-session state (State)

	goPanics goPanics // panics of cells' goroutines not yet reported
}

var _ display.Evaluator = (*Session)(nil)

// New returns a session with DefaultImports (or opts.Imports) imported and
// the variables sink and show bound.
func New(opts Options) (*Session, error) {
	dev := opts.Device
	if dev == "" {
		dev = core.CPU
	}
	if _, err := core.BackendFor(dev); err != nil {
		return nil, fmt.Errorf("session: device %q: %w", dev, err)
	}
	fallback := opts.Stdin
	if fallback == nil {
		fallback = strings.NewReader("")
	}
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	s := &Session{resultSlots: map[string]int{},
		out:      &router{},
		magics:   map[string]Magic{},
		imports:  map[string]string{},
		decls:    map[string]string{},
		device:   dev,
		pkgSyms:  map[string]map[string]reflect.Value{},
		pkgNames: map[string]string{},
		env:      env,
	}
	var stdout, stderr io.Writer = streamWriter{s.out, "stdout"}, streamWriter{s.out, "stderr"}
	var stdin io.Reader = &stdinReader{r: s.out, fallback: fallback}
	s.in = interp.New(interp.Options{Stdin: stdin, Stdout: stdout, Stderr: stderr, Env: env, Args: []string{"xprompt"}})
	// os.Stdout, os.Stderr and os.Stdin of the cells are the session's
	// streams (typed io.Writer and io.Reader there), not the process's files.
	stdio := interp.Exports{"os/os": {
		"Stdout": reflect.ValueOf(&stdout).Elem(),
		"Stderr": reflect.ValueOf(&stderr).Elem(),
		"Stdin":  reflect.ValueOf(&stdin).Elem(),
	}}
	for _, table := range []interp.Exports{stdlib.Symbols, stdio, symbols.Symbols} {
		if err := s.in.Use(table); err != nil {
			return nil, fmt.Errorf("session: load symbols: %w", err)
		}
		for key, syms := range table {
			p := pathOfKey(key)
			if s.pkgSyms[p] == nil {
				s.pkgSyms[p] = map[string]reflect.Value{}
			}
			for name, v := range syms {
				s.pkgSyms[p][name] = v
			}
			s.pkgNames[pathOfKey(key)] = pathBase(key)
		}
	}
	registryMu.Lock()
	for name, m := range registry {
		s.magics[name] = m
	}
	registryMu.Unlock()

	imports := opts.Imports
	if imports == nil {
		imports = DefaultImports
	}
	if len(imports) > 0 {
		var src strings.Builder
		src.WriteString("import (\n")
		for _, p := range imports {
			fmt.Fprintf(&src, "\t%q\n", p)
		}
		src.WriteString(")")
		if _, err := s.Eval(context.Background(), src.String(), discard{}); err != nil {
			return nil, fmt.Errorf("session: import %v: %w", imports, err)
		}
	}
	if _, err := s.exec(context.Background(), "var "+lineVar+" int"); err != nil {
		return nil, fmt.Errorf("session: declare %s: %w", lineVar, err)
	}
	var sink display.Sink = s.out
	if err := s.bindValue("sink", reflect.ValueOf(&sink).Elem()); err != nil {
		return nil, err
	}
	if err := s.Bind("show", s.show); err != nil {
		return nil, err
	}
	if err := s.Bind("_xpGoCall", s.goCall); err != nil {
		return nil, err
	}
	if err := s.Bind("_xpGoCallSlice", s.goCallSlice); err != nil {
		return nil, err
	}
	return s, nil
}

// pathOfKey returns the import path of a yaegi symbol-table key
// "importpath/name".
func pathOfKey(key string) string {
	if i := strings.LastIndex(key, "/"); i >= 0 {
		return key[:i]
	}
	return key
}

// Device returns the device selected with %device (or Options.Device).
func (s *Session) Device() core.Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.device
}

// SetDevice selects the device that magics use; it must be registered.
func (s *Session) SetDevice(d core.Device) error {
	if _, err := core.BackendFor(d); err != nil {
		return fmt.Errorf("device %q is not available (registered: %v): %w", d, core.Devices(), err)
	}
	s.mu.Lock()
	s.device = d
	s.mu.Unlock()
	return nil
}

// show is bound as the cells' show(v): it displays Render(v) in the running
// cell's output at once.
func (s *Session) show(v any) { s.out.Display(view.Render(v), "", false) }

// Eval runs one cell: a % magic line, or Go declarations and statements. The
// value of a final single-valued expression is returned rendered; errors come
// back as *display.CellError. Cancelling ctx interrupts the cell.
func (s *Session) Eval(ctx context.Context, code string, sink display.Sink) (res *display.Bundle, err error) {
	s.cellMu.Lock()
	defer s.cellMu.Unlock()
	if sink == nil {
		sink = discard{}
	}
	// A cell interrupted inside a compiled call may still run: refuse this
	// one, and leave the output routed to the cell that produces it.
	if err := s.waitInterrupted(ctx); err != nil {
		return nil, err
	}
	s.out.set(sink)
	defer func() {
		if !s.interruptedRunning() {
			s.out.set(nil)
		}
	}()
	s.mu.Lock()
	s.ncells++
	s.cellRunning = s.ncells
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.cellRunning = 0
		s.mu.Unlock()
	}()
	s.reportGoPanics()
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, &display.CellError{
				Name: "panic", Value: fmt.Sprint(r),
				Traceback: []string{fmt.Sprintf("panic: %v", r)},
			}
		}
	}()
	if name, ok := helpQuery(code); ok {
		return s.help(name)
	}
	if cmds, ok := shellCommands(code); ok {
		return nil, s.runShell(ctx, cmds, sink)
	}
	if name, args, ok := magicLine(code); ok {
		return s.runMagic(ctx, name, args, sink)
	}
	return s.evalGo(ctx, code)
}

// discard is a Sink that drops everything.
type discard struct{}

func (discard) Stream(string, string)                {}
func (discard) Display(display.Bundle, string, bool) {}

// router forwards the interpreter's output streams, and the sink that cells
// see, to the sink of the running cell. Between cells output is dropped (a
// goroutine left running by an earlier cell cannot write into a later one's
// output unless it runs while that cell does).
type router struct {
	mu     sync.Mutex
	sink   display.Sink
	panics []string // yaegi's "L:C: panic: main.f(...)" lines of the running chunk
}

func (r *router) set(s display.Sink) {
	r.mu.Lock()
	r.sink, r.panics = s, nil
	r.mu.Unlock()
}

func (r *router) current() display.Sink {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sink
}

// takePanics returns and clears the recorded panic locations.
func (r *router) takePanics() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.panics
	r.panics = nil
	return p
}

// String describes the router as the cells see it (the variable sink).
func (r *router) String() string { return "the running cell's output" }

// peekPanics returns the recorded panic locations without clearing them.
func (r *router) peekPanics() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.panics...)
}

// Stream implements display.Sink.
func (r *router) Stream(name, text string) {
	if s := r.current(); s != nil {
		s.Stream(name, text)
	}
}

// Display implements display.Sink.
func (r *router) Display(b display.Bundle, id string, update bool) {
	if s := r.current(); s != nil {
		s.Display(b, id, update)
	}
}

// panicLine matches the line yaegi writes to stderr for each frame that a
// panic unwinds: "2:5: panic: main.g(...)".
var panicLine = regexp.MustCompile(`^(?:\S+\.go:)?(\d+):(\d+): panic: (\S*)\(\.\.\.\)\n?$`)

// streamWriter is the interpreter's stdout or stderr.
type streamWriter struct {
	r    *router
	name string
}

func (w streamWriter) Write(p []byte) (int, error) {
	if w.name == "stderr" && panicLine.Match(p) {
		w.r.mu.Lock()
		w.r.panics = append(w.r.panics, string(p))
		w.r.mu.Unlock()
		return len(p), nil
	}
	w.r.Stream(w.name, string(p))
	return len(p), nil
}

// globals returns the interpreter's global variables and constants. After a
// chunk that failed to compile, yaegi's Globals can index past its frame
// (the failed chunk's symbols stay declared but have no storage until the
// next run resizes the frame); then a no-op statement is run to resize it.
func (s *Session) globals() map[string]reflect.Value {
	if g, ok := tryGlobals(s.in); ok {
		return g
	}
	s.in.Eval("_ = 0")
	if g, ok := tryGlobals(s.in); ok {
		return g
	}
	return map[string]reflect.Value{}
}

func tryGlobals(in *interp.Interpreter) (g map[string]reflect.Value, ok bool) {
	defer func() {
		if recover() != nil {
			g, ok = nil, false
		}
	}()
	return in.Globals(), true
}

// stdinReader is the cells' standard input (fmt.Scan…, os.Stdin): lines
// asked from the running cell's sink when it is a display.Inputter
// (Jupyter's input_request, the terminal), the fallback reader otherwise.
type stdinReader struct {
	r        *router
	fallback io.Reader
	mu       sync.Mutex
	buf      []byte // the rest of the last line read
}

func (in *stdinReader) Read(p []byte) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.buf) == 0 {
		asker, ok := in.r.current().(display.Inputter)
		if !ok {
			return in.fallback.Read(p)
		}
		line, err := asker.Input("", false)
		if err != nil {
			return 0, err
		}
		in.buf = []byte(line + "\n")
	}
	n := copy(p, in.buf)
	in.buf = in.buf[n:]
	return n, nil
}
