package kernel

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"xprompt/display"
)

// executeRequest is the content of execute_request. StoreHistory and
// StopOnError default to true when absent.
type executeRequest struct {
	Code            string         `json:"code"`
	Silent          bool           `json:"silent"`
	StoreHistory    *bool          `json:"store_history"`
	UserExpressions map[string]any `json:"user_expressions"`
	AllowStdin      bool           `json:"allow_stdin"`
	StopOnError     *bool          `json:"stop_on_error"`
}

// execute runs one cell:
//
//	execute_input → stream / display_data / update_display_data (while it
//	runs) → execute_result or error → execute_reply
//
// store_history (default true, false when silent) advances the execution
// counter and records the cell in the history. silent publishes nothing on
// IOPub but the status messages, as the protocol asks ("as quietly as
// possible"). A failed cell with stop_on_error (default true) makes the
// worker abort the executes already queued.
func (k *Kernel) execute(req *request) outcome {
	var c executeRequest
	if !k.decode(req, &c) {
		return handled
	}
	store := !c.Silent && (c.StoreHistory == nil || *c.StoreHistory)
	stopOnError := c.StopOnError == nil || *c.StopOnError
	if store {
		k.count++
	}
	n := k.count
	if !c.Silent {
		k.pub.publish(req.RawHeader, "execute_input", map[string]any{"code": c.Code, "execution_count": n})
	}
	sink := k.newCellSink(req.RawHeader, c.Silent)
	if c.AllowStdin {
		sink.input = func(prompt string, password bool) (string, error) { return k.input(req, prompt, password) }
	}
	res, err := k.eval(c.Code, sink)
	sink.end() // the cell's streams go out before its result and reply
	if err != nil {
		ename, evalue, tb := errorParts(err)
		if !c.Silent {
			k.pub.publish(req.RawHeader, "error", map[string]any{"ename": ename, "evalue": evalue, "traceback": tb})
		}
		if store {
			k.hist.add(n, c.Code, nil)
		}
		// Only requests queued before the client can see this reply are
		// aborted: one sent in answer to it must run. With stop_on_error
		// the reply waits errorSettle first, so that the rest of a burst
		// the client is still sending (a front end's Run All creates one
		// request per cell, with page updates between them) is dated
		// before the reply and aborted, not run.
		if stopOnError {
			time.Sleep(errorSettle)
		}
		k.toAbort = len(k.shellQ)
		repliedAt := time.Now()
		k.reply(req, "execute_reply", map[string]any{
			"status": "error", "execution_count": n, "ename": ename, "evalue": evalue, "traceback": tb,
		})
		if stopOnError {
			k.aborting.start(repliedAt)
			return abortQueue
		}
		return handled
	}
	var output *string
	payload := []any{}
	if res != nil && len(res.Data) > 0 && res.IsPage() {
		// Documentation goes to the front end's pager, as IPython's "?".
		data, _ := encodeBundle(*res)
		payload = append(payload, map[string]any{"source": "page", "data": data, "start": 0})
	} else if res != nil && len(res.Data) > 0 {
		if !c.Silent {
			data, md := encodeBundle(*res)
			k.pub.publish(req.RawHeader, "execute_result", map[string]any{"execution_count": n, "data": data, "metadata": md})
		}
		if s, ok := res.Data[display.MIMEText].(string); ok {
			output = &s
		}
	}
	if store {
		k.hist.add(n, c.Code, output)
	}
	k.reply(req, "execute_reply", map[string]any{
		"status": "ok", "execution_count": n, "payload": payload, "user_expressions": map[string]any{},
	})
	return handled
}

// eval runs code with a context that Interrupt and shutdown cancel. A panic
// in the evaluator becomes a cell error; an interrupted cell that returns a
// plain error reports it as "Interrupted".
func (k *Kernel) eval(code string, sink display.Sink) (res *display.Bundle, err error) {
	ctx, cancel := context.WithCancel(k.runCtx)
	k.cellMu.Lock()
	k.cellCancel, k.cellCtx, k.interrupted = cancel, ctx, false
	k.cellMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, panicError(r)
		}
		k.cellMu.Lock()
		interrupted := k.interrupted
		k.cellCancel, k.cellCtx, k.interrupted = nil, nil, false
		k.cellMu.Unlock()
		cancel()
		var ce *display.CellError
		if err != nil && interrupted && !errors.As(err, &ce) {
			err = &display.CellError{Name: "Interrupted", Value: err.Error(), Traceback: []string{"Interrupted: " + err.Error()}}
		}
	}()
	return k.ev.Eval(ctx, code, sink)
}

