package notebooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xprompt/kernel/jupytertest"
)

// BrowserEnv turns on TestNotebooksInBrowser ("1"); .ci/run sets it.
const BrowserEnv = "XPROMPT_BROWSER_TEST"

// TestNotebooksInBrowser runs browser/browser.py: classic Jupyter Notebook in
// headless Chromium runs all cells of every notebook (no error output, no
// broken image), interrupts a loop from the toolbar, answers fmt.Scanln in
// the input box, and runs all of a notebook whose second cell fails five
// times: the later cells must never run. It takes minutes, so it runs only
// when XPROMPT_BROWSER_TEST=1 (Debian: jupyter-notebook python3-selenium
// chromium-driver).
func TestNotebooksInBrowser(t *testing.T) {
	if os.Getenv(BrowserEnv) != "1" {
		t.Skipf("the browser test runs with %s=1 (it takes minutes)", BrowserEnv)
	}
	for _, f := range []string{"/usr/bin/chromedriver", "/usr/bin/chromium"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s: %v (apt-get install chromium-driver)", f, err)
		}
	}
	e := jupytertest.Setup(t, "notebook", "selenium", "nbformat")
	script, err := filepath.Abs(filepath.Join("browser", "browser.py"))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{script, "--notebooks", dir, "--timeout", "240"}
	if model := standInModel(t, e); model != "" {
		args = append(args, "--model", model)
	}
	start := time.Now()
	out, err := e.Run(15*time.Minute, args...)
	t.Logf("browser.py: %.1fs\n%s", time.Since(start).Seconds(), out)
	passed := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "ok: ") {
			passed++
		}
		if strings.HasPrefix(line, "FAIL: ") {
			t.Error(line)
		}
	}
	// Three checks per notebook, three interactive ones.
	if want := 3*len(wantNotebooks) + 3; err != nil || passed < want {
		t.Errorf("browser.py: %v, %d checks passed, want %d", err, passed, want)
	}
}
