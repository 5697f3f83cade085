package reliability

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"xprompt/kernel/jupytertest"
)

//go:embed soak.py
var soakScript []byte

// SoakResult is what soak.py reports.
type SoakResult struct {
	Cells, Answered, OK, Error int
	Unexpected                 [][]any
	Kinds                      map[string]int
	WarmupCells                int     `json:"warmup_cells"`
	RSSWarm                    int64   `json:"rss_warm"`
	RSSEnd                     int64   `json:"rss_end"`
	SoakSeconds                float64 `json:"soak_seconds"`
	Reconnects, Restarts       int
	Hostile                    int
	HostileExecuted            int `json:"hostile_executed"`
	Alive                      bool
}

// RSSGrowth returns the kernel's RSS growth after the warm-up, in bytes.
func (r SoakResult) RSSGrowth() int64 { return r.RSSEnd - r.RSSWarm }

// Soak builds the kernel into dir and runs soak.py: cells cells, then
// reconnects client reconnects and restarts kernel restarts, then the
// hostile frames.
func Soak(dir string, cells, reconnects, restarts int, timeout time.Duration) (SoakResult, error) {
	python := jupytertest.DefaultPython
	if p := os.Getenv(jupytertest.PythonEnv); p != "" {
		python = p
	}
	if err := jupytertest.CheckModules(python, "jupyter_client", "zmq"); err != nil {
		return SoakResult{}, err
	}
	env, err := jupytertest.Prepare(dir, python)
	if err != nil {
		return SoakResult{}, err
	}
	script := filepath.Join(dir, "soak.py")
	if err := os.WriteFile(script, soakScript, 0o644); err != nil {
		return SoakResult{}, err
	}
	markers := filepath.Join(dir, "markers")
	if err := os.MkdirAll(markers, 0o755); err != nil {
		return SoakResult{}, err
	}
	out, runErr := env.Run(timeout, script, fmt.Sprint(cells), fmt.Sprint(reconnects), fmt.Sprint(restarts), markers)
	for _, line := range bytes.Split(out, []byte("\n")) {
		if js, ok := bytes.CutPrefix(line, []byte("RESULT ")); ok {
			var r SoakResult
			if err := json.Unmarshal(js, &r); err != nil {
				return r, fmt.Errorf("soak.py: %v", err)
			}
			return r, nil
		}
	}
	return SoakResult{}, fmt.Errorf("soak.py gave no RESULT line (%v):\n%s", runErr, tail(out, 4000))
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// Check reports what went wrong in r, if anything: a cell unanswered or
// with an unexpected status, a reconnect or restart not served, a hostile
// frame executed, a dead kernel.
func (r SoakResult) Check() error {
	var probs []string
	if r.Answered != r.Cells {
		probs = append(probs, fmt.Sprintf("%d of %d cells answered", r.Answered, r.Cells))
	}
	if len(r.Unexpected) > 0 {
		probs = append(probs, fmt.Sprintf("cells with an unexpected status: %v", r.Unexpected))
	}
	if r.HostileExecuted > 0 {
		probs = append(probs, fmt.Sprintf("%d hostile frames executed", r.HostileExecuted))
	}
	if !r.Alive {
		probs = append(probs, "the kernel is not alive after the hostile frames")
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("soak: %v", probs)
}
