package kernel

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/transport"
)

// The guarded transports are zmq4's tcp and ipc transports with a net.Conn
// wrapper that protects the kernel from its peers. zmq4 v0.17.0 itself
//
//   - allocates a frame of whatever size the 8-byte ZMTP length says
//     (make([]byte, size)), so one bad header takes the process down;
//   - performs the ZMTP handshake inside its accept loop, so a peer that
//     connects and sends nothing blocks every later connection;
//   - parses the peer's READY command with unchecked slicing, so a malformed
//     handshake panics in zmq4's accept goroutine;
//   - writes to each subscriber of a PUB socket in turn, holding a lock, so a
//     subscriber that stops reading stalls IOPub for all the others.
//
// guardedConn reads the ZMTP stream alongside zmq4 and closes the connection
// at a header over the limits or a malformed READY before zmq4 sees it,
// closes connections whose handshake is not done within handshakeTimeout, and
// closes a connection whose writes block longer than writeTimeout. Its errors
// are non-timeout net.Errors, which zmq4 treats as a dead connection and
// removes.
const (
	guardedTCP = "xprompt-tcp"
	guardedIPC = "xprompt-ipc"
)

var registerOnce = sync.OnceValue(func() error {
	if err := zmq4.RegisterTransport(guardedTCP, guardedTransport{transport.New("tcp")}); err != nil {
		return err
	}
	return zmq4.RegisterTransport(guardedIPC, guardedTransport{transport.New("unix")})
})

// guard holds the protections of one socket's listener. It travels to
// guardedTransport.Listen in the socket's context (zmq4 passes the socket's
// context to Listen). The guards of one kernel share pending.
type guard struct {
	lim              Limits
	handshakeTimeout time.Duration
	writeTimeout     time.Duration // 0: writes never time out
	maxConns         int           // live connections of the listener
	maxMessages      int           // messages a connection may send; 0: no limit
	pending          *atomic.Int64 // bytes of incomplete messages, all sockets
	logf             func(format string, args ...any)
}

// Before authentication (a message's signature can only be checked once it
// is whole), what a peer can make the kernel hold is bounded by: the frame
// and message limits per connection, maxConns connections per socket, and
// Limits.MaxPendingBytes of incomplete messages over all connections. The
// IOPub and heartbeat sockets, which never take large messages, get small
// limits; IOPub peers may send few messages (subscriptions), and heartbeat
// peers that stop reading are dropped after hbWriteTimeout, so that one
// cannot stall the echo of the others.
const (
	defaultMaxConns  = 128
	smallFrameBytes  = 1024
	maxSubscriptions = 64
	hbWriteTimeout   = 2 * time.Second
)

// forSocket returns the guard of the socket called name.
func (g *guard) forSocket(name string) *guard {
	c := *g
	switch name {
	case "iopub", "heartbeat":
		c.lim = Limits{MaxFrameBytes: smallFrameBytes, MaxMessageBytes: smallFrameBytes, MaxFrames: 8, MaxPendingBytes: g.lim.MaxPendingBytes}
	}
	if name == "iopub" {
		c.maxMessages = maxSubscriptions
	}
	if name == "heartbeat" && (c.writeTimeout == 0 || c.writeTimeout > hbWriteTimeout) {
		c.writeTimeout = hbWriteTimeout
	}
	return &c
}

type guardKey struct{}

func withGuard(ctx context.Context, g *guard) context.Context {
	return context.WithValue(ctx, guardKey{}, g)
}

type guardedTransport struct{ base transport.Transport }

func (t guardedTransport) Dial(ctx context.Context, d transport.Dialer, addr string) (net.Conn, error) {
	return t.base.Dial(ctx, d, addr)
}

func (t guardedTransport) Addr(ep string) (string, error) { return t.base.Addr(ep) }

func (t guardedTransport) Listen(ctx context.Context, addr string) (net.Listener, error) {
	g, _ := ctx.Value(guardKey{}).(*guard)
	if g == nil {
		return nil, errors.New("kernel: guarded transport used without a guard")
	}
	l, err := t.base.Listen(ctx, addr)
	if err != nil {
		return nil, err
	}
	gl := &guardedListener{Listener: l, g: g, ready: make(chan net.Conn), done: make(chan struct{})}
	go gl.acceptLoop()
	return gl, nil
}

// guardedListener accepts connections on its own goroutine and hands zmq4
// only those whose peer has started its greeting: zmq4 performs the ZMTP
// handshake inside its accept loop, so a peer that connects and says nothing
// would hold up every later connection until it timed out. Waiting for the
// first bytes happens for all new connections at once.
type guardedListener struct {
	net.Listener
	g     *guard
	live  atomic.Int64
	ready chan net.Conn
	done  chan struct{}
	once  sync.Once
	err   atomic.Value // error of the base Accept
}

