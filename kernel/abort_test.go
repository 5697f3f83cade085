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
