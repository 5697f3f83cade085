package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chzyer/readline"

	"xprompt/display"
	"xprompt/session"
)

// Prompts of the terminal loop.
const (
	Prompt         = ">>> "
	ContinuePrompt = "... "
)

// ErrCellFailed is returned by Run when Options.ExitOnError is set and a
// cell failed.
var ErrCellFailed = errors.New("repl: a cell failed")

// Options configures Run. The zero value reads os.Stdin and writes
// os.Stdout with a new session.
type Options struct {
	In       io.Reader // default os.Stdin
	Out, Err io.Writer // default os.Stdout, os.Stderr
	// Session evaluates the cells; nil creates one with session.New.
	Session *session.Session
	// Terminal forces the interactive loop on (true) or off (false); nil
	// decides from whether In and Out are terminals.
	Terminal *bool
	// HistoryFile is the terminal loop's history; "" means DefaultHistoryFile(),
	// "-" none.
	HistoryFile string
	// ImageDir is where images are saved when they cannot be drawn; ""
	// means a folder in the system's temporary directory.
	ImageDir string
	// ExitOnError stops at the first failed cell with ErrCellFailed.
	ExitOnError bool
}

// DefaultHistoryFile returns $XDG_STATE_HOME/xprompt/history when
// XDG_STATE_HOME is set, else ~/.xprompt_history ("" if neither is known).
func DefaultHistoryFile() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "xprompt", "history")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".xprompt_history")
	}
	return ""
}

// Run runs the loop until end of input (Ctrl-D on a terminal).
func Run(opts Options) error {
	if opts.In == nil {
		opts.In = os.Stdin
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if opts.Err == nil {
		opts.Err = os.Stderr
	}
	term := isTerminal(opts.In) && isTerminal(opts.Out)
	if opts.Terminal != nil {
		term = *opts.Terminal
	}
	s := opts.Session
	if s == nil {
		var err error
		if s, err = session.New(session.Options{}); err != nil {
			return err
		}
	}
	ct := os.Getenv("COLORTERM")
	color := term && (ct == "truecolor" || ct == "24bit")
	r := &loop{s: s, opts: opts, p: newPrinter(opts.Out, opts.Err, term, color, opts.ImageDir)}
	if term {
		return r.terminal()
	}
	return r.pipe()
}

func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && readline.IsTerminal(int(file.Fd()))
}

// loop holds the state of one Run.
type loop struct {
	s    *session.Session
	opts Options
	p    *printer

	mu     sync.Mutex
	cancel context.CancelFunc // of the running cell, nil when idle
	failed bool

	// readLine reads a line of the input for a running cell's stdin (the
	// next piped line, or a line typed at the terminal); nil: none.
	readLine func() (string, error)
}

// cellSink is the printer plus the loop's input: what a cell reads from
// standard input (fmt.Scanln) comes from the REPL's own input.
type cellSink struct {
	*printer
	readLine func() (string, error)
}

// Input implements display.Inputter.
func (c cellSink) Input(prompt string, password bool) (string, error) {
	if c.readLine == nil {
		return "", io.EOF
	}
	if prompt != "" {
		c.Stream("stdout", prompt)
	}
	return c.readLine()
}

// eval runs one cell, printing its output, result or error. A SIGINT while
// it runs cancels it.
func (r *loop) eval(code string) {
	if strings.TrimSpace(code) == "" {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	r.cancel = cancel
	r.mu.Unlock()
	res, err := r.s.Eval(ctx, code, cellSink{r.p, r.readLine})
	r.mu.Lock()
	r.cancel = nil
	r.mu.Unlock()
	cancel()
	if err != nil {
		r.failed = true
		var ce *display.CellError
		if errors.As(err, &ce) {
			if ce.Name == "Interrupted" && r.p.term {
				r.p.Stream("stdout", "\n") // after the terminal's echo of ^C
			}
			r.p.error(ce.Name, ce.Value, ce.Traceback)
		} else {
			r.p.error("", err.Error(), nil)
		}
		return
	}
	r.p.result(res)
}

// interrupt cancels the running cell and reports whether there was one.
func (r *loop) interrupt() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel == nil {
		return false
	}
	r.cancel()
	return true
}

// watchInterrupts turns SIGINT into interrupts of the running cell until
// the returned function is called.
func (r *loop) watchInterrupts() (stop func()) {
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sigc:
				r.interrupt()
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(sigc)
		close(done)
	}
}