func (l *guardedListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			l.err.Store(err)
			l.once.Do(func() { close(l.done) })
			return
		}
		if n := l.live.Add(1); l.g.maxConns > 0 && n > int64(l.g.maxConns) {
			l.live.Add(-1)
			l.g.logf("kernel: refusing a connection from %v: %d connections is the limit", c.RemoteAddr(), l.g.maxConns)
			c.Close()
			continue
		}
		gc := &guardedConn{Conn: c, g: l.g, l: l, scan: frameScanner{lim: l.g.lim, greeting: zmtpGreetingLen, pending: l.g.pending, maxMessages: l.g.maxMessages}}
		gc.timer = time.AfterFunc(l.g.handshakeTimeout, func() {
			if !gc.handshook.Load() {
				gc.fail(fmt.Errorf("no ZMTP handshake within %v", l.g.handshakeTimeout))
			}
		})
		go l.greet(gc)
	}
}

// greet waits for the peer's first bytes, then hands the connection to zmq4.
func (l *guardedListener) greet(gc *guardedConn) {
	buf := make([]byte, zmtpGreetingLen)
	n, err := gc.Read(buf)
	if err != nil || n == 0 {
		gc.Close()
		return
	}
	gc.prefix = buf[:n]
	select {
	case l.ready <- gc:
	case <-l.done:
		gc.Close()
	}
}

func (l *guardedListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		if err, ok := l.err.Load().(error); ok {
			return nil, err
		}
		return nil, net.ErrClosed
	}
}

func (l *guardedListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { close(l.done) })
	return err
}

// wireError is the error a guarded connection fails with. It is a net.Error
// that is not a timeout, so zmq4 marks the connection closed and removes it.
type wireError struct{ msg string }

func (e *wireError) Error() string   { return "kernel: " + e.msg }
func (e *wireError) Timeout() bool   { return false }
func (e *wireError) Temporary() bool { return false }

var _ net.Error = (*wireError)(nil)

type guardedConn struct {
	net.Conn
	g         *guard
	l         *guardedListener
	scan      frameScanner // used only by the one goroutine that reads
	prefix    []byte       // bytes read (and scanned) before zmq4 had the connection
	timer     *time.Timer
	handshook atomic.Bool
	failed    atomic.Pointer[wireError]
	closed    sync.Once
}

// fail closes the connection once, logging why.
func (c *guardedConn) fail(err error) *wireError {
	we := &wireError{msg: err.Error()}
	if c.failed.CompareAndSwap(nil, we) {
		c.g.logf("kernel: dropping connection from %v: %v", c.RemoteAddr(), err)
		c.Close()
		return we
	}
	return c.failed.Load()
}

func (c *guardedConn) Read(p []byte) (int, error) {
	if we := c.failed.Load(); we != nil {
		return 0, we
	}
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		done, serr := c.scan.feed(p[:n])
		if serr != nil {
			// Return none of this chunk: the header over the limit must not
			// reach zmq4, and the connection is going away anyway.
			return 0, c.fail(serr)
		}
		if done && !c.handshook.Load() {
			c.handshook.Store(true)
			c.timer.Stop()
		}
	}
	if err != nil {
		if we := c.failed.Load(); we != nil {
			return n, we
		}
	}
	return n, err
}

func (c *guardedConn) Write(p []byte) (int, error) {
	if we := c.failed.Load(); we != nil {
		return 0, we
	}
	if c.g.writeTimeout > 0 {
		c.Conn.SetWriteDeadline(time.Now().Add(c.g.writeTimeout))
	}
	n, err := c.Conn.Write(p)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return n, c.fail(fmt.Errorf("peer read nothing for %v", c.g.writeTimeout))
		}
		if we := c.failed.Load(); we != nil {
			return n, we
		}
	}
	return n, err
}

func (c *guardedConn) Close() error {
	c.timer.Stop()
	c.closed.Do(func() {
		c.scan.release()
		if c.l != nil {
			c.l.live.Add(-1)
		}
	})
	return c.Conn.Close()
}

// ZMTP 3 framing (https://rfc.zeromq.org/spec/23/): a 64-byte greeting, then
// frames of a flags byte (bit 0 MORE, bit 1 LONG, bit 2 COMMAND), a size of 1
// byte (or 8 big-endian bytes when LONG) and the body.
const (
	zmtpGreetingLen = 64
	flagMore        = 0x01
	flagLong        = 0x02
	flagCommand     = 0x04
)

// frameScanner follows a ZMTP byte stream and refuses frames and messages
// over the limits as soon as their header is complete.
type frameScanner struct {
	lim      Limits
	greeting int // greeting bytes still to come

	hdr    [9]byte
	hdrN   int // header bytes collected; 0 means the next byte is a flags byte
	hdrLen int // 2 or 9
	body   uint64

	msgBytes  uint64 // bytes of the message in progress
	msgFrames int    // frames of the message in progress
	commands  int    // complete command frames seen
	first     []byte // body of the first command (the handshake's READY)

	pending     *atomic.Int64 // the kernel's bytes of incomplete messages (nil: not counted)
	held        atomic.Int64  // this connection's share of pending
	messages    int           // complete messages seen
	maxMessages int           // 0: no limit
}

// release gives back the connection's share of the pending bytes.
func (s *frameScanner) release() {
	if s.pending != nil {
		s.pending.Add(-s.held.Swap(0))
	}
}

