package jupytertest

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// suiteResult is the "RESULTS {json}" line of testdata/kernel_tests.py.
type suiteResult struct {
	SkippedOK map[string]string `json:"skipped_ok"` // test method → why it is skipped
	Tests     []struct {
		ID      string `json:"id"`      // module.Class.method, then " (params)" for a subtest
		Outcome string `json:"outcome"` // pass, fail, error, skip
		Detail  string `json:"detail"`  // traceback or skip reason
	} `json:"tests"`
}

// parseSuiteResult finds and decodes the RESULTS line of out.
func parseSuiteResult(out []byte) (*suiteResult, bool) {
	for _, line := range bytes.Split(out, []byte("\n")) {
		if js, ok := bytes.CutPrefix(line, []byte("RESULTS ")); ok {
			var r suiteResult
			if err := json.Unmarshal(js, &r); err != nil {
				return nil, false
			}
			return &r, true
		}
	}
	return nil, false
}

// methodOf returns the test method of a unittest id:
// "__main__.C.test_history (hist_access_type='tail')" → "test_history".
func methodOf(id string) string {
	id, _, _ = strings.Cut(id, " ")
	return id[strings.LastIndex(id, ".")+1:]
}

// requiredTests are the jupyter_kernel_test tests that must run and pass:
// one per sample kind the suite provides.
var requiredTests = []string{
	"test_kernel_info", "test_execute_stdout", "test_execute_stderr", "test_completion",
	"test_is_complete", "test_error", "test_execute_result", "test_display_data",
	"test_history", "test_inspect", "test_pager",
}

// TestClients runs real Jupyter clients against the kernel, built and
// installed once: jupyter_kernel_test's suite, a life-cycle script
// (interrupt, restart, shutdown) and jupyter console reading cells from a
// pipe.
func TestClients(t *testing.T) {
	e := Setup(t, "jupyter_client", "jupyter_kernel_test", "jupyter_console")
	t.Run("kernel_test", func(t *testing.T) { testKernelConformance(t, e) })
	t.Run("lifecycle", func(t *testing.T) { testLifecycle(t, e) })
	t.Run("usability", func(t *testing.T) { testScript(t, e, "usability.py", 22) })
	t.Run("console", func(t *testing.T) { testConsole(t, e) })
}

// testKernelConformance runs jupyter_kernel_test's KernelTests against the
// installed kernel with the samples of testdata/kernel_tests.py. Every test
// must pass; the only skips allowed are those the script lists (features
// the kernel does not have), and every subtest of history (tail, range,
// search) must run.
func testKernelConformance(t *testing.T, e *Env) {
	start := time.Now()
	out, runErr := e.Run(3*time.Minute, testdataPath(t, "kernel_tests.py"))
	t.Logf("jupyter_kernel_test: %.1fs", time.Since(start).Seconds())
	res, ok := parseSuiteResult(out)
	if !ok {
		t.Fatalf("no RESULTS line (error %v); output:\n%s", runErr, out)
	}
	passed := map[string]bool{}
	failed := false
	for _, r := range res.Tests {
		m := methodOf(r.ID)
		switch r.Outcome {
		case "pass":
			if !strings.Contains(r.ID, " ") {
				passed[m] = true
			}
		case "skip":
			if _, ok := res.SkippedOK[m]; !ok || strings.Contains(r.ID, " ") {
				failed = true
				t.Errorf("%s skipped: %s", r.ID, r.Detail)
			}
		default:
			failed = true
			t.Errorf("%s: %s\n%s", r.ID, r.Outcome, r.Detail)
		}
	}
	for _, m := range requiredTests {
		if !passed[m] {
			failed = true
			t.Errorf("%s did not pass", m)
		}
	}
	// The history test must have run its search subtests, not skipped them.
	var searches int
	for _, r := range res.Tests {
		if strings.Contains(r.ID, "hist_access_type='search'") && r.Outcome == "pass" {
			searches++
		}
	}
	if searches < 3 {
		failed = true
		t.Errorf("history search: %d subtests passed, want the normal, unique and n subtests", searches)
	}
	if runErr != nil && !failed {
		t.Errorf("kernel_tests.py: %v", runErr)
		failed = true
	}
	if failed {
		t.Logf("output:\n%s", out)
	}
}

// testdataPath returns the absolute path of testdata/name.
func testdataPath(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testLifecycle runs testdata/lifecycle.py: an interrupted loop ends with
// Interrupted and keeps the session, restart gives a new process and an
// empty session, shutdown ends the process with code 0.
func testLifecycle(t *testing.T, e *Env) {
	start := time.Now()
	out, err := e.Run(2*time.Minute, testdataPath(t, "lifecycle.py"))
	t.Logf("lifecycle.py: %.1fs", time.Since(start).Seconds())
	checks := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "ok: ") {
			checks++
		}
		if strings.HasPrefix(line, "FAIL: ") {
			t.Error(line)
		}
	}
	if err != nil || checks < 14 {
		t.Errorf("lifecycle.py: %v, %d checks passed (want 14); output:\n%s", err, checks, out)
	}
}

// testScript runs testdata/name, which prints "ok: …" or "FAIL: …" per
// check, and wants at least checks of them to pass and none to fail.
func testScript(t *testing.T, e *Env, name string, checks int) {
	start := time.Now()
	out, err := e.Run(2*time.Minute, testdataPath(t, name))
	t.Logf("%s: %.1fs", name, time.Since(start).Seconds())
	passed := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "ok: ") {
			passed++
		}
		if strings.HasPrefix(line, "FAIL: ") {
			t.Error(line)
		}
	}
	if err != nil || passed < checks {
		t.Errorf("%s: %v, %d checks passed (want %d); output:\n%s", name, err, passed, checks, out)
	}
}

// testConsole pipes three cells into jupyter console: a declaration, a
// print and an expression. The console shows the printed line and the
// value as Out[3], and shuts the kernel down at end of input. The kernel
// traces its messages into the output, shown if the test fails.
func testConsole(t *testing.T, e *Env) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := e.Command(ctx, "-m", "jupyter_console", "--kernel", KernelName, "--simple-prompt")
	cmd.Stdin = strings.NewReader("x := 20\nfmt.Println(\"printed\", x+1)\nx * 2\n")
	cmd.Env = append(cmd.Env, "XPROMPT_KERNEL_TRACE=1") // on failure, the output shows what the kernel sent
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("jupyter console: %.1fs", time.Since(start).Seconds())
	if err != nil {
		t.Fatalf("jupyter console: %v\n%s", err, out)
	}
	for _, want := range []string{"printed 21\n", "Out[3]: 40\n", "shutdown requested on control"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("jupyter console output lacks %q:\n%s", want, out)
		}
	}
}
