// Package kernel is the Jupyter kernel of xprompt: the Jupyter messaging
// protocol 5.3 over ZeroMQ (github.com/go-zeromq/zmq4, pure Go), driving any
// display.Evaluator.
//
// The package is split by responsibility:
//
//   - connection.go: the connection file (transport, ip, five ports, key,
//     signature scheme) and its validation;
//   - wire.go: the message frames ([identities…] <IDS|MSG> signature header
//     parent_header metadata content [buffers…]), HMAC-SHA256 signing and
//     verification, size limits;
//   - transport.go: a guarded TCP/IPC transport registered with zmq4 that
//     caps frame and message sizes before zmq4 allocates them, closes peers
//     that never finish the ZMTP handshake and drops peers that stop reading;
//   - sockets.go: shell, control and stdin ROUTERs, the IOPub PUB, the
//     heartbeat REP echo on its own goroutine, and the reader loops;
//   - kernel.go: the Kernel value, its options and its life cycle (New, Serve,
//     Run, interrupt, shutdown, signals);
//   - handlers.go: dispatch of shell and control requests;
//   - execute.go and history.go: execute_request, the cell output sink, the
//     execution counter and the in-memory history;
//   - abort.go: stopping Run All at the first error (requests dated before
//     the error reply are aborted, even when they arrive after it);
//   - stdin.go: input_request and input_reply for cells reading stdin;
//   - install.go: the kernelspec (kernel.json and logos) and where it goes.
//
// Concurrency: one goroutine reads each socket. Shell requests are handled
// in order by a single worker goroutine, so the evaluator is never called
// concurrently by the kernel; control requests (interrupt, shutdown,
// kernel_info) are handled by the control reader at once, while a cell runs.
// The heartbeat echo never waits on anything else. Every IOPub message goes
// through one publisher under a lock, so the output of a cell reaches
// subscribers in the order the cell produced it, each with the request's
// header as its parent header.
//
// Messages that fail verification (bad or missing signature, replayed
// signature, no <IDS|MSG> delimiter, too few frames, invalid JSON, frames
// over the limits) are dropped and logged; they are never executed.
//
// See NOTES.md for what was found about zmq4 v0.17.0 and how the kernel works
// around it.
package kernel