// pipe reads cells from a non-terminal input: a cell ends at the first line
// where the accumulated text is complete (or invalid: its error is shown).
func (r *loop) pipe() error {
	stop := r.watchInterrupts()
	defer stop()
	in := bufio.NewReader(r.opts.In)
	r.readLine = func() (string, error) {
		line, err := in.ReadString('\n')
		if line == "" && err != nil {
			return "", err
		}
		return strings.TrimSuffix(line, "\n"), nil
	}
	var cell strings.Builder
	for {
		line, err := in.ReadString('\n')
		if line != "" {
			cell.WriteString(strings.TrimSuffix(line, "\n") + "\n")
			if st, _ := r.s.IsComplete(cell.String()); st != display.Incomplete {
				r.eval(cell.String())
				cell.Reset()
				if r.failed && r.opts.ExitOnError {
					return ErrCellFailed
				}
			}
		}
		if err == io.EOF {
			if strings.TrimSpace(cell.String()) != "" {
				r.eval(cell.String())
			}
			if r.failed && r.opts.ExitOnError {
				return ErrCellFailed
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("repl: read input: %w", err)
		}
	}
}

// terminal is the interactive loop with readline.
func (r *loop) terminal() error {
	hist := r.opts.HistoryFile
	if hist == "" {
		hist = DefaultHistoryFile()
		if hist != "" {
			os.MkdirAll(filepath.Dir(hist), 0o755)
		}
	} else if hist == "-" {
		hist = ""
	}
	cfg := &readline.Config{
		Prompt:          Prompt,
		HistoryFile:     hist,
		AutoComplete:    &completer{s: r.s},
		InterruptPrompt: "^C",
		EOFPrompt:       "",
		Stdout:          r.opts.Out,
		Stderr:          r.opts.Err,
	}
	cfg.Stdin = readline.NewCancelableStdin(&ttyInput{r: r.opts.In})
	if f, ok := r.opts.In.(*os.File); ok && f != os.Stdin {
		fd := int(f.Fd())
		var state *readline.State
		cfg.FuncIsTerminal = func() bool { return readline.IsTerminal(fd) }
		cfg.FuncMakeRaw = func() (err error) { state, err = readline.MakeRaw(fd); return err }
		cfg.FuncExitRaw = func() error {
			if state == nil {
				return nil
			}
			return readline.Restore(fd, state)
		}
		cfg.FuncGetWidth = func() int { return readline.GetScreenWidth() }
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return fmt.Errorf("repl: %w", err)
	}
	defer rl.Close()
	r.readLine = func() (string, error) {
		rl.SetPrompt("")
		return rl.Readline()
	}
	stop := r.watchInterrupts()
	defer stop()

	fmt.Fprintln(r.opts.Out, "xprompt: Go cells with the project's packages; %help lists the magics, Ctrl-D exits.")
	var cell strings.Builder
	for {
		if cell.Len() == 0 {
			rl.SetPrompt(Prompt)
		} else {
			rl.SetPrompt(ContinuePrompt)
		}
		r.completerCell(rl, cell.String())
		line, err := rl.Readline()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			cell.Reset()
			continue
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("repl: %w", err)
		}
		cell.WriteString(line + "\n")
		// The suggested indentation is not prefilled: it would land in
		// the middle of pasted or typed-ahead lines.
		if st, _ := r.s.IsComplete(cell.String()); st == display.Incomplete {
			continue
		}
		code := cell.String()
		cell.Reset()
		r.eval(code)
	}
}

// completerCell tells the completer the lines of the cell typed so far.
func (r *loop) completerCell(rl *readline.Instance, cell string) {
	if c, ok := rl.Config.AutoComplete.(*completer); ok {
		c.mu.Lock()
		c.before = cell
		c.mu.Unlock()
	}
}

// completer adapts Session.Complete to readline.
type completer struct {
	s      *session.Session
	mu     sync.Mutex
	before string // earlier lines of the cell being typed
}

// Do implements readline.AutoCompleter: the suffixes that complete the word
// before pos, and the length of that word's part they extend.
func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	c.mu.Lock()
	before := c.before
	c.mu.Unlock()
	code := before + string(line[:pos])
	matches, start, end := c.s.Complete(code, len(code))
	typed := code[start:end]
	var out [][]rune
	for _, m := range matches {
		if strings.HasPrefix(m, typed) {
			out = append(out, []rune(m[len(typed):]))
		}
	}
	return out, len([]rune(typed))
}
