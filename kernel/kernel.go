package kernel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"xprompt/display"

	"github.com/go-zeromq/zmq4"
)

// ImplementationVersion is reported in kernel_info_reply.
const ImplementationVersion = "0.1.0"

// Option configures a Kernel.
type Option func(*options)

type options struct {
	log              io.Writer
	banner           string
	limits           Limits
	handshakeTimeout time.Duration
	writeTimeout     time.Duration
	stopWait         time.Duration
	linger           time.Duration
	insecure         bool
	output           OutputLimits
	maxConns         int
	subscriberWait   time.Duration
	trace            bool
}

func defaultOptions() options {
	return options{
		log:              os.Stderr,
		banner:           "xprompt: Go cells for in-context image generation (X-Prompt)",
		limits:           DefaultLimits,
		handshakeTimeout: 10 * time.Second,
		writeTimeout:     30 * time.Second,
		stopWait:         2 * time.Second,
		linger:           100 * time.Millisecond,
		output:           DefaultOutputLimits,
		maxConns:         defaultMaxConns,
		subscriberWait:   2 * time.Second,
	}
}

// WithLog sends the kernel's log (dropped messages, socket errors) to w
// instead of os.Stderr.
func WithLog(w io.Writer) Option { return func(o *options) { o.log = w } }

// WithBanner sets the banner of kernel_info_reply.
func WithBanner(s string) Option { return func(o *options) { o.banner = s } }

// WithLimits sets the frame and message size limits (DefaultLimits otherwise).
func WithLimits(l Limits) Option { return func(o *options) { o.limits = l } }

// WithTimeouts sets how long a new connection may take to finish its ZMTP
// handshake (10 s by default) and how long a write to a peer may block
// before the peer is dropped (30 s by default; 0 never drops).
func WithTimeouts(handshake, write time.Duration) Option {
	return func(o *options) { o.handshakeTimeout, o.writeTimeout = handshake, write }
}

// WithMaxConnections sets how many connections each socket accepts at once
// (128 by default); more are closed as they come.
func WithMaxConnections(n int) Option { return func(o *options) { o.maxConns = n } }

// WithTrace logs every message the kernel receives, replies and publishes
// (type, channel, message and parent ids; no content), for finding what a
// front end waits for.
func WithTrace() Option { return func(o *options) { o.trace = true } }

// WithInsecure allows a connection file with an empty key (messages not
// signed), but only on a loopback address or an ipc socket; the kernel says
// so on its log. Without it New refuses an empty key.
func WithInsecure() Option { return func(o *options) { o.insecure = true } }

// Kernel serves the Jupyter protocol for one evaluator. Create it with New
// (which binds the sockets), run it with Serve.
type Kernel struct {
	cfg     ConnectionInfo // ports as bound
	ev      display.Evaluator
	opt     options
	logger  *log.Logger
	signer  *signer
	session string

	sockCtx    context.Context // life line of the zmq4 sockets
	sockCancel context.CancelFunc
	socks      sockets
	pub        *publisher
	budget     *outputBudget
	guard      *guard // the listeners' protections (per socket: guard.forSocket)

	runCtx    context.Context // parent of every cell's context
	runCancel context.CancelFunc
	shellQ    chan *request // shell reader → worker
	inputQ    chan string   // stdin reader → the cell waiting for input_reply
	toAbort   int           // queued requests a failed cell aborts (worker only)
	aborting  abortState    // requests sent before a failed cell's reply are aborted (worker only)
	testHook  func()        // tests: runs after a failed cell's reply, before the abort

	cellMu      sync.Mutex
	cellCancel  context.CancelFunc // cancels the running cell; nil when idle
	cellCtx     context.Context    // the running cell's context; nil when idle
	interrupted bool               // the running cell was interrupted

	stop     chan struct{} // closed by requestStop
	stopOnce sync.Once
	served   atomic.Bool

	// Owned by the worker goroutine.
	count        int
	hist         history
	subscriberIn bool // awaitSubscriber has returned once
}

