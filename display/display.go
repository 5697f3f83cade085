package display

import "context"

// MIME types used across the project.
const (
	MIMEText     = "text/plain"
	MIMEHTML     = "text/html"
	MIMEMarkdown = "text/markdown"
	MIMEPNG      = "image/png"
	MIMESVG      = "image/svg+xml"
	MIMEJSON     = "application/json"
)

// Bundle is one displayable value: MIME type → content. Text types hold a
// string; image/png holds the raw PNG bytes ([]byte) — front ends encode them
// as they need (base64 for Jupyter, half-blocks or a file for a terminal).
type Bundle struct {
	Data     map[string]any
	Metadata map[string]any
}

// PageMetadata is the metadata key that marks a result for the front end's
// pager (help text, documentation): Jupyter shows it beside the notebook
// through the execute reply's "page" payload rather than as the cell's
// output; a terminal prints it.
const PageMetadata = "xprompt/page"

// Page returns b marked for the pager (PageMetadata).
func Page(b Bundle) Bundle {
	md := map[string]any{PageMetadata: true}
	for k, v := range b.Metadata {
		md[k] = v
	}
	return Bundle{Data: b.Data, Metadata: md}
}

// IsPage reports whether b is marked for the pager.
func (b Bundle) IsPage() bool {
	p, _ := b.Metadata[PageMetadata].(bool)
	return p
}

// Text returns a bundle holding only plain text.
func Text(s string) Bundle { return Bundle{Data: map[string]any{MIMEText: s}} }

// SVG returns a bundle that shows the SVG document svg as an image, and as
// its source where images cannot be shown.
func SVG(svg string) Bundle {
	return Bundle{Data: map[string]any{MIMESVG: svg, MIMEText: svg}}
}

// Markdown returns a bundle that notebooks show as formatted Markdown and a
// terminal as its source.
func Markdown(md string) Bundle {
	return Bundle{Data: map[string]any{MIMEMarkdown: md, MIMEText: md}}
}

// HTML returns a bundle that notebooks show as HTML; text is what a
// terminal shows instead.
func HTML(html, text string) Bundle {
	return Bundle{Data: map[string]any{MIMEHTML: html, MIMEText: text}}
}

// PlainText returns the text/plain representation of b, or "".
func (b Bundle) PlainText() string {
	s, _ := b.Data[MIMEText].(string)
	return s
}

// Sink receives the output of a running cell. Implementations must be safe for
// use from several goroutines.
type Sink interface {
	// Stream writes text to the named stream, "stdout" or "stderr".
	Stream(name, text string)
	// Display shows b. A non-empty id names the display so that a later call
	// with the same id and update=true replaces it in place.
	Display(b Bundle, id string, update bool)
}

// Inputter is implemented by sinks that can ask the user for a line of
// input while a cell runs: Jupyter's input_request, a terminal. Input
// returns the line without its newline, or an error when there is no input
// to be had (io.EOF at the end of piped input).
type Inputter interface {
	Input(prompt string, password bool) (string, error)
}

// Displayer is implemented by values that know how to render themselves.
type Displayer interface {
	Display() Bundle
}

// CellError is the error a cell reports: a name, a message and a traceback.
type CellError struct {
	Name      string
	Value     string
	Traceback []string
}

func (e *CellError) Error() string { return e.Name + ": " + e.Value }

// CompletionStatus values returned by Evaluator.IsComplete.
const (
	Complete   = "complete"
	Incomplete = "incomplete"
	Invalid    = "invalid"
	Unknown    = "unknown"
)

// Evaluator runs cells. The session package implements it; the REPL and the
// Jupyter kernel drive it.
type Evaluator interface {
	// Eval runs one cell. Output goes to sink while it runs; the value of
	// the cell's last expression, if any, is returned as a bundle. Errors
	// (including recovered panics) are returned as *CellError. Cancelling
	// ctx interrupts the cell.
	Eval(ctx context.Context, code string, sink Sink) (*Bundle, error)
	// Complete returns candidate completions for the text before cursor
	// (a byte offset), and the byte range [start, end) they replace.
	Complete(code string, cursor int) (matches []string, start, end int)
	// Inspect returns documentation for the symbol at cursor.
	Inspect(code string, cursor int) (Bundle, bool)
	// IsComplete tells whether code is a complete cell; indent is a
	// suggested indentation for the next line when incomplete.
	IsComplete(code string) (status, indent string)
}
