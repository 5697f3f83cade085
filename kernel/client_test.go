package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// wait bounds every receive in the tests.
const wait = 5 * time.Second

const testKey = "0f1e2d3c-test-key"

// syncBuffer is a log sink the tests can read while the kernel writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is a kernel serving a fake evaluator on loopback ports.
type harness struct {
	t    *testing.T
	k    *Kernel
	ev   *fakeEvaluator
	log  *syncBuffer
	done chan error // Serve's result
}

func startKernel(t *testing.T, opts ...Option) *harness {
	t.Helper()
	h := &harness{t: t, ev: newFake(), log: &syncBuffer{}, done: make(chan error, 1)}
	cfg := ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", Key: testKey, SignatureScheme: SchemeHMACSHA256}
	k, err := New(cfg, h.ev, append([]Option{WithLog(h.log)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.k = k
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- k.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(wait):
			t.Errorf("Serve did not return within %v of cancellation", wait)
		}
		if t.Failed() {
			t.Logf("kernel log:\n%s", h.log.String())
		}
	})
	return h
}

// waitServe waits for Serve to return and returns its error.
func (h *harness) waitServe() error {
	h.t.Helper()
	select {
	case err := <-h.done:
		h.done <- err // leave it for Cleanup
		return err
	case <-time.After(wait):
		h.t.Fatalf("Serve did not return within %v", wait)
		return nil
	}
}

// client is a Jupyter client built on zmq4: DEALERs for shell and control,
// a SUB for IOPub and a REQ for the heartbeat. Reader goroutines feed
// channels so that every receive in a test has a deadline.
type client struct {
	t       *testing.T
	info    ConnectionInfo
	signer  *signer
	session string

	ctx                   context.Context
	cancel                context.CancelFunc
	shell, control, iopub zmq4.Socket
	shellIn, controlIn    chan *message
	iopubIn               chan *message
}

func (h *harness) dial() *client {
	h.t.Helper()
	c := dialClient(h.t, h.k.Info())
	c.nudge()
	return c
}

func dialClient(t *testing.T, info ConnectionInfo) *client {
	t.Helper()
	c := dialRequests(t, info)
	c.subscribe()
	return c
}

// dialRequests connects a client's shell and control channels only; its
// IOPub subscription is left to subscribe.
func dialRequests(t *testing.T, info ConnectionInfo) *client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &client{
		t: t, info: info, signer: newSigner(info.Key), session: newID(), ctx: ctx, cancel: cancel,
		shellIn: make(chan *message, 256), controlIn: make(chan *message, 64), iopubIn: make(chan *message, 1024),
	}
	c.shell = zmq4.NewDealer(ctx, zmq4.WithDialerRetry(20*time.Millisecond))
	c.control = zmq4.NewDealer(ctx, zmq4.WithDialerRetry(20*time.Millisecond))
	c.iopub = zmq4.NewSub(ctx, zmq4.WithDialerRetry(20*time.Millisecond))
	dialWithin(t, c.shell, c.endpoint(info.ShellPort))
	dialWithin(t, c.control, c.endpoint(info.ControlPort))
	go c.read(c.shell, c.shellIn)
	go c.read(c.control, c.controlIn)
	t.Cleanup(c.close)
	return c
}

func (c *client) endpoint(port int) string { return fmt.Sprintf("tcp://%s:%d", c.info.IP, port) }

// subscribe connects the client's IOPub channel and subscribes to everything.
func (c *client) subscribe() {
	c.t.Helper()
	dialWithin(c.t, c.iopub, c.endpoint(c.info.IOPubPort))
	if err := c.iopub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		c.t.Fatalf("subscribe: %v", err)
	}
	go c.read(c.iopub, c.iopubIn)
}

// dialWithin dials ep, failing the test if the connection (TCP and ZMTP
// handshake, which zmq4 does without a deadline) takes longer than wait.
func dialWithin(t *testing.T, s zmq4.Socket, ep string) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- s.Dial(ep) }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("dial %s: %v", ep, err)
		}
	case <-time.After(wait):
		t.Fatalf("dial %s: no ZMTP handshake within %v", ep, wait)
	}
}

