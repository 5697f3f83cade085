package kernel

import (
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"
)

// TestSilentPeersDoNotDelay: peers that connect and say nothing do not hold
// up a client: handshakes wait for the peer's first bytes side by side, not
// one after another in zmq4's accept loop.
func TestSilentPeersDoNotDelay(t *testing.T) {
	h := startKernel(t, WithTimeouts(time.Minute, time.Minute))
	info := h.k.Info()
	for range 4 {
		for _, port := range []int{info.ShellPort, info.IOPubPort, info.HBPort} {
			conn, err := dialTCP(port)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := dialClient(t, info)
		c.nudge()
		dialHeartbeat(t, info).ping([]byte("x"))
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // hang guard, far below the 1 min handshake timeout
		t.Fatal("a client waited behind silent peers")
	}
}

// TestConnectionCap: connections beyond the cap are closed as they come.
func TestConnectionCap(t *testing.T) {
	h := startKernel(t, WithMaxConnections(3))
	port := h.k.Info().ShellPort
	for range 3 {
		rawZMTP(t, port, "DEALER")
	}
	extra, err := dialTCP(port)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	expectClosed(t, extra, "a connection over the cap")
	if !strings.Contains(h.log.String(), "3 connections is the limit") {
		t.Errorf("log lacks the refused connection:\n%s", h.log.String())
	}
}

// TestPendingBytesBounded: frames declared but not yet sent count against one
// budget over all connections; a peer beyond it is dropped, so that many
// connections cannot each make zmq4 allocate a whole message.
func TestPendingBytesBounded(t *testing.T) {
	lim := Limits{MaxFrameBytes: 1 << 20, MaxMessageBytes: 1 << 20, MaxFrames: 16, MaxPendingBytes: 5 << 19}
	h := startKernel(t, WithLimits(lim))
	port := h.k.Info().ShellPort
	declare := func() net.Conn {
		conn := rawZMTP(t, port, "DEALER")
		hdr := make([]byte, 9)
		hdr[0] = flagLong
		binary.BigEndian.PutUint64(hdr[1:], 1<<20)
		conn.Write(append(hdr, 'x')) // a 1 MiB frame that never comes
		return conn
	}
	declare()
	declare()
	time.Sleep(100 * time.Millisecond)
	third := declare()
	expectClosed(t, third, "a frame over the pending budget")
	waitFor(t, "the refusal in the log", func() bool {
		return strings.Contains(h.log.String(), "unauthenticated messages pending")
	})
	c := h.dial() // small messages still pass
	if _, rep := c.execute("out hi", nil); decodeContent(t, rep)["status"] != "ok" {
		t.Errorf("reply %s", rep.Content)
	}
}

// TestSmallSocketsLimits: IOPub and heartbeat peers cannot send large frames,
// and an IOPub peer cannot subscribe without end.
func TestSmallSocketsLimits(t *testing.T) {
	h := startKernel(t)
	info := h.k.Info()
	for _, port := range []int{info.IOPubPort, info.HBPort} {
		conn := rawZMTP(t, port, map[int]string{info.IOPubPort: "SUB", info.HBPort: "REQ"}[port])
		hdr := make([]byte, 9)
		hdr[0] = flagLong
		binary.BigEndian.PutUint64(hdr[1:], 1<<20)
		conn.Write(hdr)
		expectClosed(t, conn, "a 1 MiB frame on a small socket")
	}
	sub := rawZMTP(t, info.IOPubPort, "SUB")
	var b []byte
	for i := range 1000 {
		b = append(b, zmtpFrame(append([]byte{1}, []byte("topic-"+string(rune('a'+i%26))+strings.Repeat("x", i%50))...), false, false)...)
	}
	sub.Write(b)
	expectClosed(t, sub, "1000 subscriptions")
}

// TestStalledHeartbeatPeer: a heartbeat peer that sends pings but never
// reads the echoes is dropped after a short write timeout, and the heartbeat
// of other clients goes on.
func TestStalledHeartbeatPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("fills socket buffers")
	}
	h := startKernel(t, WithTimeouts(10*time.Second, time.Minute))
	info := h.k.Info()
	bad := rawZMTP(t, info.HBPort, "REQ")
	bad.(*net.TCPConn).SetReadBuffer(4096)
	ping := zmtpFrame([]byte(strings.Repeat("p", 1000)), false, true)
	go func() {
		for range 20000 { // REQ envelope: empty delimiter, then the ping
			if _, err := bad.Write(append(zmtpFrame(nil, true, false), ping...)); err != nil {
				return
			}
		}
	}()
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	if got := dialHeartbeat(t, info).ping([]byte("alive")); string(got) != "alive" {
		t.Errorf("echo %q", got)
	}
	if d := time.Since(start); d > 20*time.Second { // hang guard: the write timeout is a minute
		t.Errorf("heartbeat answered after %v behind a stalled peer", d)
	}
}
