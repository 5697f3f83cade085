package regularfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadRefusesNonRegular: a FIFO, a symbolic link to /dev/zero and a
// directory are refused at once; a file over the limit is refused; a regular
// file is read.
func TestReadRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, 2000), 0o644)
	ok := filepath.Join(dir, "ok")
	os.WriteFile(ok, []byte("hello"), 0o644)
	for _, p := range []string{fifo, zero, dir, big} {
		done := make(chan error, 1)
		go func() { _, err := Read(p, 1000); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), p) {
				t.Errorf("%s: error %v, want one naming the file", p, err)
			}
		case <-time.After(10 * time.Second): // hang guard
			t.Fatalf("%s: Read blocked", p)
		}
	}
	if b, err := Read(ok, 1000); err != nil || string(b) != "hello" {
		t.Errorf("regular file: %q, %v", b, err)
	}
}
