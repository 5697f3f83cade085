package reliability

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// FuzzTarget is one Fuzz function and the package directory that holds it.
type FuzzTarget struct {
	Dir, Name string
}

var fuzzFunc = regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)

// FuzzTargets lists every Fuzz function in the _test.go files under root.
func FuzzTargets(root string) ([]FuzzTarget, error) {
	var ts []FuzzTarget
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range fuzzFunc.FindAllSubmatch(b, -1) {
			ts = append(ts, FuzzTarget{Dir: filepath.Dir(path), Name: string(m[1])})
		}
		return nil
	})
	sort.Slice(ts, func(i, j int) bool { return ts[i].Dir+ts[i].Name < ts[j].Dir+ts[j].Name })
	return ts, err
}

var execsLine = regexp.MustCompile(`execs: (\d+)`)

// Fuzz runs one target for d with the go command and returns the
// executions it reports; a failure returns the output.
func Fuzz(t FuzzTarget, d time.Duration) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d+5*time.Minute) // build time included
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", ".", "-run", "^$", "-fuzz", "^"+t.Name+"$",
		"-fuzztime", d.String(), "-fuzzminimizetime", "2s", "-parallel", "2")
	cmd.Dir = t.Dir
	out, err := cmd.CombinedOutput()
	var execs int64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := execsLine.FindStringSubmatch(sc.Text()); m != nil {
			execs, _ = strconv.ParseInt(m[1], 10, 64)
		}
	}
	if err != nil && !deadlineRace(out) {
		return execs, fmt.Errorf("%s %s: %v\n%s", t.Dir, t.Name, err, tail(out, 3000))
	}
	return execs, nil
}

// deadlineRace reports whether a failed fuzz run's output is only Go 1.26's
// coordinator reporting its own -fuzztime deadline ("context deadline
// exceeded" with no failing input; go.dev/issue/75804, fixed in Go 1.27). A
// real finding always writes its input to testdata/fuzz and says so.
func deadlineRace(out []byte) bool {
	return bytes.Contains(out, []byte("\n    context deadline exceeded\n")) &&
		!bytes.Contains(out, []byte("Failing input written")) &&
		!bytes.Contains(out, []byte("panic:"))
}
