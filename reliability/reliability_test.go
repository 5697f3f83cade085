package reliability

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"xprompt/kernel/jupytertest"
)

// TestSoakShort runs a short soak through jupyter_client: every cell
// answered with the status its kind expects, reconnects and restarts served,
// no hostile frame executed, the kernel alive at the end.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a kernel")
	}
	if err := jupytertest.CheckModules(jupytertest.DefaultPython, "jupyter_client", "zmq"); err != nil {
		if os.Getenv(jupytertest.RequireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	r, err := Soak(t.TempDir(), 100, 3, 1, 8*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", r)
	if err := r.Check(); err != nil {
		t.Error(err)
	}
	if r.Reconnects != 3 || r.Restarts != 1 || r.Hostile == 0 {
		t.Errorf("%d of 3 reconnects, %d of 1 restarts served, %d hostile frames sent", r.Reconnects, r.Restarts, r.Hostile)
	}
}

// TestKill9DuringSaves: a writer of a checkpoint, an image tokenizer and a
// PNG killed with SIGKILL at random moments always leaves files that load.
func TestKill9DuringSaves(t *testing.T) {
	if dir := os.Getenv("XPROMPT_CRASH_WRITER"); dir != "" {
		CrashWriter(dir, false)
		os.Exit(1)
	}
	dir := t.TempDir()
	if err := CrashWriter(dir, true); err != nil {
		t.Fatal(err)
	}
	kills := 20
	if testing.Short() {
		kills = 5
	}
	r, err := Kill9(dir, kills, func() *exec.Cmd {
		c := exec.Command(os.Args[0], "-test.run=^TestKill9DuringSaves$")
		c.Env = append(os.Environ(), "XPROMPT_CRASH_WRITER="+dir)
		return c
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", r)
	if r.Rewritten < r.Kills/2 {
		t.Errorf("only %d of %d kills hit a writer at work", r.Rewritten, r.Kills)
	}
	if r.Loaded != r.Kills || len(r.Failures) > 0 {
		t.Errorf("%d of %d kills left loadable files: %v", r.Loaded, r.Kills, r.Failures)
	}
}
