// Package display is the rich-output model shared by the terminal REPL and the
// Jupyter kernel: a value renders as a Bundle of MIME representations (PNG,
// HTML, Markdown, plain text), and long-running work writes to a Sink that can
// update an earlier display in place (progress lines, live loss plots).
package display
