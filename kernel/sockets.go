package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"os"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

// sockets are the kernel's five ZeroMQ sockets.
type sockets struct {
	shell, control, stdin, iopub, hb zmq4.Socket
}

// request is a verified message and the socket its reply goes to.
type request struct {
	*message
	sock    zmq4.Socket
	channel string // "shell" or "control"
}

// bind creates and binds the sockets, recording the ports bound for port 0.
func (k *Kernel) bind() error {
	zlog := log.New(k.opt.log, "zmq4: ", log.LstdFlags|log.Lmicroseconds)
	opt := zmq4.WithLogger(zlog)
	specs := []struct {
		name string
		sock *zmq4.Socket
		port *int
		make func(context.Context, ...zmq4.Option) zmq4.Socket
	}{
		{"shell", &k.socks.shell, &k.cfg.ShellPort, zmq4.NewRouter},
		{"control", &k.socks.control, &k.cfg.ControlPort, zmq4.NewRouter},
		{"stdin", &k.socks.stdin, &k.cfg.StdinPort, zmq4.NewRouter},
		{"iopub", &k.socks.iopub, &k.cfg.IOPubPort, zmq4.NewPub},
		{"heartbeat", &k.socks.hb, &k.cfg.HBPort, zmq4.NewRep},
	}
	for _, s := range specs {
		sock := s.make(withGuard(k.sockCtx, k.guard.forSocket(s.name)), opt)
		ep := k.cfg.endpoint(*s.port)
		if err := sock.Listen(ep); err != nil {
			sock.Close()
			return fmt.Errorf("kernel: %s socket: %w", s.name, err)
		}
		*s.sock = sock
		if s.name == "iopub" {
			if err := sock.SetOption(zmq4.OptionHWM, pubHighWaterMark); err != nil {
				return fmt.Errorf("kernel: iopub high-water mark: %w", err)
			}
		}
		if a, ok := sock.Addr().(*net.TCPAddr); ok {
			*s.port = a.Port
		}
	}
	return nil
}

// closeSockets closes the sockets that were created and removes ipc files.
func (k *Kernel) closeSockets() {
	for _, s := range []zmq4.Socket{k.socks.shell, k.socks.control, k.socks.stdin, k.socks.iopub, k.socks.hb} {
		if s != nil {
			s.Close()
		}
	}
	if k.cfg.Transport == "ipc" {
		for _, p := range k.cfg.ports() {
			os.Remove(k.cfg.ipcPath(p.port))
		}
	}
}

// recvLoop receives from sock until the sockets close, passing each verified
// message to handle. Messages that fail verification are logged and dropped.
func (k *Kernel) recvLoop(sock zmq4.Socket, channel string, handle func(*request)) {
	for {
		zm, err := sock.Recv()
		if err != nil {
			if k.sockCtx.Err() != nil {
				return
			}
			k.logf("kernel: %s: receive: %v", channel, err)
			pause(k.sockCtx.Done())
			continue
		}
		m, err := parseMessage(zm.Frames, k.signer, k.opt.limits)
		if err != nil {
			k.logf("kernel: dropped a message on %s (%d frames): %v", channel, len(zm.Frames), err)
			continue
		}
		if k.opt.trace {
			k.logf("kernel: trace: received %s on %s (id %s)", m.Header.MsgType, channel, m.Header.MsgID)
		}
		handle(&request{message: m, sock: sock, channel: channel})
	}
}

// pause waits a little before retrying after an unexpected error, so that a
// persistent one cannot spin a CPU.
func pause(done <-chan struct{}) {
	select {
	case <-done:
	case <-time.After(10 * time.Millisecond):
	}
}

func (k *Kernel) readShell() {
	k.recvLoop(k.socks.shell, "shell", func(r *request) {
		select {
		case k.shellQ <- r:
		case <-k.sockCtx.Done():
		}
	})
}

func (k *Kernel) readControl() { k.recvLoop(k.socks.control, "control", k.handleControl) }

// readStdin hands the values of input_reply messages to the cell waiting
// for them (Kernel.input); a reply that nothing waits for is dropped.
func (k *Kernel) readStdin() {
	k.recvLoop(k.socks.stdin, "stdin", func(r *request) {
		if r.Header.MsgType != "input_reply" {
			k.logf("kernel: ignored %s on stdin", r.Header.MsgType)
			return
		}
		var c struct {
			Value string `json:"value"`
		}
		if err := json.Unmarshal(r.Content, &c); err != nil {
			k.logf("kernel: bad input_reply: %v", err)
			return
		}
		select {
		case k.inputQ <- c.Value:
		default:
			k.logf("kernel: dropped an input_reply that no cell waits for")
		}
	})
}

// heartbeat echoes every heartbeat message. It runs on its own goroutine and
// shares nothing with execution, so a long cell never looks like a dead
// kernel.
func (k *Kernel) heartbeat() {
	for {
		msg, err := k.socks.hb.Recv()
		if err != nil {
			if k.sockCtx.Err() != nil {
				return
			}
			k.logf("kernel: heartbeat: %v", err)
			pause(k.sockCtx.Done())
			continue
		}
		if err := k.socks.hb.Send(zmq4.NewMsgFrom(msg.Frames...)); err != nil && k.sockCtx.Err() == nil {
			k.logf("kernel: heartbeat echo: %v", err)
		}
	}
}

// reply sends a reply to req on the socket req came from.
func (k *Kernel) reply(req *request, msgType string, content any) {
	frames, err := encodeMessage(k.signer, req.Identities, newHeader(msgType, k.session), req.RawHeader, nil, content)
	if err != nil {
		k.logf("kernel: encoding %s: %v", msgType, err)
		return
	}
	if k.opt.trace {
		k.logf("kernel: trace: replied %s on %s (parent %s)", msgType, req.channel, req.Header.MsgID)
	}
	if err := req.sock.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		k.logf("kernel: sending %s on %s: %v", msgType, req.channel, err)
	}
}

// publisher sends IOPub messages. The lock makes the order of publish calls
// the order on the wire (zmq4's PUB queues messages in Send order).
type publisher struct {
	mu      sync.Mutex
	sock    zmq4.Socket
	signer  *signer
	session string
	logf    func(format string, args ...any)
	trace   bool // log each message published (Kernel WithTrace)
}

// publish sends one IOPub message whose parent header is parent (the raw
// header of the request that caused it; nil for none).
func (p *publisher) publish(parent json.RawMessage, msgType string, content any) {
	topic := []byte("kernel." + p.session + "." + msgType)
	p.mu.Lock()
	defer p.mu.Unlock()
	frames, err := encodeMessage(p.signer, [][]byte{topic}, newHeader(msgType, p.session), parent, nil, content)
	if err != nil {
		p.logf("kernel: encoding %s: %v", msgType, err)
		return
	}
	if p.trace {
		p.logf("kernel: trace: published %s (parent %s)", msgType, rawParentID(parent))
	}
	if err := p.sock.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		p.logf("kernel: publishing %s: %v", msgType, err)
	}
}

// status publishes execution_state "busy", "idle" or "starting".
func (p *publisher) status(parent json.RawMessage, state string) {
	p.publish(parent, "status", struct {
		ExecutionState string `json:"execution_state"`
	}{state})
}

// rawParentID returns the msg_id of a raw parent header, or "none".
func rawParentID(raw json.RawMessage) string {
	var h struct {
		MsgID string `json:"msg_id"`
	}
	if json.Unmarshal(raw, &h) != nil || h.MsgID == "" {
		return "none"
	}
	return h.MsgID
}
