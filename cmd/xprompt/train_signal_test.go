package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"xprompt/model"
)

// TestTrainSIGTERMSaves: SIGTERM stops "xprompt train" like Ctrl-C: it saves
// the steps done since the last checkpoint (here none was due) and exits.
func TestTrainSIGTERMSaves(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model")
	}
	out := filepath.Join(t.TempDir(), "run.ckpt")
	c := exec.Command(os.Args[0], "-test.run=^TestUsageExitStatus$")
	c.Env = append(os.Environ(), "XPROMPT_MAIN_ARGS=train --preset tiny --steps 1000000 --checkpoint-every 1000000 --batch 1 --out "+out)
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var log strings.Builder
	stepLine := regexp.MustCompile(`^step (\d+)/`)
	hang := time.After(5 * time.Minute) // hang guard
	for sent := false; ; {
		select {
		case l, ok := <-lines:
			if !ok {
				lines = nil
				break
			}
			log.WriteString(l + "\n")
			if m := stepLine.FindStringSubmatch(l); m != nil && m[1] != "0" && !sent {
				c.Process.Signal(syscall.SIGTERM)
				sent = true
			}
			continue
		case <-hang:
			t.Fatalf("no exit after SIGTERM; stderr:\n%s", log.String())
		}
		break
	}
	err = c.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Errorf("exit %v, want status 1 (interrupted)", err)
	}
	saved := regexp.MustCompile(`saved .* at step (\d+)`).FindStringSubmatch(log.String())
	if saved == nil || saved[1] == "0" {
		t.Fatalf("no checkpoint saved on SIGTERM; stderr:\n%s", log.String())
	}
	if _, err := model.Load(out); err != nil {
		t.Errorf("the checkpoint saved on SIGTERM does not load: %v", err)
	}
}
