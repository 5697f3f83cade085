package peers

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed *.py
var scripts embed.FS

// Python is the interpreter the peers run with (Debian's, which has torch).
var Python = "/usr/bin/python3"

// Available reports whether Python can import torch, and why not.
func Available(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, Python, "-c", "import torch").CombinedOutput()
	if err != nil {
		return fmt.Errorf("peer torch: %s cannot import torch: %v %s", Python, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Run runs the named script (torch_train_step.py or torch_decode.py) with
// args plus --json and returns the JSON object it prints last.
func Run(ctx context.Context, script string, args ...string) (map[string]any, error) {
	if _, err := scripts.ReadFile(script); err != nil {
		return nil, fmt.Errorf("peer torch: no script %q", script)
	}
	if err := Available(ctx); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "xprompt-peers-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ents, _ := scripts.ReadDir(".")
	for _, e := range ents { // the decode peer imports the training peer's model
		b, _ := scripts.ReadFile(e.Name())
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			return nil, err
		}
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, Python, append([]string{filepath.Join(dir, script)}, append(args, "--json")...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("peer torch: %s: %v: %s", script, err, lastLine(stderr.String()))
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), &res); err != nil {
		return nil, fmt.Errorf("peer torch: %s printed no JSON result: %v", script, err)
	}
	return res, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
