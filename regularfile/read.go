package regularfile

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// Read returns the contents of the regular file at path (symbolic links
// followed), which must hold at most max bytes. It opens without blocking,
// so a FIFO is refused rather than waited on. Errors wrap the *PathError of
// the failed operation.
func Read(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("not a regular file (%v)", st.Mode().Type())}
	}
	if st.Size() > max {
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("%d bytes is more than the %d-byte limit", st.Size(), max)}
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max { // grew while read
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("more than the %d-byte limit", max)}
	}
	return b, nil
}
