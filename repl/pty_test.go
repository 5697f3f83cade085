package repl

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// childEnv makes the test binary run the REPL on its standard input and
// output instead of the tests (see TestMain).
const childEnv = "XPROMPT_REPL_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if err := Run(Options{HistoryFile: "-"}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// openPTY returns the master and slave ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open slave: %v", err)
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: 120}); err != nil {
		t.Fatalf("window size: %v", err)
	}
	return m, s
}

// screen collects what the REPL writes to the terminal.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// String returns the output so far without carriage returns.
func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.ReplaceAll(s.buf.String(), "\r", "")
}

// waitFor waits until the output after offset from contains want and
// returns the offset just past it.
func (s *screen) waitFor(t *testing.T, from int, want string) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		out := s.String()
		if i := strings.Index(out[min(from, len(out)):], want); i >= 0 {
			return from + i + len(want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %q after byte %d; the terminal shows:\n%s", want, from, s.String())
	return 0
}

// terminal is a REPL running in a child process whose controlling terminal
// is a pseudo-terminal.
type terminal struct {
	t    *testing.T
	scr  *screen
	in   *os.File // the master end
	cmd  *exec.Cmd
	done chan error
}

// startTerminal starts the REPL in a child process with the extra
// environment variables env.
func startTerminal(t *testing.T, env ...string) *terminal {
	master, slave := openPTY(t)
	t.Cleanup(func() { master.Close() })
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"=1", "COLORTERM=", "HOME="+t.TempDir(), "XDG_STATE_HOME="), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	term := &terminal{t: t, scr: &screen{}, in: master, cmd: cmd, done: make(chan error, 1)}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			term.scr.mu.Lock()
			term.scr.buf.Write(b[:n])
			term.scr.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { term.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	return term
}

// typeIn types s on the terminal.
func (term *terminal) typeIn(s string) {
	if _, err := term.in.Write([]byte(s)); err != nil {
		term.t.Fatal(err)
	}
}

// exit waits for the prompt after screen position pos, types Ctrl-D and
// waits for the REPL to exit with status 0. The prompt is drawn once
// readline has the terminal in raw mode; a Ctrl-D typed before that, while
// the terminal is still in cooked mode, can be taken by the line discipline.
func (term *terminal) exit(pos int) {
	t := term.t
	t.Helper()
	term.scr.waitFor(t, pos, Prompt)
	term.typeIn("\x04")
	select {
	case err := <-term.done:
		if err != nil {
			t.Fatalf("REPL exited with %v; screen:\n%s", err, term.scr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("REPL did not exit after Ctrl-D; screen:\n%s", term.scr.String())
	}
}

// TestTerminal runs the REPL in a child process whose controlling terminal
// is a pseudo-terminal, types cells, a Ctrl-C and a Ctrl-D, and reads the
// screen.
func TestTerminal(t *testing.T) {
	term := startTerminal(t)
	scr, typeIn := term.scr, term.typeIn

	pos := scr.waitFor(t, 0, Prompt)
	// A tensor defined in one cell and used in the next.
	typeIn("x := core.Ones(2, 3)\r")
	pos = scr.waitFor(t, pos, Prompt)
	typeIn("ops.MatMul(x, core.Full(2, 3, 4)).At(1, 3)\r")
	pos = scr.waitFor(t, pos, "\n6\n") // Σ 1·2 over 3 terms
	// A multi-line cell shows the continuation prompt.
	typeIn("func twice(v float32) float32 {\r")
	pos = scr.waitFor(t, pos, ContinuePrompt)
	typeIn("return 2 * v\r}\r")
	pos = scr.waitFor(t, pos, Prompt)
	typeIn("twice(x.At(0, 0))\r")
	pos = scr.waitFor(t, pos, "\n2\n")
	// A shape error is reported and the session goes on.
	typeIn("ops.MatMul(x, x)\r")
	pos = scr.waitFor(t, pos, "error: panic: ops.MatMul: inner dimensions differ: [2 3] · [2 3]")
	// Ctrl-C interrupts a long cell (not under the race detector: see
	// the session's interrupt tests).
	pos = scr.waitFor(t, pos, Prompt)
	if !raceEnabled {
		typeIn("n := 0\rfor {\rn++\r}\r")
		time.Sleep(300 * time.Millisecond)
		typeIn("\x03")
		pos = scr.waitFor(t, pos, "error: Interrupted: the cell was interrupted")
		pos = scr.waitFor(t, pos, Prompt)
		typeIn("n > 0\r")
		pos = scr.waitFor(t, pos, "\ntrue\n")
	}
	// Tab completes a method of a variable.
	typeIn("x.Sh\t")
	pos = scr.waitFor(t, pos, "x.Shape")
	typeIn("()\r")
	pos = scr.waitFor(t, pos, "[2 3]")
	// A cell reading standard input reads a line typed at the terminal.
	typeIn("var word string; fmt.Scanln(&word); fmt.Println(\"got\", word)\r")
	time.Sleep(200 * time.Millisecond)
	typeIn("gopher\r")
	pos = scr.waitFor(t, pos, "got gopher")
	pos = scr.waitFor(t, pos, Prompt)
	// Ctrl-C on a line being typed clears it.
	typeIn("undefinedThing\x03")
	pos = scr.waitFor(t, pos, Prompt)
	typeIn("x.Dim(1)\r")
	pos = scr.waitFor(t, pos, "\n3\n")
	if strings.Contains(scr.String()[pos:], "undefinedThing") {
		t.Errorf("the cleared line ran")
	}
	// Ctrl-D exits with status 0.
	term.exit(pos)
}

// TestTerminalCtrlDDuringCell types Ctrl-D while a cell runs (the terminal
// in cooked mode) and Ctrl-Space at the prompt: both are ignored, the next
// cells run, and a Ctrl-D at the prompt still exits.
func TestTerminalCtrlDDuringCell(t *testing.T) {
	term := startTerminal(t)
	scr, typeIn := term.scr, term.typeIn
	pos := scr.waitFor(t, 0, Prompt)
	typeIn("time.Sleep(time.Second); 6 * 7\r")
	time.Sleep(300 * time.Millisecond)
	typeIn("\x04")
	pos = scr.waitFor(t, pos, "\n42\n")
	pos = scr.waitFor(t, pos, Prompt)
	typeIn("1 + 2\r")
	pos = scr.waitFor(t, pos, "\n3\n")
	pos = scr.waitFor(t, pos, Prompt)
	typeIn("\x00")
	typeIn("2 + 3\r")
	pos = scr.waitFor(t, pos, "\n5\n")
	term.exit(pos)
}
