package kernel

import (
	"errors"

	"github.com/go-zeromq/zmq4"
)

// errNoStdin is the error of reading standard input in a cell whose
// execute_request did not allow stdin.
var errNoStdin = errors.New("no standard input: the front end does not accept input requests (allow_stdin is false)")

// errInputInterrupted is the error of a read interrupted while it waited.
var errInputInterrupted = errors.New("interrupted while waiting for input")

// input asks the client that sent req for a line: input_request on the stdin
// socket (to the same client identity, with req as parent), then waits for
// its input_reply, or for the cell to be interrupted.
func (k *Kernel) input(req *request, prompt string, password bool) (string, error) {
	k.cellMu.Lock()
	ctx := k.cellCtx
	k.cellMu.Unlock()
	if ctx == nil {
		return "", errInputInterrupted
	}
	for len(k.inputQ) > 0 { // a stale reply to an interrupted request
		<-k.inputQ
	}
	frames, err := encodeMessage(k.signer, req.Identities, newHeader("input_request", k.session), req.RawHeader, nil,
		map[string]any{"prompt": prompt, "password": password})
	if err != nil {
		return "", err
	}
	if err := k.socks.stdin.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		k.logf("kernel: sending input_request: %v", err)
		return "", err
	}
	select {
	case v := <-k.inputQ:
		return v, nil
	case <-ctx.Done():
		return "", errInputInterrupted
	}
}
