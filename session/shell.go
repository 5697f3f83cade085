package session

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"xprompt/display"
)

// Shell commands, as IPython's and gonb's "!": a cell whose lines all start
// with "!" runs each line with sh -c, in order, streaming its output into
// the cell while it runs. A command that fails (non-zero status) stops the
// cell with a ShellError; interrupting the cell sends SIGINT to the
// command's process group, then SIGKILL after shellKillDelay. (A Go
// expression such as "!ok" cannot start a cell: write "x := !ok".)

// shellKillDelay is how long an interrupted command has to exit after SIGINT.
const shellKillDelay = 2 * time.Second

// shellCommands returns the commands of a cell made of "!" lines.
func shellCommands(code string) ([]string, bool) {
	var cmds []string
	for _, line := range strings.Split(strings.TrimSpace(code), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		cmd, ok := strings.CutPrefix(line, "!")
		if !ok {
			return nil, false
		}
		cmds = append(cmds, cmd)
	}
	return cmds, len(cmds) > 0
}

// runShell runs the commands one after the other.
func (s *Session) runShell(ctx context.Context, cmds []string, sink display.Sink) error {
	for _, c := range cmds {
		if strings.TrimSpace(c) == "" {
			continue
		}
		if err := s.runCommand(ctx, c, sink); err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) runCommand(ctx context.Context, command string, sink display.Sink) error {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Env = s.env
	cmd.Stdout = sinkWriter{sink, "stdout"}
	cmd.Stderr = sinkWriter{sink, "stderr"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = shellKillDelay
	err := cmd.Run()
	if ctx.Err() != nil {
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // what is left of the group
		}
		return interrupted(ctx.Err())
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit):
		msg := fmt.Sprintf("!%s: exit status %d", command, exit.ExitCode())
		return &display.CellError{Name: "ShellError", Value: msg, Traceback: []string{"ShellError: " + msg}}
	}
	msg := fmt.Sprintf("!%s: %v", command, err)
	return &display.CellError{Name: "ShellError", Value: msg, Traceback: []string{"ShellError: " + msg}}
}

// sinkWriter writes a command's output to a stream of the cell.
type sinkWriter struct {
	sink display.Sink
	name string
}

func (w sinkWriter) Write(p []byte) (int, error) {
	w.sink.Stream(w.name, string(p))
	return len(p), nil
}
