package kernel

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestStreamsCoalesced: 5000 one-line writes arrive whole, in order, in a
// few stream messages, all before the cell goes idle.
func TestStreamsCoalesced(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	pub, rep := c.execute("lines 5000\nerr tail", nil)
	if decodeContent(t, rep)["status"] != "ok" {
		t.Fatalf("reply %s", rep.Content)
	}
	var stdout, stderr strings.Builder
	streams := 0
	for _, m := range pub {
		if m.Header.MsgType != "stream" {
			continue
		}
		streams++
		if contentString(m, "name") == "stderr" {
			stderr.WriteString(contentString(m, "text"))
		} else {
			stdout.WriteString(contentString(m, "text"))
		}
	}
	var want strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	if stdout.String() != want.String() || stderr.String() != "tail\n" {
		t.Errorf("stdout of %d bytes (want %d), stderr %q", stdout.Len(), want.Len(), stderr.String())
	}
	if streams > 100 {
		t.Errorf("%d stream messages for 5000 writes: not coalesced", streams)
	}
}

// TestIOPubBoundedWithStalledSubscriber: a cell that prints 256 MiB while a
// subscriber has stopped reading does not make the kernel hold it: the
// output beyond the budget is dropped, and the client is told so.
func TestIOPubBoundedWithStalledSubscriber(t *testing.T) {
	if testing.Short() {
		t.Skip("prints 256 MiB")
	}
	h := startKernel(t, WithTimeouts(time.Second, time.Minute), WithOutputLimits(OutputLimits{Rate: 1 << 20, Burst: 2 << 20}))
	c := h.dial()
	c.nudge()
	stalled := rawZMTP(t, h.k.Info().IOPubPort, "SUB")
	stalled.(*net.TCPConn).SetReadBuffer(4096)
	stalled.Write(zmtpFrame([]byte{1}, false, false)) // subscribe to everything, then never read
	time.Sleep(200 * time.Millisecond)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	id := c.send(c.shell, "execute_request", map[string]any{"code": "flood 262144"})
	rep := c.recvReply(c.shellIn, id)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if decodeContent(t, rep)["status"] != "ok" {
		t.Fatalf("reply %s", rep.Content)
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 48<<20 {
		t.Errorf("the heap grew by %d MiB while a subscriber stalled", grew>>20)
	}
	stalled.Close() // the live client now gets what was queued
	deadline := time.After(3 * wait)
	for {
		select {
		case m := <-c.iopubIn:
			if parentID(m) == id && m.Header.MsgType == "stream" && strings.Contains(contentString(m, "text"), "[output truncated:") {
				return
			}
		case <-deadline:
			t.Fatal("no output-truncated marker")
		}
	}
}
