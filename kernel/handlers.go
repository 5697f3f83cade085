package kernel

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"xprompt/display"
)

// outcome tells the worker what to do after a shell request.
type outcome int

const (
	handled    outcome = iota
	abortQueue         // an execute failed with stop_on_error: abort queued executes
	stopKernel         // shutdown_request: stop serving
)

// handleShell handles one shell request between busy and idle status
// messages. It never lets a panic escape: the worker must survive.
func (k *Kernel) handleShell(req *request) (out outcome) {
	k.pub.status(req.RawHeader, "busy")
	defer k.pub.status(req.RawHeader, "idle")
	defer k.recoverHandler(req, &out)
	switch t := req.Header.MsgType; t {
	case "execute_request":
		return k.execute(req)
	case "kernel_info_request":
		k.reply(req, "kernel_info_reply", k.kernelInfo())
	case "complete_request":
		k.complete(req)
	case "inspect_request":
		k.inspect(req)
	case "is_complete_request":
		k.isComplete(req)
	case "history_request":
		k.historyReply(req)
	case "comm_info_request":
		k.reply(req, "comm_info_reply", map[string]any{"status": "ok", "comms": map[string]any{}})
	case "comm_open":
		k.commOpen(req)
	case "comm_msg", "comm_close":
		// No comm is ever open, so there is nothing to deliver them to.
	case "shutdown_request":
		k.shutdown(req)
		return stopKernel
	default:
		k.logf("kernel: unknown message type %q on shell", t)
	}
	return handled
}

// handleControl handles a control request at once, on the control reader's
// goroutine, while a cell may be running.
func (k *Kernel) handleControl(req *request) {
	var out outcome
	func() {
		k.pub.status(req.RawHeader, "busy")
		defer k.pub.status(req.RawHeader, "idle")
		defer k.recoverHandler(req, &out)
		switch t := req.Header.MsgType; t {
		case "interrupt_request":
			k.Interrupt()
			k.reply(req, "interrupt_reply", map[string]any{"status": "ok"})
		case "shutdown_request":
			k.shutdown(req)
			out = stopKernel
		case "kernel_info_request":
			k.reply(req, "kernel_info_reply", k.kernelInfo())
		default:
			k.logf("kernel: unknown message type %q on control", t)
		}
	}()
	if out == stopKernel {
		k.requestStop()
	}
}

// recoverHandler turns a panic while handling req into a log line and, for
// a request, an error reply, so that the client is not left waiting.
func (k *Kernel) recoverHandler(req *request, out *outcome) {
	r := recover()
	if r == nil {
		return
	}
	k.logf("kernel: panic handling %s: %v\n%s", req.Header.MsgType, r, debug.Stack())
	*out = handled
	if t := req.Header.MsgType; strings.HasSuffix(t, "_request") {
		msg := fmt.Sprint(r)
		k.reply(req, replyType(t), map[string]any{
			"status": "error", "ename": "panic", "evalue": msg, "traceback": []string{"panic: " + msg},
		})
	}
}

// decode unmarshals the content of req into v; on failure it logs, replies
// with an error status and returns false.
func (k *Kernel) decode(req *request, v any) bool {
	if err := json.Unmarshal(req.Content, v); err != nil {
		k.logf("kernel: bad %s content: %v", req.Header.MsgType, err)
		k.reply(req, replyType(req.Header.MsgType), map[string]any{
			"status": "error", "ename": "BadRequest", "evalue": err.Error(), "traceback": []string{"BadRequest: " + err.Error()},
		})
		return false
	}
	return true
}

// replyType maps "x_request" to "x_reply".
func replyType(t string) string { return strings.TrimSuffix(t, "_request") + "_reply" }

type languageInfo struct {
	Name              string `json:"name"`
	Version           string `json:"version"`
	MIMEType          string `json:"mimetype"`
	FileExtension     string `json:"file_extension"`
	PygmentsLexer     string `json:"pygments_lexer"`
	CodemirrorMode    string `json:"codemirror_mode"`
	NbconvertExporter string `json:"nbconvert_exporter"`
}

type kernelInfoReply struct {
	Status                string       `json:"status"`
	ProtocolVersion       string       `json:"protocol_version"`
	Implementation        string       `json:"implementation"`
	ImplementationVersion string       `json:"implementation_version"`
	LanguageInfo          languageInfo `json:"language_info"`
	Banner                string       `json:"banner"`
	HelpLinks             []any        `json:"help_links"`
	Debugger              bool         `json:"debugger"`
}

func (k *Kernel) kernelInfo() kernelInfoReply {
	return kernelInfoReply{
		Status:                "ok",
		ProtocolVersion:       ProtocolVersion,
		Implementation:        "xprompt",
		ImplementationVersion: ImplementationVersion,
		LanguageInfo: languageInfo{
			Name:              "go",
			Version:           strings.TrimPrefix(runtime.Version(), "go"),
			MIMEType:          "text/x-go",
			FileExtension:     ".go",
			PygmentsLexer:     "go",
			CodemirrorMode:    "go",
			NbconvertExporter: "script",
		},
		Banner:    k.opt.banner,
		HelpLinks: []any{},
	}
}

