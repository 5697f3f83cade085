package repl

import (
	"bytes"
	"errors"
	"io"
)

// maxTTYEOFs is how many end-of-file reads in a row ttyInput skips before it
// reports end of file: a terminal that keeps answering reads with nothing
// has gone.
const maxTTYEOFs = 16

// ttyInput reads a terminal for readline, dropping what a Ctrl-D typed
// while a cell runs leaves behind. During a cell the terminal is in cooked
// mode, where Ctrl-D at the start of a line is not a byte but an end-of-file
// mark; when readline puts the terminal back in raw mode for the next
// prompt, Linux hands that mark over as a NUL byte, and other systems may
// answer the read with nothing. readline takes either for the end of its
// input, after which the REPL could neither read a line nor close readline
// (it waited forever on its reading goroutine). Dropped, the Ctrl-D is
// ignored and the session goes on; a Ctrl-D typed at the prompt, a byte in
// raw mode, still exits. The NUL that Ctrl-Space sends is dropped too:
// readline has no use for it but the same mistake.
type ttyInput struct {
	r    io.Reader
	eofs int // end-of-file reads since the last byte
}

func (t *ttyInput) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := t.r.Read(p)
		kept := len(dropNULs(p[:n]))
		if kept > 0 {
			t.eofs = 0
			return kept, err
		}
		switch {
		case n > 0 && err == nil: // only NULs: read again
		case errors.Is(err, io.EOF) && t.eofs < maxTTYEOFs:
			t.eofs++
		default:
			return 0, err
		}
	}
}

// dropNULs removes the zero bytes of b in place and returns what is left.
func dropNULs(b []byte) []byte {
	if bytes.IndexByte(b, 0) < 0 {
		return b
	}
	out := b[:0]
	for _, c := range b {
		if c != 0 {
			out = append(out, c)
		}
	}
	return out
}

// Close does nothing: the terminal belongs to the process, not to readline.
func (t *ttyInput) Close() error { return nil }
