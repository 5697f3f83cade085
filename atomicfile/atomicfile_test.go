package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestFailedWriteKeepsOld: a fill that fails leaves the old file and no
// temporary file.
func TestFailedWriteKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := Write(p, 0o644, func(w io.Writer) error {
		w.Write(bytes.Repeat([]byte("x"), 3<<20))
		return errors.New("disk on fire")
	})
	if err == nil {
		t.Fatal("failed fill: no error")
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("file = %.20q after a failed write, want old", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want 1 (temporary file left?)", len(entries))
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
}

// TestConcurrentWriters: writers of one path at once never mix their data
// (each uses its own temporary file).
func TestConcurrentWriters(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			data := bytes.Repeat([]byte{byte('a' + i)}, 1<<20)
			errs <- WriteFile(p, data, 0o644)
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	checkWhole(t, p)
}

// checkWhole fails unless the file at p is one writer's whole data: 1 MiB
// of one letter.
func checkWhole(t *testing.T, p string) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1<<20 || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) {
		t.Fatalf("file of %d bytes is not one writer's data", len(got))
	}
}

// TestKill9DuringWrites: a process killed with SIGKILL at random moments
// while it rewrites a file leaves a whole file every time.
func TestKill9DuringWrites(t *testing.T) {
	if p := os.Getenv("ATOMICFILE_WRITER"); p != "" {
		for i := 0; ; i++ {
			WriteFile(p, bytes.Repeat([]byte{byte('a' + i%26)}, 1<<20), 0o644)
		}
	}
	kills := 20
	if n, err := strconv.Atoi(os.Getenv("ATOMICFILE_KILLS")); err == nil {
		kills = n
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteFile(p, bytes.Repeat([]byte("z"), 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	for k := range kills {
		c := exec.Command(os.Args[0], "-test.run=^TestKill9DuringWrites$")
		c.Env = append(os.Environ(), "ATOMICFILE_WRITER="+p)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond)
		c.Process.Kill()
		c.Wait()
		t.Run(fmt.Sprint(k), func(t *testing.T) { checkWhole(t, p) })
	}
}