// cursorRequest is the content of complete_request and inspect_request.
// CursorPos counts Unicode code points (protocol ≥ 5.2); nil means the end.
type cursorRequest struct {
	Code        string `json:"code"`
	CursorPos   *int   `json:"cursor_pos"`
	DetailLevel int    `json:"detail_level"`
}

// byteCursor converts the request's code-point cursor to a byte offset in
// Code, clamped to [0, len(Code)].
func (c cursorRequest) byteCursor() int {
	if c.CursorPos == nil {
		return len(c.Code)
	}
	return runeToByte(c.Code, *c.CursorPos)
}

// runeToByte returns the byte offset of code point n of s, clamped.
func runeToByte(s string, n int) int {
	if n <= 0 {
		return 0
	}
	i := 0
	for b := range s {
		if i == n {
			return b
		}
		i++
	}
	return len(s)
}

// byteToRune returns the number of code points in s[:b], with b clamped.
func byteToRune(s string, b int) int {
	b = max(0, min(b, len(s)))
	return utf8.RuneCountInString(s[:b])
}

func (k *Kernel) complete(req *request) {
	var c cursorRequest
	if !k.decode(req, &c) {
		return
	}
	cursor := c.byteCursor()
	matches, start, end := k.ev.Complete(c.Code, cursor)
	if matches == nil {
		matches = []string{}
	}
	start = max(0, min(start, len(c.Code)))
	end = max(start, min(end, len(c.Code)))
	k.reply(req, "complete_reply", map[string]any{
		"status":       "ok",
		"matches":      matches,
		"cursor_start": byteToRune(c.Code, start),
		"cursor_end":   byteToRune(c.Code, end),
		"metadata":     map[string]any{},
	})
}

func (k *Kernel) inspect(req *request) {
	var c cursorRequest
	if !k.decode(req, &c) {
		return
	}
	b, found := k.ev.Inspect(c.Code, c.byteCursor())
	data, md := map[string]any{}, map[string]any{}
	if found {
		data, md = encodeBundle(b)
	}
	k.reply(req, "inspect_reply", map[string]any{"status": "ok", "found": found, "data": data, "metadata": md})
}

func (k *Kernel) isComplete(req *request) {
	var c struct {
		Code string `json:"code"`
	}
	if !k.decode(req, &c) {
		return
	}
	status, indent := k.ev.IsComplete(c.Code)
	switch status {
	case display.Complete, display.Invalid, display.Unknown:
		k.reply(req, "is_complete_reply", map[string]any{"status": status})
	case display.Incomplete:
		k.reply(req, "is_complete_reply", map[string]any{"status": status, "indent": indent})
	default:
		k.logf("kernel: evaluator returned completion status %q; replying unknown", status)
		k.reply(req, "is_complete_reply", map[string]any{"status": display.Unknown})
	}
}

// commOpen answers a comm_open for a target the kernel does not have the way
// ipykernel does: by closing the comm, so the front end does not wait on it.
func (k *Kernel) commOpen(req *request) {
	var c struct {
		CommID     string `json:"comm_id"`
		TargetName string `json:"target_name"`
	}
	if err := json.Unmarshal(req.Content, &c); err != nil || c.CommID == "" {
		k.logf("kernel: comm_open without a comm_id: %v", err)
		return
	}
	k.logf("kernel: no comm target %q; closing comm %s", c.TargetName, c.CommID)
	k.pub.publish(req.RawHeader, "comm_close", map[string]any{"comm_id": c.CommID, "data": map[string]any{}})
}

// shutdown replies on the socket the request came from, and tells every
// client on IOPub, as ipykernel does.
func (k *Kernel) shutdown(req *request) {
	var c struct {
		Restart bool `json:"restart"`
	}
	if err := json.Unmarshal(req.Content, &c); err != nil {
		k.logf("kernel: bad shutdown_request content (%v); shutting down anyway", err)
	}
	content := map[string]any{"status": "ok", "restart": c.Restart}
	k.reply(req, "shutdown_reply", content)
	k.pub.publish(req.RawHeader, "shutdown_reply", content)
	k.logf("kernel: shutdown requested on %s (restart=%v)", req.channel, c.Restart)
}

// panicError turns a recovered panic into a cell error with the stack.
func panicError(r any) *display.CellError {
	lines := strings.Split(strings.TrimRight(string(debug.Stack()), "\n"), "\n")
	return &display.CellError{Name: "panic", Value: fmt.Sprint(r), Traceback: append([]string{fmt.Sprintf("panic: %v", r)}, lines...)}
}
