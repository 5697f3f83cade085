// Package repl is the terminal front end of xprompt: a read-eval-print loop
// over a session.Session, with line editing, history and tab completion
// (github.com/chzyer/readline).
//
// On a terminal it shows ">>> " and, while a cell is incomplete (an open
// brace, a trailing operator), "... ". Ctrl-C interrupts a running cell (its
// context is cancelled) or clears the line being typed; Ctrl-D on an empty
// line exits, and a Ctrl-D typed while a cell runs is ignored. History is
// kept in $XDG_STATE_HOME/xprompt/history, or ~/.xprompt_history.
//
// Results and displays print as text; images are drawn inline with 24-bit
// colour half blocks when COLORTERM is truecolor or 24bit, and are otherwise
// saved as PNG files whose paths are printed. A display updated in place
// (a progress line) is redrawn where it was on a terminal.
//
// When standard input is not a terminal, cells are read from it without a
// prompt: a cell ends at the first line where the accumulated input is
// complete. Errors print as "error: …" and the loop goes on; Run returns nil
// at end of input unless Options.ExitOnError is set and a cell failed.
package repl
