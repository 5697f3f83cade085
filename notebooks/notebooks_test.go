package notebooks

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"xprompt/infer"
	"xprompt/kernel/jupytertest"
)

// wantNotebooks are the notebooks this directory must hold, in order.
var wantNotebooks = []string{
	"01-tensors-and-autograd.ipynb",
	"02-masks-and-compression.ipynb",
	"03-training-loop.ipynb",
	"04-in-context-generation.ipynb",
	"05-ablations.ipynb",
}

// cellTimeout is the most one cell may take; notebookTimeout the most one
// notebook may take, kernel start included.
const (
	cellTimeout     = 120 * time.Second
	notebookTimeout = 4 * time.Minute
)

// storedNotebook is the part of an .ipynb file the tests look at.
type storedNotebook struct {
	NBFormat      int `json:"nbformat"`
	NBFormatMinor int `json:"nbformat_minor"`
	Metadata      struct {
		Kernelspec struct {
			Name        string `json:"name"`
			DisplayName string `json:"display_name"`
			Language    string `json:"language"`
		} `json:"kernelspec"`
	} `json:"metadata"`
	Cells []struct {
		CellType       string          `json:"cell_type"`
		Source         json.RawMessage `json:"source"`
		Outputs        []any           `json:"outputs"`
		ExecutionCount *int            `json:"execution_count"`
	} `json:"cells"`
}

// notebookFiles returns the *.ipynb files of this directory, sorted.
func notebookFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestNotebooksStored checks the notebooks as stored: the expected set,
// named NN-name.ipynb, nbformat 4 with the kernelspec the tests install,
// at least one code cell, and every output and execution count cleared.
func TestNotebooksStored(t *testing.T) {
	files := notebookFiles(t)
	if strings.Join(files, " ") != strings.Join(wantNotebooks, " ") {
		t.Errorf("notebooks %v, want %v", files, wantNotebooks)
	}
	nameRE := regexp.MustCompile(`^[0-9]{2}-[a-z0-9-]+\.ipynb$`)
	for _, f := range files {
		if !nameRE.MatchString(f) {
			t.Errorf("%s: want a name like 01-topic.ipynb", f)
		}
		js, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var nb storedNotebook
		if err := json.Unmarshal(js, &nb); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		ks := nb.Metadata.Kernelspec
		if nb.NBFormat != 4 || ks.Name != jupytertest.KernelName || ks.Language != "go" || ks.DisplayName == "" {
			t.Errorf("%s: nbformat %d, kernelspec %+v; want nbformat 4 and kernel %q (language go)",
				f, nb.NBFormat, ks, jupytertest.KernelName)
		}
		code := 0
		for i, c := range nb.Cells {
			if c.CellType != "code" {
				continue
			}
			code++
			if len(c.Outputs) > 0 || c.ExecutionCount != nil {
				t.Errorf("%s: cell %d has outputs or an execution count; clear them before committing", f, i)
			}
		}
		if code == 0 {
			t.Errorf("%s: no code cells", f)
		}
	}
}

// TestNotebooksRun executes every notebook through nbclient (execute.py)
// against a freshly built and installed kernel, each in its own temporary
// working directory. A cell that fails, shows an error or writes to stderr
// (unless tagged allow-stderr) fails the notebook. XPROMPT_NOTEBOOK_OUT=DIR
// keeps the executed notebooks in DIR.
//
// When this build embeds no default model, "%load default" is replaced by a
// tiny model trained for two steps (see standInModel): every other cell runs
// as written.
func TestNotebooksRun(t *testing.T) {
	if testing.Short() {
		t.Skip("executing the notebooks takes minutes; skipped with -short")
	}
	e := jupytertest.Setup(t, "jupyter_client", "nbclient", "nbformat")
	runner, err := filepath.Abs("execute.py")
	if err != nil {
		t.Fatal(err)
	}
	outDir := os.Getenv("XPROMPT_NOTEBOOK_OUT")
	model := standInModel(t, e)
	for _, f := range notebookFiles(t) {
		t.Run(strings.TrimSuffix(f, ".ipynb"), func(t *testing.T) {
			path, err := filepath.Abs(f)
			if err != nil {
				t.Fatal(err)
			}
			args := []string{runner, path, "--cwd", t.TempDir(), "--timeout", strconv.Itoa(int(cellTimeout.Seconds()))}
			if outDir != "" {
				args = append(args, "--out", filepath.Join(outDir, f))
			}
			if model != "" {
				args = append(args, "--model", model)
			}
			start := time.Now()
			out, err := e.Run(notebookTimeout, args...)
			t.Logf("%s: %.1fs\n%s", f, time.Since(start).Seconds(), out)
			if err != nil || !strings.Contains(string(out), "OK "+f) {
				t.Errorf("%s did not run clean: %v", f, err)
			}
		})
	}
}

// standInModel returns "" when this build embeds a default model (what
// "%load default" loads). Otherwise it trains a tiny model for two steps with
// the built binary and returns its checkpoint, for execute.py --model: the
// notebooks check the mechanics (masks, compression, training, generation),
// not the quality of the model.
func standInModel(t *testing.T, e *jupytertest.Env) string {
	t.Helper()
	_, err := infer.Default()
	if err == nil {
		return ""
	}
	t.Logf("%v\nthe notebooks run with a tiny stand-in model instead of %%load default", err)
	path := filepath.Join(e.Dir, "stand-in-tiny.xpm")
	start := time.Now()
	out, err := exec.Command(e.Binary, "train", "--preset", "tiny", "--steps", "2", "--out", path, "--quiet").CombinedOutput()
	if err != nil {
		t.Fatalf("training the stand-in model: %v\n%s", err, out)
	}
	t.Logf("stand-in model %s trained in %.1fs", path, time.Since(start).Seconds())
	return path
}
