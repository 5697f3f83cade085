package kernel

import (
	"encoding/base64"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestKernelInfo(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	for _, ch := range []struct {
		name string
		send func() string
		in   chan *message
	}{
		{"shell", func() string { return c.send(c.shell, "kernel_info_request", nil) }, c.shellIn},
		{"control", func() string { return c.send(c.control, "kernel_info_request", nil) }, c.controlIn},
	} {
		id := ch.send()
		rep := c.recvReply(ch.in, id)
		if rep.Header.MsgType != "kernel_info_reply" || rep.Header.Version != "5.3" || rep.Header.Session != h.k.session {
			t.Errorf("%s: header %+v", ch.name, rep.Header)
		}
		got := decodeContent(t, rep)
		want := map[string]any{
			"status": "ok", "protocol_version": "5.3", "implementation": "xprompt",
			"implementation_version": ImplementationVersion, "banner": h.k.opt.banner,
			"help_links": []any{}, "debugger": false,
			"language_info": map[string]any{
				"name": "go", "version": strings.TrimPrefix(runtime.Version(), "go"), "mimetype": "text/x-go",
				"file_extension": ".go", "pygments_lexer": "go", "codemirror_mode": "go", "nbconvert_exporter": "script",
			},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: kernel_info_reply\n got %v\nwant %v", ch.name, got, want)
		}
		if pub := msgTypes(c.iopubUntilIdle(id)); pub != "status:busy status:idle" {
			t.Errorf("%s: IOPub %q, want busy then idle", ch.name, pub)
		}
	}
}

func TestExecuteOutputs(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	code := "out hello\nerr oops\ndisplay d1 first\nupdate d1 second\ndisplay - plain\npng\nvalue 42"
	pub, rep := c.execute(code, nil)
	wantTypes := "status:busy execute_input stream stream display_data update_display_data display_data display_data execute_result status:idle"
	if got := msgTypes(pub); got != wantTypes {
		t.Fatalf("IOPub sequence\n got %s\nwant %s", got, wantTypes)
	}
	type check struct {
		i    int
		want map[string]any
	}
	for _, ck := range []check{
		{1, map[string]any{"code": code, "execution_count": 1.0}},
		{2, map[string]any{"name": "stdout", "text": "hello\n"}},
		{3, map[string]any{"name": "stderr", "text": "oops\n"}},
		{4, map[string]any{"data": map[string]any{"text/plain": "first"}, "metadata": map[string]any{}, "transient": map[string]any{"display_id": "d1"}}},
		{5, map[string]any{"data": map[string]any{"text/plain": "second"}, "metadata": map[string]any{}, "transient": map[string]any{"display_id": "d1"}}},
		{6, map[string]any{"data": map[string]any{"text/plain": "plain"}, "metadata": map[string]any{}, "transient": map[string]any{}}},
		{7, map[string]any{"data": map[string]any{"image/png": fakePNGBase64}, "metadata": map[string]any{}, "transient": map[string]any{}}},
		{8, map[string]any{"execution_count": 1.0, "data": map[string]any{"text/plain": "42", "image/png": fakePNGBase64},
			"metadata": map[string]any{"image/png": map[string]any{"width": 2.0}}}},
	} {
		if got := decodeContent(t, pub[ck.i]); !reflect.DeepEqual(got, ck.want) {
			t.Errorf("%s content\n got %v\nwant %v", pub[ck.i].Header.MsgType, got, ck.want)
		}
	}
	// Every IOPub message names the request as parent, exactly as sent.
	for _, m := range pub {
		if parentID(m) == "" || m.Header.Session != h.k.session {
			t.Errorf("%s: parent %s session %s", m.Header.MsgType, m.Parent, m.Header.Session)
		}
	}
	png, err := base64.StdEncoding.DecodeString(fakePNGBase64)
	if err != nil || string(png) != string(fakePNG) {
		t.Errorf("the hand-encoded base64 does not decode to fakePNG: %v", err)
	}
	if got := decodeContent(t, rep); !reflect.DeepEqual(got, map[string]any{
		"status": "ok", "execution_count": 1.0, "payload": []any{}, "user_expressions": map[string]any{}}) {
		t.Errorf("execute_reply %v", got)
	}
	if rep.Header.MsgType != "execute_reply" {
		t.Errorf("reply type %s", rep.Header.MsgType)
	}
	_, rep = c.execute("out again", nil)
	if n := decodeContent(t, rep)["execution_count"]; n != 2.0 {
		t.Errorf("second cell execution_count %v, want 2", n)
	}
}

func TestExecuteErrors(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	for _, tc := range []struct {
		code   string
		ename  string
		evalue string
		tb     []any
	}{
		// The traceback is coloured as ipykernel's: the name red, positions green.
		{"out before\nfail ValueError bad value", "ValueError", "bad value", []any{"\x1b[0;32mline 1\x1b[0m", "\x1b[0;31mValueError\x1b[0m: bad value"}},
		{"plainerr it broke", "Error", "it broke", []any{"\x1b[0;31mError\x1b[0m: it broke"}},
		{"panic boom", "panic", "boom", nil}, // traceback holds a stack
	} {
		pub, rep := c.execute(tc.code, nil)
		var errMsg *message
		for _, m := range pub {
			if m.Header.MsgType == "error" {
				errMsg = m
			}
		}
		if errMsg == nil {
			t.Fatalf("%q: no error message on IOPub: %s", tc.code, msgTypes(pub))
		}
		for _, got := range []map[string]any{decodeContent(t, errMsg), decodeContent(t, rep)} {
			if got["ename"] != tc.ename || got["evalue"] != tc.evalue {
				t.Errorf("%q: ename/evalue %v/%v, want %s/%s", tc.code, got["ename"], got["evalue"], tc.ename, tc.evalue)
			}
			tb, _ := got["traceback"].([]any)
			if tc.tb != nil && !reflect.DeepEqual(tb, tc.tb) {
				t.Errorf("%q: traceback %v, want %v", tc.code, tb, tc.tb)
			}
			if tc.tb == nil && (len(tb) < 2 || tb[0] != "\x1b[0;31mpanic\x1b[0m: boom") {
				t.Errorf("%q: traceback %v, want panic line and stack", tc.code, tb)
			}
		}
		if s := decodeContent(t, rep)["status"]; s != "error" {
			t.Errorf("%q: reply status %v", tc.code, s)
		}
	}
	// The kernel survived the panic.
	if _, rep := c.execute("out alive", nil); decodeContent(t, rep)["status"] != "ok" {
		t.Errorf("kernel did not survive a panicking cell")
	}
}

func TestSilentAndStoreHistory(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	pub, rep := c.execute("out quiet\nvalue 1", map[string]any{"silent": true})
	if got := msgTypes(pub); got != "status:busy status:idle" {
		t.Errorf("silent cell published %s", got)
	}
	if n := decodeContent(t, rep)["execution_count"]; n != 0.0 {
		t.Errorf("silent cell execution_count %v, want 0", n)
	}
	_, rep = c.execute("out unstored", map[string]any{"store_history": false})
	if n := decodeContent(t, rep)["execution_count"]; n != 0.0 {
		t.Errorf("store_history=false execution_count %v, want 0", n)
	}
	_, rep = c.execute("out stored", nil)
	if n := decodeContent(t, rep)["execution_count"]; n != 1.0 {
		t.Errorf("first stored cell execution_count %v, want 1", n)
	}
	id := c.send(c.shell, "history_request", map[string]any{"hist_access_type": "tail", "n": 10, "output": false, "raw": true})
	hist := decodeContent(t, c.recvReply(c.shellIn, id))["history"]
	if want := []any{[]any{1.0, 1.0, "out stored"}}; !reflect.DeepEqual(hist, want) {
		t.Errorf("history %v, want %v", hist, want)
	}
	if got := h.ev.executed(); len(got) != 3 {
		t.Errorf("evaluator ran %q, want 3 cells", got)
	}
}

func TestStopOnErrorAbortsQueued(t *testing.T) {
	for _, stop := range []bool{true, false} {
		h := startKernel(t)
		c := h.dial()
		first := c.send(c.shell, "execute_request", map[string]any{"code": "gate\nfail E first failed", "stop_on_error": stop})
		waitStarted(t, h.ev, "gate\nfail E first failed")
		second := c.send(c.shell, "execute_request", map[string]any{"code": "out second"})
		third := c.send(c.shell, "execute_request", map[string]any{"code": "out third"})
		waitFor(t, "two queued requests", func() bool { return len(h.k.shellQ) == 2 })
		h.ev.gate <- struct{}{}
		if s := decodeContent(t, c.recvReply(c.shellIn, first))["status"]; s != "error" {
			t.Errorf("stop_on_error=%v: failing cell status %v", stop, s)
		}
		want := "aborted"
		if !stop {
			want = "ok"
		}
		for _, id := range []string{second, third} {
			if s := decodeContent(t, c.recvReply(c.shellIn, id))["status"]; s != want {
				t.Errorf("stop_on_error=%v: queued cell status %v, want %s", stop, s, want)
			}
			if got := msgTypes(c.iopubUntilIdle(id)); stop && got != "status:busy status:idle" {
				t.Errorf("aborted cell published %s", got)
			}
		}
		// A request sent after the failure runs normally.
		if _, rep := c.execute("out later", nil); decodeContent(t, rep)["status"] != "ok" {
			t.Errorf("stop_on_error=%v: cell after the abort did not run", stop)
		}
		ran := h.ev.executed()
		if stop && (len(ran) != 2 || ran[1] != "out later") {
			t.Errorf("evaluator ran %q; the aborted cells must not run", ran)
		}
	}
}

// A cell sent in answer to a failed cell's reply is not aborted: only the
// requests queued before the reply are (a client that waits for the reply
// and sends the next cell at once raced with the abort).
func TestStopOnErrorSparesLaterRequests(t *testing.T) {
	h := startKernel(t)
	// The worker waits, after the failed cell's reply, until the next cell
	// is queued: the slowest worker a client can meet.
	h.k.testHook = func() {
		deadline := time.Now().Add(wait)
		for len(h.k.shellQ) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	c := h.dial()
	if _, rep := c.execute("fail E failed", nil); decodeContent(t, rep)["status"] != "error" {
		t.Fatal("failing cell did not fail")
	}
	if _, rep := c.execute("out next", nil); decodeContent(t, rep)["status"] != "ok" {
		t.Fatalf("the cell sent after the error reply was %v, want ok", decodeContent(t, rep)["status"])
	}
}

func waitStarted(t *testing.T, ev *fakeEvaluator, code string) {
	t.Helper()
	select {
	case got := <-ev.started:
		if got != code {
			t.Fatalf("started %q, want %q", got, code)
		}
	case <-time.After(wait):
		t.Fatalf("cell %q did not start within %v", code, wait)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestCompleteInspectIsComplete(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	// "é" is one code point and two bytes: the protocol counts code points.
	code := "é := Pri"
	id := c.send(c.shell, "complete_request", map[string]any{"code": code, "cursor_pos": 8})
	got := decodeContent(t, c.recvReply(c.shellIn, id))
	want := map[string]any{"status": "ok", "matches": []any{"Print", "Printf", "Println"}, "cursor_start": 5.0, "cursor_end": 8.0, "metadata": map[string]any{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("complete_reply\n got %v\nwant %v", got, want)
	}
	id = c.send(c.shell, "inspect_request", map[string]any{"code": "é Println", "cursor_pos": 9, "detail_level": 0})
	got = decodeContent(t, c.recvReply(c.shellIn, id))
	want = map[string]any{"status": "ok", "found": true, "data": map[string]any{"text/plain": "func Println(a ...any)"}, "metadata": map[string]any{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inspect_reply\n got %v\nwant %v", got, want)
	}
	id = c.send(c.shell, "inspect_request", map[string]any{"code": "nothing", "cursor_pos": 7})
	if got := decodeContent(t, c.recvReply(c.shellIn, id)); got["found"] != false {
		t.Errorf("inspect of an unknown word: %v", got)
	}
	for _, tc := range []struct {
		code string
		want map[string]any
	}{
		{"x := 1", map[string]any{"status": "complete"}},
		{"for {\nif {", map[string]any{"status": "incomplete", "indent": "\t\t"}},
		{"}", map[string]any{"status": "invalid"}},
	} {
		id := c.send(c.shell, "is_complete_request", map[string]any{"code": tc.code})
		if got := decodeContent(t, c.recvReply(c.shellIn, id)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("is_complete %q: %v, want %v", tc.code, got, tc.want)
		}
	}
}

func TestHistory(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	for _, code := range []string{"out a", "value v", "out a", "out b"} {
		c.execute(code, nil)
	}
	for _, tc := range []struct {
		req  map[string]any
		want []any
	}{
		{map[string]any{"hist_access_type": "tail", "n": 2}, []any{[]any{1.0, 3.0, "out a"}, []any{1.0, 4.0, "out b"}}},
		{map[string]any{"hist_access_type": "tail", "n": 10, "unique": true}, []any{[]any{1.0, 2.0, "value v"}, []any{1.0, 3.0, "out a"}, []any{1.0, 4.0, "out b"}}},
		{map[string]any{"hist_access_type": "range", "session": 0, "start": 2, "stop": 4}, []any{[]any{1.0, 2.0, "value v"}, []any{1.0, 3.0, "out a"}}},
		{map[string]any{"hist_access_type": "range", "session": 0, "start": 2, "stop": 3, "output": true}, []any{[]any{1.0, 2.0, []any{"value v", "v"}}}},
		{map[string]any{"hist_access_type": "range", "session": 0, "start": 1, "stop": 2, "output": true}, []any{[]any{1.0, 1.0, []any{"out a", nil}}}},
		{map[string]any{"hist_access_type": "range", "session": -1, "start": 1}, []any{}},
		{map[string]any{"hist_access_type": "search", "pattern": "out *"}, []any{[]any{1.0, 1.0, "out a"}, []any{1.0, 3.0, "out a"}, []any{1.0, 4.0, "out b"}}},
		{map[string]any{"hist_access_type": "search", "pattern": "out ?", "n": 1}, []any{[]any{1.0, 4.0, "out b"}}},
	} {
		id := c.send(c.shell, "history_request", tc.req)
		got := decodeContent(t, c.recvReply(c.shellIn, id))
		if got["status"] != "ok" || !reflect.DeepEqual(got["history"], tc.want) {
			t.Errorf("history %v\n got %v\nwant %v", tc.req, got["history"], tc.want)
		}
	}
}

func TestComms(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	id := c.send(c.shell, "comm_info_request", map[string]any{})
	if got := decodeContent(t, c.recvReply(c.shellIn, id)); !reflect.DeepEqual(got, map[string]any{"status": "ok", "comms": map[string]any{}}) {
		t.Errorf("comm_info_reply %v", got)
	}
	id = c.send(c.shell, "comm_open", map[string]any{"comm_id": "c-1", "target_name": "jupyter.widget", "data": map[string]any{}})
	pub := c.iopubUntilIdle(id)
	if msgTypes(pub) != "status:busy comm_close status:idle" {
		t.Fatalf("comm_open published %s", msgTypes(pub))
	}
	if got := decodeContent(t, pub[1]); !reflect.DeepEqual(got, map[string]any{"comm_id": "c-1", "data": map[string]any{}}) {
		t.Errorf("comm_close %v", got)
	}
	// The kernel still answers.
	id = c.send(c.shell, "kernel_info_request", nil)
	c.recvReply(c.shellIn, id)
}

func TestInterruptAndHeartbeatDuringCell(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	hb := dialHeartbeat(t, h.k.Info())
	exec := c.send(c.shell, "execute_request", map[string]any{"code": "out started\nblock"})
	waitStarted(t, h.ev, "out started\nblock")
	// The cell is blocked: the heartbeat still echoes.
	for i := range 3 {
		payload := []byte("ping-" + string(rune('a'+i)))
		if got := hb.ping(payload); string(got) != string(payload) {
			t.Fatalf("heartbeat echoed %q, want %q", got, payload)
		}
	}
	// Control is served while the cell runs; the reply comes on control.
	intr := c.send(c.control, "interrupt_request", map[string]any{})
	if rep := c.recvReply(c.controlIn, intr); rep.Header.MsgType != "interrupt_reply" || decodeContent(t, rep)["status"] != "ok" {
		t.Errorf("interrupt reply %s %s", rep.Header.MsgType, rep.Content)
	}
	got := decodeContent(t, c.recvReply(c.shellIn, exec))
	if got["status"] != "error" || got["ename"] != "Interrupted" {
		t.Errorf("interrupted cell reply %v", got)
	}
	pub := msgTypes(c.iopubUntilIdle(exec))
	if pub != "status:busy execute_input stream error status:idle" {
		t.Errorf("interrupted cell IOPub %s", pub)
	}
	if _, rep := c.execute("out after", nil); decodeContent(t, rep)["status"] != "ok" {
		t.Errorf("cell after the interrupt failed")
	}
	// Interrupt with nothing running is answered too.
	intr = c.send(c.control, "interrupt_request", map[string]any{})
	c.recvReply(c.controlIn, intr)
}

func TestShutdown(t *testing.T) {
	for _, tc := range []struct {
		channel string
		restart bool
		busy    bool // a cell is blocked when the request arrives
	}{
		{"shell", false, false},
		{"control", true, false},
		{"control", false, true},
	} {
		h := startKernel(t)
		c := h.dial()
		sock, in, other := c.shell, c.shellIn, c.controlIn
		if tc.channel == "control" {
			sock, in, other = c.control, c.controlIn, c.shellIn
		}
		var exec string
		if tc.busy {
			exec = c.send(c.shell, "execute_request", map[string]any{"code": "block"})
			waitStarted(t, h.ev, "block")
		}
		id := c.send(sock, "shutdown_request", map[string]any{"restart": tc.restart})
		rep := c.recvReply(in, id)
		want := map[string]any{"status": "ok", "restart": tc.restart}
		if got := decodeContent(t, rep); rep.Header.MsgType != "shutdown_reply" || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s %v, want shutdown_reply %v", tc.channel, rep.Header.MsgType, got, want)
		}
		if err := h.waitServe(); err != nil {
			t.Errorf("%s: Serve returned %v after shutdown_request, want nil", tc.channel, err)
		}
		if tc.busy {
			if got := decodeContent(t, c.recvReply(c.shellIn, exec)); got["status"] != "error" {
				t.Errorf("cell running at shutdown: %v", got)
			}
		}
		for len(other) > 0 {
			if m := <-other; parentID(m) == id {
				t.Errorf("%s: shutdown reply also arrived on the other socket", tc.channel)
			}
		}
	}
}

func TestExecuteBadContent(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	frames, id := c.request("execute_request", map[string]any{"code": 12})
	c.sendFrames(c.shell, frames)
	rep := c.recvReply(c.shellIn, id)
	got := decodeContent(t, rep)
	if got["status"] != "error" || got["ename"] != "BadRequest" {
		t.Errorf("execute with a numeric code: %v", got)
	}
	if len(h.ev.executed()) != 0 {
		t.Errorf("bad content was executed")
	}
	// The parent header of the reply is the request's header, byte for byte
	// (frames are delimiter, signature, header, …).
	if string(rep.Parent) != string(frames[2]) {
		t.Errorf("parent header %s, want %s", rep.Parent, frames[2])
	}
}