func (c *client) close() {
	c.cancel()
	c.shell.Close()
	c.control.Close()
	c.iopub.Close()
}

func (c *client) read(s zmq4.Socket, out chan<- *message) {
	for {
		zm, err := s.Recv()
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		m, err := parseMessage(zm.Frames, c.signer, DefaultLimits)
		if err != nil {
			c.t.Errorf("client: kernel sent an invalid message: %v", err)
			continue
		}
		select {
		case out <- m:
		case <-c.ctx.Done():
			return
		}
	}
}

// request builds and signs a request; it returns the frames and msg_id.
func (c *client) request(msgType string, content any) ([][]byte, string) {
	h := newHeader(msgType, c.session)
	h.Username = "test"
	frames, err := encodeMessage(c.signer, nil, h, nil, nil, content)
	if err != nil {
		c.t.Fatalf("encode %s: %v", msgType, err)
	}
	return frames, h.MsgID
}

func (c *client) sendFrames(s zmq4.Socket, frames [][]byte) {
	c.t.Helper()
	if err := s.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// send sends a request on s and returns its msg_id.
func (c *client) send(s zmq4.Socket, msgType string, content any) string {
	c.t.Helper()
	frames, id := c.request(msgType, content)
	c.sendFrames(s, frames)
	return id
}

// parentID returns the msg_id of m's parent header.
func parentID(m *message) string {
	var p struct {
		MsgID string `json:"msg_id"`
	}
	json.Unmarshal(m.Parent, &p)
	return p.MsgID
}

// recvReply waits for the message on in whose parent is id.
func (c *client) recvReply(in <-chan *message, id string) *message {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case m := <-in:
			if parentID(m) == id {
				return m
			}
		case <-deadline:
			c.t.Fatalf("no reply to %s within %v", id, wait)
			return nil
		}
	}
}

// iopubUntilIdle collects the IOPub messages whose parent is id, up to and
// including its idle status.
func (c *client) iopubUntilIdle(id string) []*message {
	c.t.Helper()
	var got []*message
	deadline := time.After(wait)
	for {
		select {
		case m := <-c.iopubIn:
			if parentID(m) != id {
				continue
			}
			got = append(got, m)
			if m.Header.MsgType == "status" && contentString(m, "execution_state") == "idle" {
				return got
			}
		case <-deadline:
			c.t.Fatalf("no idle status for %s within %v; got %s", id, wait, msgTypes(got))
			return nil
		}
	}
}

// nudge sends kernel_info_request until an IOPub message answers it, as
// jupyter_client does, so that the subscription is known to be live.
func (c *client) nudge() {
	c.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		id := c.send(c.shell, "kernel_info_request", nil)
		c.recvReply(c.shellIn, id)
		timeout := time.After(200 * time.Millisecond)
	drain:
		for {
			select {
			case m := <-c.iopubIn:
				if parentID(m) == id {
					return
				}
			case <-timeout:
				break drain
			}
		}
	}
	c.t.Fatalf("IOPub never delivered a message within %v", wait)
}

// execute runs code and returns its IOPub messages and its reply.
func (c *client) execute(code string, extra map[string]any) ([]*message, *message) {
	c.t.Helper()
	content := map[string]any{"code": code, "silent": false, "store_history": true, "user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true}
	for k, v := range extra {
		content[k] = v
	}
	id := c.send(c.shell, "execute_request", content)
	pub := c.iopubUntilIdle(id)
	return pub, c.recvReply(c.shellIn, id)
}

func decodeContent(t *testing.T, m *message) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(m.Content, &v); err != nil {
		t.Fatalf("content of %s: %v", m.Header.MsgType, err)
	}
	return v
}

func contentString(m *message, key string) string {
	var v map[string]any
	json.Unmarshal(m.Content, &v)
	s, _ := v[key].(string)
	return s
}

func msgTypes(ms []*message) string {
	var s []string
	for _, m := range ms {
		t := m.Header.MsgType
		if t == "status" {
			t += ":" + contentString(m, "execution_state")
		}
		s = append(s, t)
	}
	return strings.Join(s, " ")
}
