package tasks

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestLoadFolderHostileFiles: an instructions.txt that is a FIFO or a link to
// /dev/zero, and images that are FIFOs, give errors naming them at once; the
// good pairs still load.
func TestLoadFolderHostileFiles(t *testing.T) {
	for _, kind := range []string{"fifo", "devzero"} {
		root := t.TempDir()
		writeFolder(t, root, map[string]string{
			"t/input/a.png": "png:1", "t/output/a.png": "png:22",
		})
		special := filepath.Join(root, "t", "instructions.txt")
		var err error
		if kind == "fifo" {
			err = syscall.Mkfifo(special, 0o600)
			if err == nil {
				err = syscall.Mkfifo(filepath.Join(root, "t", "input", "b.png"), 0o600)
			}
		} else {
			err = os.Symlink("/dev/zero", special)
		}
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		var pairs []Example
		var errs []error
		go func() {
			defer close(done)
			pairs, errs, err = LoadFolder(root, 32)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second): // hang guard
			t.Fatalf("%s: LoadFolder blocked", kind)
		}
		if err != nil || len(pairs) != 1 || len(errs) == 0 {
			t.Errorf("%s: %d pairs, errors %v, %v; want the good pair and errors naming the bad files", kind, len(pairs), errs, err)
		}
	}
}
