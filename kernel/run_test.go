//go:build unix

package kernel

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// freePorts returns n distinct free loopback ports (free when asked: Run
// binds the ports of a connection file, so they cannot be 0 here).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// TestRun drives Run through a connection file: SIGINT interrupts the
// running cell (and does not kill the process), shutdown_request ends Run
// with nil.
func TestRun(t *testing.T) {
	p := freePorts(t, 5)
	info := ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: p[0], IOPubPort: p[1], StdinPort: p[2],
		ControlPort: p[3], HBPort: p[4], Key: testKey, SignatureScheme: SchemeHMACSHA256}
	js, _ := json.Marshal(info)
	path := filepath.Join(t.TempDir(), "kernel.json")
	os.WriteFile(path, js, 0o600)
	ev := newFake()
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), path, ev, io.Discard) }()

	c := dialClient(t, info)
	c.nudge()
	exec := c.send(c.shell, "execute_request", map[string]any{"code": "block"})
	waitStarted(t, ev, "block")
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if got := decodeContent(t, c.recvReply(c.shellIn, exec)); got["ename"] != "Interrupted" {
		t.Errorf("cell after SIGINT: %v", got)
	}
	id := c.send(c.control, "shutdown_request", map[string]any{"restart": false})
	c.recvReply(c.controlIn, id)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v after shutdown_request", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after shutdown_request")
	}
}

func TestRunAndNewErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent.json")
	if err := Run(context.Background(), missing, newFake(), io.Discard); err == nil || !strings.Contains(err.Error(), "absent.json") {
		t.Errorf("Run with a missing file: %v", err)
	}
	cfg := ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", Key: testKey, SignatureScheme: SchemeHMACSHA256}
	if _, err := New(cfg, nil); err == nil {
		t.Errorf("New accepted a nil evaluator")
	}
	if _, err := New(ConnectionInfo{Transport: "tcp"}, newFake()); err == nil || !strings.Contains(err.Error(), `"ip" is empty`) {
		t.Errorf("New with no ip: %v", err)
	}
	if _, err := New(cfg, newFake(), WithLimits(Limits{MaxFrameBytes: 10})); err == nil || !strings.Contains(err.Error(), "bad limits") {
		t.Errorf("New with tiny limits: %v", err)
	}
	// A port in use fails New with an error naming the socket, and leaves
	// nothing bound.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := cfg
	busy.HBPort = l.Addr().(*net.TCPAddr).Port
	if _, err := New(busy, newFake(), WithLog(io.Discard)); err == nil || !strings.Contains(err.Error(), "heartbeat socket") {
		t.Errorf("New with the heartbeat port in use: %v", err)
	}
	k, err := New(cfg, newFake(), WithLog(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	shell := k.Info().ShellPort
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the shell port to be released", func() bool {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(shell)))
		if err == nil {
			l.Close()
		}
		return err == nil
	})
}

// TestIPCTransport serves kernel_info over Unix sockets (transport "ipc",
// endpoints ip-port) and removes the socket files on exit.
func TestIPCTransport(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "kernel-ipc")
	info := ConnectionInfo{Transport: "ipc", IP: prefix, ShellPort: 1, IOPubPort: 2, StdinPort: 3, ControlPort: 4, HBPort: 5,
		Key: testKey, SignatureScheme: SchemeHMACSHA256}
	k, err := New(info, newFake(), WithLog(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Serve(ctx) }()
	c := &client{t: t, signer: newSigner(testKey), session: newID(), shellIn: make(chan *message, 8)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.shell = zmq4.NewDealer(c.ctx)
	defer func() { c.cancel(); c.shell.Close() }()
	dialWithin(t, c.shell, "ipc://"+prefix+"-1")
	go c.read(c.shell, c.shellIn)
	id := c.send(c.shell, "kernel_info_request", nil)
	if rep := c.recvReply(c.shellIn, id); rep.Header.MsgType != "kernel_info_reply" {
		t.Errorf("reply %s", rep.Header.MsgType)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Serve returned %v after cancellation, want context.Canceled", err)
	}
	if _, err := os.Stat(prefix + "-1"); !os.IsNotExist(err) {
		t.Errorf("ipc socket file left behind: %v", err)
	}
}
