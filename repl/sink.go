package repl

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"xprompt/display"
	"xprompt/img"
)

// MaxImageColumns is the widest an image is drawn with half blocks; wider
// images are shrunk by an integer factor (nearest pixel).
const MaxImageColumns = 64

// printer writes cell output and displays to the terminal or pipe. It is a
// display.Sink, safe for use from several goroutines.
type printer struct {
	mu       sync.Mutex
	out, err io.Writer
	term     bool   // a terminal: in-place updates with cursor movement
	color    bool   // 24-bit colour: images as half blocks
	imageDir string // where images are saved otherwise
	saved    int

	lastID    string // the display printed last, if it had an id
	lastLines int    // how many lines it took
	atBOL     bool   // the output is at the start of a line
}

func newPrinter(out, errw io.Writer, term, color bool, imageDir string) *printer {
	return &printer{out: out, err: errw, term: term, color: color, imageDir: imageDir, atBOL: true}
}

// Stream implements display.Sink.
func (p *printer) Stream(name, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.out
	if name == "stderr" {
		w = p.err
	}
	io.WriteString(w, text)
	if text != "" {
		p.atBOL = strings.HasSuffix(text, "\n")
	}
	p.lastID = ""
}

// Display implements display.Sink. An update of the display printed last is
// redrawn in place on a terminal; otherwise it prints anew.
func (p *printer) Display(b display.Bundle, id string, update bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	text := p.render(b)
	if !p.atBOL {
		io.WriteString(p.out, "\n")
	}
	if update && p.term && id != "" && id == p.lastID && p.lastLines > 0 {
		// Cursor up to the first line of the old display, clear to the end.
		fmt.Fprintf(p.out, "\r\x1b[%dA\x1b[J", p.lastLines)
	}
	io.WriteString(p.out, text)
	p.atBOL = true
	p.lastID, p.lastLines = id, strings.Count(text, "\n")
}

// result prints the value of a cell.
func (p *printer) result(b *display.Bundle) {
	if b == nil || len(b.Data) == 0 {
		return
	}
	p.Display(*b, "", false)
	p.mu.Lock()
	p.lastID = ""
	p.mu.Unlock()
}

// error prints an error line (and further traceback lines, indented).
func (p *printer) error(name, value string, traceback []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.atBOL {
		io.WriteString(p.out, "\n")
	}
	var sb strings.Builder
	sb.WriteString("error: ")
	if name != "" {
		sb.WriteString(name + ": ")
	}
	sb.WriteString(value + "\n")
	for i, l := range traceback {
		if i == 0 && strings.Contains(l, value) {
			continue // the first line repeats the message
		}
		sb.WriteString(l + "\n")
	}
	io.WriteString(p.out, sb.String())
	p.atBOL, p.lastID = true, ""
}

// render returns the text a bundle prints as, ending in a newline: an image
// (half blocks or a saved file) followed by its text, or the text alone.
func (p *printer) render(b display.Bundle) string {
	text := b.PlainText()
	if text == "" {
		if md, ok := b.Data[display.MIMEMarkdown].(string); ok {
			text = md
		} else if _, ok := b.Data[display.MIMEHTML]; ok {
			text = "(HTML output)"
		}
	}
	var sb strings.Builder
	if raw, ok := b.Data[display.MIMEPNG].([]byte); ok {
		sb.WriteString(p.image(raw))
	}
	if text != "" {
		sb.WriteString(text)
		if !strings.HasSuffix(text, "\n") {
			sb.WriteString("\n")
		}
	}
	return sb.String()
}

// image draws a PNG with half blocks, or saves it and returns a line naming
// the file.
func (p *printer) image(raw []byte) string {
	m, err := img.DecodeBytes(raw, "display") // size-capped from the header
	if err != nil {
		return fmt.Sprintf("[image: %v]\n", err)
	}
	if p.color {
		return img.HalfBlocks(shrink(m, MaxImageColumns))
	}
	dir := p.imageDir
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "xprompt-images")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Sprintf("[image not saved: %v]\n", err)
	}
	f, err := os.CreateTemp(dir, "image-*.png")
	if err != nil {
		return fmt.Sprintf("[image not saved: %v]\n", err)
	}
	_, werr := f.Write(raw)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Sprintf("[image not saved: %v]\n", werr)
	}
	p.saved++
	return fmt.Sprintf("[image %d×%d saved to %s]\n", m.W, m.H, f.Name())
}

// shrink returns m reduced by the smallest integer factor f that makes it at
// most maxW wide, sampling the centre pixel of each f×f block (exact for
// images enlarged by pixel repetition).
func shrink(m *img.Image, maxW int) *img.Image {
	f := (m.W + maxW - 1) / maxW
	if f <= 1 {
		return m
	}
	w, h := max(1, m.W/f), max(1, m.H/f)
	out := img.New(w, h)
	for y := range h {
		for x := range w {
			r, g, b := m.At(min(x*f+f/2, m.W-1), min(y*f+f/2, m.H-1))
			out.Set(x, y, r, g, b)
		}
	}
	return out
}
