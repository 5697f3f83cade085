package repl

import (
	"errors"
	"io"
	"testing"
)

// scriptedReader answers each Read with the next chunk; a nil chunk is an
// end-of-file read. After the script it reports end of file.
type scriptedReader struct{ chunks [][]byte }

func (s *scriptedReader) Read(p []byte) (int, error) {
	if len(s.chunks) == 0 {
		return 0, io.EOF
	}
	c := s.chunks[0]
	s.chunks = s.chunks[1:]
	if c == nil {
		return 0, io.EOF
	}
	return copy(p, c), nil
}

func TestTTYInputDropsNULsAndStrayEOFs(t *testing.T) {
	in := &ttyInput{r: &scriptedReader{chunks: [][]byte{{0}, nil, []byte("a\x00b"), nil, nil, []byte("c")}}}
	buf := make([]byte, 8)
	for _, want := range []string{"ab", "c"} {
		n, err := in.Read(buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("Read = %q, %v; want %q, nil", buf[:n], err, want)
		}
	}
	// A terminal that only answers with end of file has gone: after
	// maxTTYEOFs of them, Read reports it.
	n, err := in.Read(buf)
	if n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("Read at the end = %d, %v; want 0, EOF", n, err)
	}
	if in.eofs != maxTTYEOFs {
		t.Errorf("skipped %d end-of-file reads, want %d", in.eofs, maxTTYEOFs)
	}
}