// maxHandshakeCommand bounds the first command; a READY holds a few short
// properties.
const maxHandshakeCommand = 64 << 10

// feed advances the scanner over b. done reports that the handshake is over
// (the greeting and the first command, READY for the NULL mechanism).
func (s *frameScanner) feed(b []byte) (done bool, err error) {
	for len(b) > 0 {
		switch {
		case s.greeting > 0:
			k := min(len(b), s.greeting)
			for i, c := range b[:k] {
				switch pos := zmtpGreetingLen - s.greeting + i; {
				case pos == 0 && c != 0xff, pos == 9 && c != 0x7f:
					return false, errors.New("not a ZMTP greeting")
				case pos == 10 && c < 3:
					return false, fmt.Errorf("ZMTP version %d, want 3", c)
				}
			}
			s.greeting -= k
			b = b[k:]
		case s.body > 0:
			take := min(s.body, uint64(len(b)))
			if s.commands == 0 {
				s.first = append(s.first, b[:take]...)
			}
			s.body -= take
			b = b[take:]
			if s.body == 0 {
				if err := s.endFrame(); err != nil {
					return false, err
				}
			}
		default:
			if s.hdrN == 0 {
				flags := b[0]
				if flags&^(flagMore|flagLong|flagCommand) != 0 {
					return false, fmt.Errorf("ZMTP flags %#x has reserved bits", flags)
				}
				s.hdrLen = 2
				if flags&flagLong != 0 {
					s.hdrLen = 9
				}
			}
			k := copy(s.hdr[s.hdrN:s.hdrLen], b)
			s.hdrN += k
			b = b[k:]
			if s.hdrN < s.hdrLen {
				continue
			}
			if err := s.startFrame(); err != nil {
				return false, err
			}
		}
	}
	return s.greeting == 0 && s.commands > 0, nil
}

// startFrame checks a complete header against the limits.
func (s *frameScanner) startFrame() error {
	flags := s.hdr[0]
	var size uint64
	if s.hdrLen == 9 {
		size = binary.BigEndian.Uint64(s.hdr[1:9])
	} else {
		size = uint64(s.hdr[1])
	}
	if size > uint64(s.lim.MaxFrameBytes) {
		return fmt.Errorf("frame of %d bytes, limit %d", size, s.lim.MaxFrameBytes)
	}
	if s.commands == 0 {
		// The handshake: one READY command, which zmq4 parses with
		// unchecked slicing, so it is checked here first.
		if flags&flagCommand == 0 || flags&flagMore != 0 {
			return errors.New("handshake: first frame is not a single command")
		}
		if size > maxHandshakeCommand {
			return fmt.Errorf("handshake: command of %d bytes, limit %d", size, maxHandshakeCommand)
		}
	}
	if flags&flagCommand == 0 {
		s.msgFrames++
		s.msgBytes += size
		if s.msgFrames > s.lim.MaxFrames {
			return fmt.Errorf("message of more than %d frames", s.lim.MaxFrames)
		}
		if s.msgBytes > uint64(s.lim.MaxMessageBytes) {
			return fmt.Errorf("message of more than %d bytes", s.lim.MaxMessageBytes)
		}
		if s.pending != nil && size > 0 {
			if total := s.pending.Add(int64(size)); total > int64(s.lim.maxPending()) {
				s.pending.Add(-int64(size))
				return fmt.Errorf("%d bytes of unauthenticated messages pending on all connections, limit %d", total, s.lim.maxPending())
			}
			s.held.Add(int64(size))
		}
	}
	s.body = size
	if size == 0 {
		return s.endFrame()
	}
	return nil
}

func (s *frameScanner) endFrame() error {
	flags := s.hdr[0]
	s.hdrN = 0
	if flags&flagCommand != 0 {
		if s.commands == 0 {
			if err := checkHandshakeCommand(s.first); err != nil {
				return err
			}
			s.first = nil
		}
		s.commands++
		return nil
	}
	if flags&flagMore == 0 {
		s.msgFrames, s.msgBytes = 0, 0
		s.release()
		s.messages++
		if s.maxMessages > 0 && s.messages > s.maxMessages {
			return fmt.Errorf("more than %d messages on a socket that takes only subscriptions", s.maxMessages)
		}
	}
	return nil
}

// checkHandshakeCommand checks the layout of a READY command: a name
// (length byte, name), then properties (name length byte, name, 4-byte
// big-endian value length, value) that exactly fill the body. Other commands
// pass: zmq4 rejects them safely.
func checkHandshakeCommand(body []byte) error {
	if len(body) == 0 || int(body[0]) > len(body)-1 {
		return errors.New("handshake: malformed command")
	}
	name, p := string(body[1:1+int(body[0])]), body[1+int(body[0]):]
	if name != "READY" {
		return nil
	}
	for len(p) > 0 {
		k := int(p[0])
		if len(p) < 1+k+4 {
			return errors.New("handshake: malformed READY property")
		}
		v := binary.BigEndian.Uint32(p[1+k:])
		p = p[1+k+4:]
		if uint64(v) > uint64(len(p)) {
			return errors.New("handshake: malformed READY property value")
		}
		p = p[v:]
	}
	return nil
}
