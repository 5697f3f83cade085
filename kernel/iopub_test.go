package kernel

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestIOPubReconnect: a subscriber that goes away and a new one that
// connects must keep receiving output (zmq4 v0.17.0's PUB must drop the dead
// peer and serve the new one).
func TestIOPubReconnect(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	for round := range 3 {
		// The old subscriber disconnects; a new client connects.
		c.close()
		c = dialClient(t, h.k.Info())
		c.nudge()
		code := fmt.Sprintf("out round %d", round)
		pub, rep := c.execute(code, nil)
		if got := msgTypes(pub); got != "status:busy execute_input stream status:idle" {
			t.Fatalf("round %d: IOPub %s", round, got)
		}
		if text := contentString(pub[2], "text"); text != fmt.Sprintf("round %d\n", round) {
			t.Errorf("round %d: stream %q", round, text)
		}
		if decodeContent(t, rep)["status"] != "ok" {
			t.Errorf("round %d: reply %s", round, rep.Content)
		}
	}
}

// TestStalledHandshake: a peer that connects and sends nothing must not
// block later connections (zmq4 does the handshake in its accept loop).
func TestStalledHandshake(t *testing.T) {
	h := startKernel(t, WithTimeouts(300*time.Millisecond, time.Second))
	info := h.k.Info()
	var silent []io.Closer
	for _, port := range []int{info.ShellPort, info.IOPubPort, info.HBPort} {
		conn, err := dialTCP(port)
		if err != nil {
			t.Fatal(err)
		}
		silent = append(silent, conn)
	}
	defer func() {
		for _, c := range silent {
			c.Close()
		}
	}()
	start := time.Now()
	c := dialClient(t, info)
	c.nudge()
	if got := dialHeartbeat(t, info).ping([]byte("x")); string(got) != "x" {
		t.Errorf("heartbeat echo %q", got)
	}
	if d := time.Since(start); d > 20*time.Second { // blocked behind the silent peer, not slow
		t.Errorf("a client behind a silent peer took %v to be served", d)
	}
	waitFor(t, "the silent peers to be dropped", func() bool {
		return strings.Contains(h.log.String(), "no ZMTP handshake within 300ms")
	})
}

// TestStalledSubscriber: a subscriber that stops reading must not stall
// IOPub for the others (zmq4's PUB writes to subscribers in turn under one
// lock). The kernel drops it after the write timeout, which must be long
// enough for the live subscriber, slow under -race, never to hit it.
func TestStalledSubscriber(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes 4 MiB")
	}
	h := startKernel(t, WithTimeouts(time.Second, 1500*time.Millisecond))
	stalled := rawZMTP(t, h.k.Info().IOPubPort, "SUB")
	// A tiny receive window, so that the kernel's send buffer (at most
	// net.ipv4.tcp_wmem[2], 4 MiB by default) is what fills up.
	stalled.(*net.TCPConn).SetReadBuffer(4096)
	stalled.Write(zmtpFrame([]byte{1}, false, false)) // subscribe to everything, then never read
	c := h.dial()
	// 16 × 256 KiB of stdout: more than the socket buffers hold (512 KiB
	// was seen to fit, 2 MiB not).
	const n = 16
	line := strings.Repeat("x", 1<<18)
	code := strings.Repeat("out "+line+"\n", n) + "out done"
	id := c.send(c.shell, "execute_request", map[string]any{"code": code})
	streams := 0
	deadline := time.After(3 * wait)
	for {
		select {
		case m := <-c.iopubIn:
			if parentID(m) != id || m.Header.MsgType != "stream" {
				continue
			}
			streams++
			if contentString(m, "text") != "done\n" {
				continue
			}
			if streams != n+1 {
				t.Errorf("got %d stream messages, want %d", streams, n+1)
			}
			if log := h.log.String(); !strings.Contains(log, "peer read nothing for 1.5s") {
				t.Errorf("log lacks the dropped subscriber:\n%s", log)
			}
			return
		case <-deadline:
			t.Fatalf("live subscriber starved behind a stalled one: %d of %d streams", streams, n+1)
		}
	}
}

// TestFirstRequestWaitsForSubscriber: a client that starts the kernel
// connects every channel at once, and its IOPub subscription may reach the
// kernel after its first request. The kernel holds that request until the
// subscription is in, so the request's busy and idle statuses (which
// jupyter console waits for) are not published to nobody.
func TestFirstRequestWaitsForSubscriber(t *testing.T) {
	h := startKernel(t)
	c := dialRequests(t, h.k.Info())
	id := c.send(c.shell, "execute_request", map[string]any{"code": "out late", "silent": false, "store_history": true,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true})
	time.Sleep(300 * time.Millisecond) // the subscription arrives late
	c.subscribe()
	if got := msgTypes(c.iopubUntilIdle(id)); got != "status:busy execute_input stream status:idle" {
		t.Fatalf("IOPub of the first request: %s", got)
	}
	if decodeContent(t, c.recvReply(c.shellIn, id))["status"] != "ok" {
		t.Error("the first request did not succeed")
	}
}

// TestTrace: WithTrace logs each message received, replied and published,
// with the ids that tie them together.
func TestTrace(t *testing.T) {
	h := startKernel(t, WithTrace())
	c := h.dial()
	pub, rep := c.execute("out traced", nil)
	id := parentID(rep)
	log := h.log.String()
	for _, want := range []string{
		"trace: received execute_request on shell (id " + id + ")",
		"trace: replied execute_reply on shell (parent " + id + ")",
		"trace: published status (parent " + id + ")",
		"trace: published stream (parent " + id + ")",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if len(pub) != 4 {
		t.Errorf("IOPub: %s", msgTypes(pub))
	}
	quiet := startKernel(t)
	quiet.dial().execute("out quiet", nil)
	if strings.Contains(quiet.log.String(), "trace:") {
		t.Errorf("a kernel without WithTrace traces:\n%s", quiet.log.String())
	}
}
