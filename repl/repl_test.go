package repl

import (
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"xprompt/display"
	"xprompt/session"
)

func runPipe(t *testing.T, input string, opts Options) (string, error) {
	t.Helper()
	var out, errw strings.Builder
	off := false
	opts.In, opts.Out, opts.Err, opts.Terminal = strings.NewReader(input), &out, &errw, &off
	if opts.Session == nil {
		s, err := session.New(session.Options{})
		if err != nil {
			t.Fatal(err)
		}
		opts.Session = s
	}
	err := Run(opts)
	return out.String() + errw.String(), err
}

func TestPipe(t *testing.T) {
	dir := t.TempDir()
	input := `x := core.Ones(2, 3)
y := ops.MatMul(x, core.Full(2, 3, 4))
y.Shape()
func double(v float32) float32 {
	return 2 * v
}
double(y.At(0, 0))
fmt.Println("printed", x.Len())
ops.MatMul(x, x)
%time z := 1 +
	2
z
%nosuch
img.New(32, 32)
view.NewTable("k", "v").Add("a", 1)
y.At(1, 1)`
	out, err := runPipe(t, input, Options{ImageDir: dir})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	want := regexp.MustCompile(`^\[2 4\]
12
printed 6
error: panic: ops\.MatMul: inner dimensions differ: \[2 3\] · \[2 3\]
    in the cell, line 1
wall time: [0-9.]+[µnm]?s
3
error: UsageError: unknown magic %nosuch; %help lists them
\[image 128×128 saved to (\S+)\]
Image 32×32
k  v
-  -
a  1
6
$`)
	m := want.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output:\n%s", out)
	}
	if filepath.Dir(m[1]) != dir {
		t.Errorf("image saved to %s, want a file in %s", m[1], dir)
	}
	f, err := os.Open(m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if p, err := png.Decode(f); err != nil || p.Bounds().Dx() != 128 {
		t.Errorf("saved image: %v, %v", err, p)
	}
}

func TestPipeExitOnError(t *testing.T) {
	out, err := runPipe(t, "a := 1\npanic(\"stop\")\nfmt.Println(\"not reached\")\n", Options{ExitOnError: true})
	if !errors.Is(err, ErrCellFailed) {
		t.Errorf("Run = %v, want ErrCellFailed", err)
	}
	if !strings.Contains(out, "error: panic: stop") || strings.Contains(out, "not reached") {
		t.Errorf("output:\n%s", out)
	}
	// Without the option the loop goes on and ends with nil.
	out, err = runPipe(t, "panic(\"go on\")\nfmt.Println(\"reached\")", Options{})
	if err != nil || !strings.Contains(out, "reached") {
		t.Errorf("Run = %v, output:\n%s", err, out)
	}
	// An incomplete cell at end of input is reported.
	out, _ = runPipe(t, "func f() {\n", Options{})
	if !strings.HasPrefix(out, "error: SyntaxError: ") {
		t.Errorf("incomplete cell at EOF:\n%s", out)
	}
}

func TestShrink(t *testing.T) {
	// A 4×2 image enlarged 32 times shrinks back exactly.
	src := pattern(4, 2)
	big := enlarge(src, 32)
	got := shrink(big, MaxImageColumns)
	if got.W != 64 || got.H != 32 {
		t.Fatalf("shrunk to %d×%d", got.W, got.H)
	}
	for y := range got.H {
		for x := range got.W {
			r, g, b := got.At(x, y)
			wr, wg, wb := src.At(x/16, y/16)
			if r != wr || g != wg || b != wb {
				t.Fatalf("pixel (%d,%d) = %v %v %v, want %v %v %v", x, y, r, g, b, wr, wg, wb)
			}
		}
	}
}

func TestPrinterUpdatesInPlace(t *testing.T) {
	var out strings.Builder
	p := newPrinter(&out, &out, true, false, t.TempDir())
	p.Display(display.Text("step 1/2"), "live", false)
	p.Display(display.Text("step 2/2"), "live", true)
	p.Display(display.Text("other"), "", false)
	p.Display(display.Text("step 3/2"), "live", true) // not the last display: printed anew
	want := "step 1/2\n\r\x1b[1A\x1b[Jstep 2/2\nother\nstep 3/2\n"
	if out.String() != want {
		t.Errorf("terminal output %q, want %q", out.String(), want)
	}
	// Without a terminal every update prints on its own.
	out.Reset()
	p = newPrinter(&out, &out, false, false, t.TempDir())
	p.Display(display.Text("a"), "live", false)
	p.Display(display.Text("b"), "live", true)
	if out.String() != "a\nb\n" {
		t.Errorf("pipe output %q", out.String())
	}
}

// A cell reading standard input reads the lines piped after it.
func TestPipeStdin(t *testing.T) {
	input := "var a, b string\nn, err := fmt.Scanln(&a, &b)\nhello world\nfmt.Println(n, err, a+\"|\"+b)\n" +
		"var c string\n_, err = fmt.Scanln(&c); fmt.Println(err, c == \"\")\n" // at the end of input
	out, err := runPipe(t, input, Options{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out)
	}
	if want := "2 <nil> hello|world\nEOF true\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}