// New validates cfg and binds the kernel's five sockets. Ports given as 0
// are bound to free ports; Info reports them.
func New(cfg ConnectionInfo, ev display.Evaluator, opts ...Option) (*Kernel, error) {
	if ev == nil {
		return nil, errors.New("kernel: nil evaluator")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kernel: connection info: %w", err)
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.limits.validate(); err != nil {
		return nil, err
	}
	if err := o.output.validate(); err != nil {
		return nil, err
	}
	if o.handshakeTimeout <= 0 || o.writeTimeout < 0 {
		return nil, fmt.Errorf("kernel: bad timeouts: handshake %v, write %v", o.handshakeTimeout, o.writeTimeout)
	}
	if o.log == nil {
		o.log = io.Discard
	}
	if cfg.Key == "" {
		if err := cfg.checkUnsigned(o.insecure); err != nil {
			return nil, fmt.Errorf("kernel: %w", err)
		}
		fmt.Fprintf(o.log, "kernel: WARNING: message signing is off (empty key, --insecure): any local process that can reach %s can run code\n", cfg.IP)
	}
	if err := registerOnce(); err != nil {
		return nil, fmt.Errorf("kernel: registering transports: %w", err)
	}
	k := &Kernel{
		cfg:     cfg,
		ev:      ev,
		opt:     o,
		logger:  log.New(o.log, "", log.LstdFlags|log.Lmicroseconds),
		signer:  newSigner(cfg.Key),
		session: newID(),
		shellQ:  make(chan *request, 256),
		inputQ:  make(chan string, 1),
		stop:    make(chan struct{}),
		hist:    history{session: 1},
	}
	k.runCtx, k.runCancel = context.WithCancel(context.Background())
	k.guard = &guard{lim: o.limits, handshakeTimeout: o.handshakeTimeout, writeTimeout: o.writeTimeout,
		maxConns: o.maxConns, pending: new(atomic.Int64), logf: k.logf}
	k.sockCtx, k.sockCancel = context.WithCancel(context.Background())
	if err := k.bind(); err != nil {
		k.sockCancel()
		k.closeSockets()
		k.runCancel()
		return nil, err
	}
	k.budget = newOutputBudget(o.output)
	k.pub = &publisher{sock: k.socks.iopub, signer: k.signer, session: k.session, logf: k.logf, trace: k.opt.trace}
	return k, nil
}

// Info returns the connection info with the ports actually bound.
func (k *Kernel) Info() ConnectionInfo { return k.cfg }

func (k *Kernel) logf(format string, args ...any) { k.logger.Printf(format, args...) }

// Serve runs the kernel until ctx is done or a client sends
// shutdown_request. It returns nil after a shutdown_request and ctx.Err()
// when ctx ends it; the sockets are closed either way. Serve may be called
// once.
func (k *Kernel) Serve(ctx context.Context) error {
	if !k.served.CompareAndSwap(false, true) {
		return errors.New("kernel: Serve called twice")
	}
	var readers sync.WaitGroup
	for _, f := range []func(){k.heartbeat, k.readShell, k.readControl, k.readStdin} {
		readers.Go(f)
	}
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		k.work()
	}()
	k.pub.status(nil, "starting")

	var err error
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case <-k.stop:
	}
	k.runCancel() // cancels the running cell and stops the worker
	select {
	case <-workerDone:
	case <-time.After(k.opt.stopWait):
		k.logf("kernel: the running cell ignored cancellation for %v; exiting without it", k.opt.stopWait)
	}
	time.Sleep(k.opt.linger) // let the IOPub queue drain (zmq4 has no flush)
	k.sockCancel()
	readers.Wait()
	k.closeSockets()
	return err
}

// Close releases the sockets of a kernel whose Serve was never called.
func (k *Kernel) Close() error {
	if k.served.Load() {
		return errors.New("kernel: Close after Serve; Serve closes the sockets itself")
	}
	k.runCancel()
	k.sockCancel()
	k.closeSockets()
	return nil
}

// Interrupt cancels the context of the running cell, if any, and reports
// whether there was one.
func (k *Kernel) Interrupt() bool {
	k.cellMu.Lock()
	defer k.cellMu.Unlock()
	if k.cellCancel == nil {
		return false
	}
	k.interrupted = true
	k.cellCancel()
	return true
}

// awaitSubscriber holds the first shell request until a client has
// subscribed to IOPub, for at most subscriberWait. A client that starts the
// kernel connects every channel at once, and its subscription can reach the
// kernel after its first requests (zmq's slow joiner): the busy and idle
// statuses of those requests would go to nobody, and jupyter console, which
// waits for the idle, would wait forever. Later clients check IOPub
// themselves (jupyter_client's wait_for_ready), so only the first request
// waits.
func (k *Kernel) awaitSubscriber() {
	if k.subscriberIn {
		return
	}
	k.subscriberIn = true
	t, ok := k.socks.iopub.(zmq4.Topics)
	if !ok {
		return
	}
	deadline := time.Now().Add(k.opt.subscriberWait)
	for len(t.Topics()) == 0 && time.Now().Before(deadline) && k.runCtx.Err() == nil {
		time.Sleep(2 * time.Millisecond)
	}
}

// requestStop makes Serve return.
func (k *Kernel) requestStop() { k.stopOnce.Do(func() { close(k.stop) }) }

// work handles shell requests in order, one at a time.
func (k *Kernel) work() {
	for {
		if k.runCtx.Err() != nil {
			return
		}
		select {
		case <-k.runCtx.Done():
			return
		case req := <-k.shellQ:
			k.awaitSubscriber()
			if req.Header.MsgType == "execute_request" && k.aborting.shouldAbort(req.Header.Date, time.Now()) {
				k.replyAborted(req)
				continue
			}
			switch k.handleShell(req) {
			case abortQueue:
				if k.testHook != nil {
					k.testHook()
				}
				k.abortQueued()
			case stopKernel:
				k.requestStop()
				return
			}
		}
	}
}

// Run is the kernel process: it loads the connection file, serves ev until a
// shutdown_request, SIGTERM or the end of ctx, and turns SIGINT into an
// interrupt of the running cell. The log goes to logw.
// opts follow WithLog(logw) (WithInsecure, for one).
func Run(ctx context.Context, connectionFile string, ev display.Evaluator, logw io.Writer, opts ...Option) error {
	cfg, err := LoadConnectionFile(connectionFile)
	if err != nil {
		return err
	}
	k, err := New(cfg, ev, append([]Option{WithLog(logw)}, opts...)...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-sig:
				if s == os.Interrupt {
					k.Interrupt()
					continue
				}
				k.logf("kernel: %v: shutting down", s)
				cancel()
			}
		}
	}()
	if os.Getenv("JPY_PARENT_PID") != "" {
		go watchParent(ctx, k, cancel)
	}
	if err := k.Serve(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// watchParent shuts the kernel down when the process that started it (the
// notebook server, marked by JPY_PARENT_PID as for ipykernel) exits without
// stopping it: the kernel would otherwise outlive it forever. The parent is
// gone when this process has been re-parented.
func watchParent(ctx context.Context, k *Kernel, cancel context.CancelFunc) {
	ppid := os.Getppid()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if os.Getppid() != ppid {
				k.logf("kernel: parent process %d exited; shutting down", ppid)
				cancel()
				return
			}
		}
	}
}
