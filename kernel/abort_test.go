package kernel

import (
	"testing"
	"time"
)

// Run All sends every cell at once; a request still on its way when a
// failed cell replies (made before the reply, arriving after it) is aborted,
// while one made after the client read the reply runs.
func TestStopOnErrorAbortsInFlight(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	inFlight, inFlightID := c.request("execute_request", map[string]any{"code": "out in flight"})
	time.Sleep(2 * time.Millisecond) // the request is dated before the failure
	if _, rep := c.execute("fail E failed", nil); decodeContent(t, rep)["status"] != "error" {
		t.Fatal("failing cell did not fail")
	}
	c.sendFrames(c.shell, inFlight)
	if s := decodeContent(t, c.recvReply(c.shellIn, inFlightID))["status"]; s != "aborted" {
		t.Errorf("request made before the error reply: status %v, want aborted", s)
	}
	if _, rep := c.execute("out after", nil); decodeContent(t, rep)["status"] != "ok" {
		t.Errorf("request made after the error reply: status %v, want ok", decodeContent(t, rep)["status"])
	}
	if ran := h.ev.executed(); len(ran) != 2 || ran[1] != "out after" {
		t.Errorf("evaluator ran %q", ran)
	}
}

func TestAbortState(t *testing.T) {
	replied := time.Date(2026, 1, 2, 3, 4, 5, 600_700_000, time.UTC)
	for _, c := range []struct {
		date  string
		after time.Duration // of the reply, when the request arrives
		want  bool
	}{
		{"2026-01-02T03:04:05.500000Z", time.Millisecond, true},        // jupyter_client, before
		{"2026-01-02T03:04:05.599Z", time.Millisecond, true},           // a browser, before
		{"2026-01-02T03:04:05.600Z", time.Millisecond, false},          // same millisecond: after
		{"2026-01-02T03:04:05.900+00:00", time.Millisecond, false},     // after
		{"2026-01-02T03:04:05.500000", time.Millisecond, true},         // no zone: UTC
		{"", time.Millisecond, false},                                  // no date: runs
		{"2026-01-02T03:04:05.500Z", abortWindow + time.Second, false}, // too late
	} {
		var a abortState
		a.start(replied)
		if got := a.shouldAbort(c.date, replied.Add(c.after)); got != c.want {
			t.Errorf("date %q %v after the reply: abort %v, want %v", c.date, c.after, got, c.want)
		}
		if !c.want && !a.repliedAt.IsZero() {
			t.Errorf("date %q: a request that runs must end the aborting", c.date)
		}
	}
}

// TestStopOnErrorAbortsTheRestOfABurst sends a failing cell and, while its
// reply has not left, a second request made after the failure (as a
// browser's Run All does when the page work between cells takes longer than
// the failing cell): it is aborted, because the error reply waits
// errorSettle. A request sent after reading the reply runs.
func TestStopOnErrorAbortsTheRestOfABurst(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	fail, failID := c.request("execute_request", map[string]any{"code": "fail E failed", "stop_on_error": true})
	c.sendFrames(c.shell, fail)
	time.Sleep(errorSettle / 4) // the failing cell has run; its reply waits
	late, lateID := c.request("execute_request", map[string]any{"code": "out late in the burst"})
	c.sendFrames(c.shell, late)
	if s := decodeContent(t, c.recvReply(c.shellIn, failID))["status"]; s != "error" {
		t.Fatalf("failing cell: status %v", s)
	}
	if s := decodeContent(t, c.recvReply(c.shellIn, lateID))["status"]; s != "aborted" {
		t.Errorf("request sent while the error reply waited: status %v, want aborted", s)
	}
	if _, rep := c.execute("out after", nil); decodeContent(t, rep)["status"] != "ok" {
		t.Errorf("request made after the error reply: status %v, want ok", decodeContent(t, rep)["status"])
	}
	if ran := h.ev.executed(); len(ran) != 2 || ran[1] != "out after" {
		t.Errorf("evaluator ran %q", ran)
	}
}
