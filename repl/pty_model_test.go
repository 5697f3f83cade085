package repl

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"xprompt/data"
	"xprompt/train"
	"xprompt/vq"

	_ "xprompt/session/xpmagic" // registers the magics this test steps through
)

// TestTerminalModelMagics steps through X-Prompt on a terminal with an
// untrained tiny model: load it, build a prompt of a held-out task, show its
// mask, compress it, generate, train, interrupt training with Ctrl-C, hit a
// shape error in a magic, and exit with Ctrl-D.
func TestTerminalModelMagics(t *testing.T) {
	if raceEnabled {
		t.Skip("training steps under the race detector take too long for this test")
	}
	codec := vq.New(vq.DefaultConfig, 1)
	var blob bytes.Buffer
	if err := codec.SaveFloat16(&blob); err != nil {
		t.Fatal(err)
	}
	r, err := train.NewRun(train.DefaultOptions("tiny"), data.NewTextTokenizer(1, 512), codec, blob.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tiny.xpm")
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}

	term := startTerminal(t, "TMPDIR="+t.TempDir()) // images are saved there
	scr, typeIn := term.scr, term.typeIn
	pos := scr.waitFor(t, 0, Prompt)
	steps := []struct {
		cell string
		want []string // in order on the screen
	}{
		{"%load " + path, []string{"preset           tiny", "source           " + path}},
		{"%prompt derain --examples 1 --seed 2", []string{"saved to", "p: derain, 1 in-context examples + query", "  target"}},
		{"%mask", []string{"saved to", "attention mask of p (xprompt layout, xprompt mask)"}},
		{"%compress all", []string{"%compress 1/4", "%compress 2/4", "%compress 3/4", "%compress 4/4: ready", "max |Δ| of keys, values"}},
		{"%gen", []string{"query input | example input | example output | generated | ground truth", "PSNR (dB)"}},
		{"%train 5", []string{"train [", "trained 5 steps: step 0 → 5"}},
	}
	for _, st := range steps {
		typeIn(st.cell + "\r")
		for _, w := range st.want {
			pos = scr.waitFor(t, pos, w)
		}
		pos = scr.waitFor(t, pos, Prompt)
	}
	// Ctrl-C stops a long training at the next step boundary.
	typeIn("%train 100000\r")
	pos = scr.waitFor(t, pos, "train [")
	start := time.Now()
	typeIn("\x03")
	pos = scr.waitFor(t, pos, "interrupted at step ")
	// The step that was running when Ctrl-C came finishes.
	var stopped int
	if _, err := fmt.Sscanf(scr.String()[pos:], "%d", &stopped); err != nil || stopped < 6 {
		t.Fatalf("stopped at step %d (%v):\n%s", stopped, err, scr.String()[pos:])
	}
	pos = scr.waitFor(t, pos, "error: Interrupted: the cell was interrupted")
	if el := time.Since(start); el > time.Minute { // a hang guard, not a speed check
		t.Errorf("Ctrl-C stopped training after %v", el)
	}
	pos = scr.waitFor(t, pos, Prompt)
	typeIn("%train\r")
	pos = scr.waitFor(t, pos, fmt.Sprintf("steps done   %d\n", stopped))
	pos = scr.waitFor(t, pos, Prompt)
	// A shape error inside a magic is reported; the session goes on.
	typeIn("p.Seq.Seg = p.Seq.Seg[:3]\r")
	pos = scr.waitFor(t, pos, Prompt)
	typeIn("%attn 0 0\r")
	pos = scr.waitFor(t, pos, "error: panic: %attn: ")
	pos = scr.waitFor(t, pos, Prompt)
	typeIn("m.Model.Cfg.Preset\r")
	pos = scr.waitFor(t, pos, "\n\"tiny\"\n") // a string result is shown quoted
	term.exit(pos)
}
