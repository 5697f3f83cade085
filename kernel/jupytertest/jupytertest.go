package jupytertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// KernelName is the name the kernelspec is installed under. The notebooks'
// metadata names the same kernel ("kernelspec": {"name": "xprompt"}), which is
// also the default of "xprompt kernel install".
const KernelName = "xprompt"

// RequireEnv is the environment variable that turns a skip for missing
// Python packages into a failure when it is "1".
const RequireEnv = "XPROMPT_REQUIRE_JUPYTER"

// PythonEnv overrides the Python interpreter (default DefaultPython).
const PythonEnv = "XPROMPT_PYTHON"

// DefaultPython is the interpreter the Debian packages install into.
const DefaultPython = "/usr/bin/python3"

// installHint tells how to get the clients on Debian.
const installHint = "apt-get install -y python3-jupyter-client python3-nbclient " +
	"python3-jupyter-kernel-test jupyter-console"

// Env is a built xprompt binary with its kernelspec installed in a temporary
// Jupyter data directory, and the Python interpreter that drives it.
type Env struct {
	Python string // the Python interpreter
	Binary string // the xprompt binary the kernelspec runs
	Prefix string // the installation prefix: Prefix/share/jupyter/kernels/KernelName
	Dir    string // the temporary directory holding everything
	env    []string
}

// Setup checks that the Python interpreter imports every module in modules
// (skipping the test, or failing it when XPROMPT_REQUIRE_JUPYTER=1, if not),
// builds the xprompt binary and installs its kernelspec as KernelName under a
// temporary prefix. Everything lives in t.TempDir.
func Setup(t testing.TB, modules ...string) *Env {
	t.Helper()
	python := os.Getenv(PythonEnv)
	if python == "" {
		python = DefaultPython
	}
	if err := checkModules(python, modules); err != nil {
		unavailable(t, err)
	}
	start := time.Now()
	e, err := Prepare(t.TempDir(), python)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built and installed %s in %.1fs", e.Binary, time.Since(start).Seconds())
	return e
}

// Prepare builds the xprompt binary into dir and installs its kernelspec as
// KernelName under a prefix in dir, for clients run with python (Setup
// without a test: the reliability suite's command uses it).
func Prepare(dir, python string) (*Env, error) {
	e := &Env{Python: python, Dir: dir, Prefix: filepath.Join(dir, "prefix")}
	e.Binary = filepath.Join(dir, "bin", "xprompt")
	if out, err := goBuild(e.Binary); err != nil {
		return nil, fmt.Errorf("building xprompt: %v\n%s", err, out)
	}
	out, err := exec.Command(e.Binary, "kernel", "install", "--prefix", e.Prefix, "--name", KernelName).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("xprompt kernel install --prefix %s: %v\n%s", e.Prefix, err, out)
	}
	e.env = jupyterEnv(os.Environ(), dir, e.Prefix)
	for _, d := range []string{"data", "config", "runtime", "ipython"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// CheckModules reports whether python imports every module in modules.
func CheckModules(python string, modules ...string) error { return checkModules(python, modules) }

// unavailable skips t, or fails it when RequireEnv is "1".
func unavailable(t testing.TB, err error) {
	t.Helper()
	msg := fmt.Sprintf("Jupyter clients unavailable: %v\n(install them with: %s; "+
		"set %s to another interpreter)", err, installHint, PythonEnv)
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s\n%s=1, so this is a failure, not a skip", msg, RequireEnv)
	}
	t.Skipf("%s\n(%s=1 makes this a failure)", msg, RequireEnv)
}

// checkModules reports an error naming the interpreter or the first module
// that cannot be imported.
func checkModules(python string, modules []string) error {
	if _, err := exec.LookPath(python); err != nil {
		return fmt.Errorf("no Python interpreter %s: %w", python, err)
	}
	const script = `import importlib, sys
for m in sys.argv[1:]:
    try:
        importlib.import_module(m)
    except Exception as e:
        print("cannot import %s: %s: %s" % (m, type(e).__name__, e))
        sys.exit(1)`
	out, err := exec.Command(python, append([]string{"-c", script}, modules...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s", python, bytes.TrimSpace(out))
	}
	return nil
}

// goBuild builds xprompt/cmd/xprompt into out with the go command that runs
// the tests.
func goBuild(out string) ([]byte, error) {
	touchSources()
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gocmd); err != nil {
		gocmd = "go"
	}
	return exec.Command(gocmd, "build", "-o", out, "xprompt/cmd/xprompt").CombinedOutput()
}

// jupyterEnv returns base with every Jupyter and IPython directory moved
// into dir, so that the clients find only the kernelspec under prefix (and
// the system ones) and write nothing into the user's home.
func jupyterEnv(base []string, dir, prefix string) []string {
	set := map[string]string{
		"JUPYTER_PATH":          filepath.Join(prefix, "share", "jupyter"),
		"JUPYTER_DATA_DIR":      filepath.Join(dir, "data"),
		"JUPYTER_CONFIG_DIR":    filepath.Join(dir, "config"),
		"JUPYTER_RUNTIME_DIR":   filepath.Join(dir, "runtime"),
		"IPYTHONDIR":            filepath.Join(dir, "ipython"),
		"JUPYTER_PLATFORM_DIRS": "1",
		"PYTHONUNBUFFERED":      "1",
		"PYTHONWARNINGS":        "ignore::DeprecationWarning",
	}
	var env []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; ok || k == "PYTHONPATH" || k == "PYTHONHOME" {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// Environ returns the environment the clients run with.
func (e *Env) Environ() []string { return append([]string(nil), e.env...) }

// Command returns the Python interpreter run with args, in the clients'
// environment, stopped when ctx is done. The kernels it starts leave when it
// does (jupyter_client sets JPY_PARENT_PID, which the kernel watches).
func (e *Env) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e.Python, args...)
	cmd.Env = e.Environ()
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Run runs the Python interpreter with args and returns its combined output.
// The error says when it ran out of time.
func (e *Env) Run(timeout time.Duration, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := e.Command(ctx, args...).CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return out, fmt.Errorf("python %s: killed after %v: %w", strings.Join(args, " "), timeout, err)
	}
	return out, err
}

// touchSources stats every source file of the module. The binary is built by
// a child go command, whose inputs go test cannot see; files the test itself
// stats are part of its cache key, so a cached result is reused only while
// none of them has changed.
func touchSources() {
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return
	}
	filepath.WalkDir(string(bytes.TrimSpace(root)), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "results" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		switch filepath.Ext(path) {
		case ".go", ".s", ".md", ".ipynb", ".xpm", ".vq", ".json":
			os.Stat(path)
		}
		return nil
	})
}
