package kernel

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"xprompt/display"
)

// Output of cells on IOPub. A print loop makes one Stream call per line;
// published one by one they would be one IOPub message each, and zmq4's PUB
// queue (unbounded in v0.17.0) grows without limit when a subscriber reads
// slowly. So, as ipykernel does, stream text is coalesced: it is published
// when streamFlushBytes have gathered, streamFlushInterval after the first
// unpublished write, before any other message of the cell, and when the cell
// ends. Then all output goes through an outputBudget (a token bucket of
// bytes): output beyond it is dropped and replaced by one stated
// "[output truncated …]" line on stderr once the budget refills. Last, the
// PUB socket's high-water mark bounds the messages zmq4 queues.

const (
	streamFlushBytes    = 64 << 10
	streamFlushInterval = 50 * time.Millisecond
	// pubHighWaterMark bounds zmq4's PUB queue (messages, at most about
	// streamFlushBytes each for streams).
	pubHighWaterMark = 1024
)

// OutputLimits bound the rate of a kernel's IOPub output: Burst bytes at
// once, refilled at Rate bytes a second.
type OutputLimits struct {
	Rate, Burst int
}

// DefaultOutputLimits let 8 MiB/s of output through, with bursts of 64 MiB
// (a few large plots at once).
var DefaultOutputLimits = OutputLimits{Rate: 8 << 20, Burst: 64 << 20}

// WithOutputLimits sets the output rate limits (DefaultOutputLimits otherwise).
func WithOutputLimits(l OutputLimits) Option { return func(o *options) { o.output = l } }

// outputBudget is a token bucket of output bytes shared by the kernel's cells.
type outputBudget struct {
	lim OutputLimits

	mu         sync.Mutex
	tokens     float64
	last       time.Time
	dropped    int // bytes dropped since the last marker
	msgs       int // messages dropped since the last marker
	lastMarker time.Time
}

func newOutputBudget(l OutputLimits) *outputBudget {
	return &outputBudget{lim: l, tokens: float64(l.Burst), last: time.Now()}
}

// take reports whether n bytes may be published now; if not, they count as
// dropped.
func (b *outputBudget) take(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = min(float64(b.lim.Burst), b.tokens+now.Sub(b.last).Seconds()*float64(b.lim.Rate))
	b.last = now
	if float64(n) <= b.tokens {
		b.tokens -= float64(n)
		return true
	}
	b.dropped += n
	b.msgs++
	return false
}

// marker returns the truncation line owed, if output was dropped, and
// resets the count. It says so at most once a second unless force is set
// (at the end of a cell), so that a flood makes few markers.
func (b *outputBudget) marker(force bool) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropped == 0 || (!force && time.Since(b.lastMarker) < time.Second) {
		return ""
	}
	text := fmt.Sprintf("[output truncated: %d bytes in %d messages dropped: more than %d KiB/s of output]\n", b.dropped, b.msgs, b.lim.Rate>>10)
	b.dropped, b.msgs, b.lastMarker = 0, 0, time.Now()
	return text
}

func (l OutputLimits) validate() error {
	if l.Rate < 1024 || l.Burst < 2*streamFlushBytes {
		return fmt.Errorf("kernel: bad output limits %+v (want Rate ≥ 1024 B/s, Burst ≥ %d B)", l, 2*streamFlushBytes)
	}
	return nil
}

// newCellSink returns the sink of the cell whose request header is parent.
func (k *Kernel) newCellSink(parent json.RawMessage, quiet bool) *cellSink {
	return &cellSink{pub: k.pub, budget: k.budget, parent: parent, quiet: quiet}
}

// cellSink publishes a running cell's output on IOPub with the execute
// request as parent, coalescing its streams (see above). It is safe for
// concurrent use, and goes on working after the cell ends (for output that a
// cell left running produces later).
type cellSink struct {
	pub    *publisher
	budget *outputBudget
	parent json.RawMessage
	quiet  bool // silent execution: publish nothing
	// input asks the client for a line (input_request); nil when the
	// request did not allow stdin.
	input func(prompt string, password bool) (string, error)

	mu    sync.Mutex
	name  string // stream of the pending text
	text  []byte
	timer *time.Timer
}

// Input implements display.Inputter: pending output goes out first, so the
// prompt follows what the cell printed before it.
func (s *cellSink) Input(prompt string, password bool) (string, error) {
	if s.input == nil {
		return "", errNoStdin
	}
	s.flush()
	return s.input(prompt, password)
}

// Stream gathers a stream message; names other than "stderr" go to stdout.
func (s *cellSink) Stream(name, text string) {
	if s.quiet || text == "" {
		return
	}
	if name != "stderr" {
		name = "stdout"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.text) > 0 && s.name != name {
		s.flushLocked()
	}
	s.name = name
	s.text = append(s.text, text...)
	if len(s.text) >= streamFlushBytes {
		s.flushLocked()
		return
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(streamFlushInterval, s.flush)
	}
}

// flush publishes the pending stream text (the timer's flush).
func (s *cellSink) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
}

// end publishes the pending stream text at the end of the cell, and the
// truncation marker owed.
func (s *cellSink) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
	if m := s.budget.marker(true); m != "" && !s.quiet {
		s.pub.publish(s.parent, "stream", map[string]any{"name": "stderr", "text": m})
	}
}

func (s *cellSink) flushLocked() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if len(s.text) == 0 {
		return
	}
	name, text := s.name, string(s.text)
	if cap(s.text) > streamFlushBytes*2 {
		s.text = nil // do not keep a large buffer
	} else {
		s.text = s.text[:0]
	}
	s.publish("stream", len(text), map[string]any{"name": name, "text": text})
}

// publish sends one message of about n bytes if the budget allows, after
// the truncation marker owed.
func (s *cellSink) publish(msgType string, n int, content map[string]any) {
	if m := s.budget.marker(false); m != "" {
		s.pub.publish(s.parent, "stream", map[string]any{"name": "stderr", "text": m})
	}
	if s.budget.take(n) {
		s.pub.publish(s.parent, msgType, content)
	}
}

// Display publishes display_data, or update_display_data when update is set
// and id names the display. A non-empty id goes to transient.display_id.
func (s *cellSink) Display(b display.Bundle, id string, update bool) {
	if s.quiet {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
	data, md := encodeBundle(b)
	transient := map[string]any{}
	if id != "" {
		transient["display_id"] = id
	}
	msgType := "display_data"
	if update && id != "" {
		msgType = "update_display_data"
	}
	s.publish(msgType, bundleBytes(data), map[string]any{"data": data, "metadata": md, "transient": transient})
}

// bundleBytes estimates the size of encoded display data.
func bundleBytes(data map[string]any) int {
	n := 0
	for mime, v := range data {
		n += len(mime)
		switch v := v.(type) {
		case string:
			n += len(v)
		case json.RawMessage:
			n += len(v)
		default:
			n += 64
		}
	}
	return n
}
