package main

import (
	"fmt"

	"xprompt/display"
	"xprompt/repl"
	"xprompt/session"
	_ "xprompt/session/xpmagic" // registers the X-Prompt magics
)

func init() {
	register("repl", "interactive Go session with the project's packages (the default)", runRepl)
}

// newSession returns a Go session with the default imports and every magic,
// the evaluator of the REPL and of the Jupyter kernel (cmd_kernel.go).
func newSession() (display.Evaluator, error) { return session.New(session.Options{}) }

// runRepl implements `xprompt [repl] [--exit-on-error] [--history FILE]
// [--images DIR] [--device NAME]`. On a terminal it is the interactive
// loop; with piped input it runs the cells it reads and exits at the end.
func runRepl(args []string) error {
	fs := newFlags("repl", "[--exit-on-error] [--history FILE] [--images DIR] [--device NAME]")
	exitOnError := fs.Bool("exit-on-error", false, "stop at the first failed cell with exit status 1 (piped input)")
	history := fs.String("history", "", `history file ("" = $XDG_STATE_HOME/xprompt/history or ~/.xprompt_history, "-" = none)`)
	images := fs.String("images", "", "folder for images that cannot be drawn in the terminal (default: a temporary folder)")
	device := fs.String("device", deviceDefault(), "initial "+deviceNames+"; see %device")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	dev, err := resolveDevice(*device)
	if err != nil {
		return err
	}
	s, err := session.New(session.Options{Device: dev})
	if err != nil {
		return err
	}
	return repl.Run(repl.Options{Session: s, HistoryFile: *history, ImageDir: *images, ExitOnError: *exitOnError})
}
