package kernel

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// hbClient is a heartbeat client (REQ, as jupyter_client uses).
type hbClient struct {
	t *testing.T
	s zmq4.Socket
}

func dialHeartbeat(t *testing.T, info ConnectionInfo) *hbClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := zmq4.NewReq(ctx, zmq4.WithDialerRetry(20*time.Millisecond))
	t.Cleanup(func() { cancel(); s.Close() })
	dialWithin(t, s, fmt.Sprintf("tcp://%s:%d", info.IP, info.HBPort))
	return &hbClient{t: t, s: s}
}

// ping sends payload and returns the echo, failing after wait.
func (h *hbClient) ping(payload []byte) []byte {
	h.t.Helper()
	if err := h.s.Send(zmq4.NewMsg(payload)); err != nil {
		h.t.Fatalf("heartbeat send: %v", err)
	}
	got := make(chan []byte, 1)
	go func() {
		m, err := h.s.Recv()
		if err != nil {
			got <- nil
			return
		}
		got <- m.Bytes()
	}()
	select {
	case b := <-got:
		return b
	case <-time.After(wait):
		h.t.Fatalf("no heartbeat echo within %v", wait)
		return nil
	}
}

// TestBadMessagesDropped sends messages that must be dropped, each carrying
// an execute_request, and checks that none runs and the kernel keeps
// serving.
func TestBadMessagesDropped(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	exec := func(code string) ([][]byte, string) {
		return c.request("execute_request", map[string]any{"code": code})
	}
	cases := map[string][][]byte{}
	f, _ := exec("out wrong signature")
	f[1] = []byte(strings.Repeat("ab", 32))
	cases["wrong signature"] = f
	f, _ = exec("out missing signature")
	f[1] = nil
	cases["missing signature"] = f
	f, _ = exec("out missing delimiter")
	cases["missing delimiter"] = f[1:]
	f, _ = exec("out too few frames")
	cases["too few frames"] = f[:4]
	f, _ = exec("out truncated")
	f[5] = f[5][:len(f[5])-3]
	f[1] = []byte(newSigner(testKey).sign(f[2], f[3], f[4], f[5])) // validly signed, invalid JSON
	cases["truncated JSON"] = f
	f, _ = exec("out replayed")
	c.sendFrames(c.shell, f) // runs once …
	cases["replayed"] = f    // … and not again
	for name, frames := range cases {
		c.sendFrames(c.shell, frames)
		// The kernel keeps serving after each.
		id := c.send(c.shell, "kernel_info_request", nil)
		if rep := c.recvReply(c.shellIn, id); rep.Header.MsgType != "kernel_info_reply" {
			t.Errorf("after %s: got %s", name, rep.Header.MsgType)
		}
	}
	if got := h.ev.executed(); len(got) != 1 || got[0] != "out replayed" {
		t.Errorf("evaluator ran %q, want only the first copy of the replayed message", got)
	}
	log := h.log.String()
	for _, want := range []string{"bad signature", "missing signature", "no <IDS|MSG> delimiter", "want at least 5", "not a JSON object", "replayed signature"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// rawZMTP opens a TCP connection to port and does the NULL handshake as
// sockType, by hand.
func rawZMTP(t *testing.T, port int, sockType string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	g := make([]byte, 64)
	g[0], g[9], g[10] = 0xff, 0x7f, 3
	copy(g[12:], "NULL")
	if _, err := conn.Write(append(g, zmtpCommand(readyBody(sockType))...)); err != nil {
		t.Fatal(err)
	}
	// Read the kernel's greeting and READY.
	conn.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 64+2)
	if _, err := io.ReadFull(conn, buf); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if _, err := io.ReadFull(conn, make([]byte, buf[65])); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	conn.SetReadDeadline(time.Time{})
	return conn
}

// expectClosed checks that the kernel closes conn.
func expectClosed(t *testing.T, conn net.Conn, what string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(wait))
	// EOF, or a reset when the kernel closed with unread input.
	_, err := io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("%s: connection not closed by the kernel: %v", what, err)
	}
}

func TestHugeFrames(t *testing.T) {
	lim := Limits{MaxFrameBytes: 64 << 10, MaxMessageBytes: 96 << 10, MaxFrames: 32}
	h := startKernel(t, WithLimits(lim))
	c := h.dial()

	// A header announcing 2^40 bytes: zmq4 alone would try to allocate it.
	conn := rawZMTP(t, h.k.Info().ShellPort, "DEALER")
	conn.Write(binaryLongHeader(1 << 40))
	expectClosed(t, conn, "2^40-byte frame header")

	// A real frame one byte over the limit, then a message over the limit.
	for _, m := range [][][]byte{
		{delimiter, make([]byte, lim.MaxFrameBytes+1)},
		{delimiter, make([]byte, 50<<10), make([]byte, 50<<10)},
	} {
		conn := rawZMTP(t, h.k.Info().ShellPort, "DEALER")
		for i, f := range m {
			conn.Write(zmtpFrame(f, i < len(m)-1, true))
		}
		expectClosed(t, conn, fmt.Sprintf("%d-frame message", len(m)))
	}

	// The connected client is unaffected, and nothing ran.
	id := c.send(c.shell, "kernel_info_request", nil)
	c.recvReply(c.shellIn, id)
	if got := h.ev.executed(); len(got) != 0 {
		t.Errorf("evaluator ran %q", got)
	}
	if log := h.log.String(); !strings.Contains(log, "frame of 1099511627776 bytes") {
		t.Errorf("log lacks the dropped 2^40 frame:\n%s", log)
	}
}

// binaryLongHeader is the header of a long frame of size bytes, no body.
func binaryLongHeader(size uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{flagLong}, size)
}

func dialTCP(port int) (net.Conn, error) {
	return net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), wait)
}

// TestMalformedHandshake: a READY whose property is cut short panics zmq4
// v0.17.0's accept goroutine (slice bounds out of range in
// Property.Write), which would kill the kernel; the guard drops it first.
func TestMalformedHandshake(t *testing.T) {
	h := startKernel(t)
	c := h.dial()
	for _, port := range []int{h.k.Info().ShellPort, h.k.Info().IOPubPort, h.k.Info().HBPort} {
		conn, err := dialTCP(port)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		g := make([]byte, 64)
		g[0], g[9], g[10] = 0xff, 0x7f, 3
		copy(g[12:], "NULL")
		ready := append([]byte{5}, "READY"...)
		ready = append(ready, 1, 'a', 0, 0) // property "a", value length cut short
		conn.Write(append(g, zmtpCommand(ready)...))
		expectClosed(t, conn, "malformed READY")
	}
	id := c.send(c.shell, "kernel_info_request", nil)
	c.recvReply(c.shellIn, id)
	if log := h.log.String(); !strings.Contains(log, "malformed READY property") {
		t.Errorf("log lacks the dropped handshake:\n%s", log)
	}
}
