package view

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"xprompt/display"
)

var liveCounter atomic.Uint64

// LiveDisplay is a display that updates in place: the first Show sends
// Display(b, id, false), later ones Display(b, id, true), so a progress line
// or a loss plot redraws where it was first shown. It is safe for use from
// several goroutines.
type LiveDisplay struct {
	sink  display.Sink
	id    string
	mu    sync.Mutex
	shown bool
}

// NewLiveDisplay returns a live display writing to sink with a fresh id.
func NewLiveDisplay(sink display.Sink) *LiveDisplay {
	id := fmt.Sprintf("live-%d-%d", time.Now().UnixNano(), liveCounter.Add(1))
	return &LiveDisplay{sink: sink, id: id}
}

// String names the display.
func (l *LiveDisplay) String() string { return "LiveDisplay " + l.id }

// ID returns the display id.
func (l *LiveDisplay) ID() string { return l.id }

// Show displays b, replacing what this display showed before.
func (l *LiveDisplay) Show(b display.Bundle) {
	l.mu.Lock()
	update := l.shown
	l.shown = true
	l.mu.Unlock()
	l.sink.Display(b, l.id, update)
}

// Text shows a line of text (a progress line).
func (l *LiveDisplay) Text(s string) { l.Show(display.Text(s)) }

// Value shows Render(v).
func (l *LiveDisplay) Value(v any) { l.Show(Render(v)) }

// Progress shows "label [#####     ] done/total" with a bar of 20 cells.
func (l *LiveDisplay) Progress(label string, done, total int) {
	l.Text(ProgressLine(label, done, total))
}

// ProgressLine formats a progress bar of 20 cells: "label [#####.....] 5/20".
func ProgressLine(label string, done, total int) string {
	const cells = 20
	filled := 0
	if total > 0 {
		filled = min(cells, max(0, done*cells/total))
	}
	bar := make([]byte, cells)
	for i := range bar {
		bar[i] = '.'
		if i < filled {
			bar[i] = '#'
		}
	}
	return fmt.Sprintf("%s [%s] %d/%d", label, bar, done, total)
}