// errorParts returns the ename, evalue and traceback of a cell error. The
// traceback is never empty: front ends show only the traceback.
func errorParts(err error) (ename, evalue string, tb []string) {
	var ce *display.CellError
	if errors.As(err, &ce) {
		ename, evalue, tb = ce.Name, ce.Value, ce.Traceback
	} else {
		ename, evalue = "Error", err.Error()
	}
	if ename == "" {
		ename = "Error"
	}
	if len(tb) == 0 {
		tb = []string{ename + ": " + evalue}
	}
	return ename, evalue, colourTraceback(ename, tb)
}

// ANSI colours of tracebacks, as ipykernel's: the error's name in red,
// positions ("line 3") in green.
const (
	ansiRed   = "\x1b[0;31m"
	ansiGreen = "\x1b[0;32m"
	ansiReset = "\x1b[0m"
)

// cellPosition matches the positions in traceback lines: "line 3" or
// "line 3:5".
var cellPosition = regexp.MustCompile(`\bline \d+(?::\d+)?`)

// colourTraceback returns tb with ANSI colours: a leading "NAME:" in red
// and cell positions in green. Lines that already hold escapes are kept.
func colourTraceback(ename string, tb []string) []string {
	out := make([]string, len(tb))
	for i, line := range tb {
		if strings.Contains(line, "\x1b[") {
			out[i] = line
			continue
		}
		rest, named := strings.CutPrefix(line, ename+":")
		if !named {
			rest = line
		}
		rest = cellPosition.ReplaceAllString(rest, ansiGreen+"$0"+ansiReset)
		if named {
			rest = ansiRed + ename + ansiReset + ":" + rest
		}
		out[i] = rest
	}
	return out
}

// abortQueued replies "aborted" to the execute_requests among the k.toAbort
// requests queued when the failed cell replied (what ipykernel does after a
// failed cell with stop_on_error); other queued requests are handled as usual.
func (k *Kernel) abortQueued() {
	defer func() { k.toAbort = 0 }()
	for ; k.toAbort > 0; k.toAbort-- {
		select {
		case req := <-k.shellQ:
			if req.Header.MsgType != "execute_request" {
				if k.handleShell(req) == stopKernel {
					k.requestStop()
					return
				}
				continue
			}
			k.replyAborted(req)
		default:
			return
		}
	}
}

// replyAborted answers an execute_request that a failed cell aborts.
func (k *Kernel) replyAborted(req *request) {
	k.pub.status(req.RawHeader, "busy")
	k.reply(req, "execute_reply", map[string]any{"status": "aborted"})
	k.pub.status(req.RawHeader, "idle")
}

// encodeBundle returns the JSON form of b's data and metadata: []byte values
// of binary types (image/png…) become base64 strings, []byte values of JSON
// types are embedded as JSON, those of text types become strings, other values are kept if encoding/json can
// encode them and replaced by a note otherwise.
func encodeBundle(b display.Bundle) (data, metadata map[string]any) {
	data = make(map[string]any, len(b.Data))
	var bad []string
	for mime, v := range b.Data {
		switch v := v.(type) {
		case string:
			data[mime] = v
		case []byte:
			switch {
			case strings.HasSuffix(mime, "json") && json.Valid(v):
				data[mime] = json.RawMessage(v)
			case isTextMIME(mime):
				data[mime] = string(v)
			default:
				data[mime] = base64.StdEncoding.EncodeToString(v)
			}
		default:
			if _, err := json.Marshal(v); err != nil {
				bad = append(bad, fmt.Sprintf("%s: %v", mime, err))
				continue
			}
			data[mime] = v
		}
	}
	if len(bad) > 0 {
		if _, ok := data[display.MIMEText]; !ok {
			data[display.MIMEText] = "(cannot encode " + strings.Join(bad, "; ") + ")"
		}
	}
	metadata = map[string]any{}
	if _, err := json.Marshal(b.Metadata); err == nil {
		for key, v := range b.Metadata {
			metadata[key] = v
		}
	}
	return data, metadata
}

// isTextMIME reports whether values of type mime are text in JSON.
func isTextMIME(mime string) bool {
	return strings.HasPrefix(mime, "text/") || strings.HasSuffix(mime, "json") ||
		strings.HasSuffix(mime, "+xml") || mime == "application/javascript"
}
