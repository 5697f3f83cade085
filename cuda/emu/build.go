package emu

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"xprompt/cuda/kernels"
)

//go:embed csrc/emu.h csrc/runtime.cpp
var csrc embed.FS

// CompilerEnv names the variable that chooses the C++ compiler (default g++).
const CompilerEnv = "XPROMPT_EMU_CXX"

// ErrNoCompiler is returned by Build when no C++ compiler is installed.
var ErrNoCompiler = errors.New("no C++ compiler (g++) to build the CUDA emulator")

// The rewrite that turns a kernel source into checked host C++ (see emu.h).
var (
	dynSharedRE = regexp.MustCompile(`extern\s+__shared__\s+(\w+)\s+(\w+)\s*\[\s*\]\s*;`)
	sharedRE    = regexp.MustCompile(`__shared__\s+(\w+)\s+(\w+)\s*\[([^\]]+)\]\s*;`)
	pointerRE   = regexp.MustCompile(`\b(const\s+)?(unsigned int|unsigned|float|int|long long|double|char)\s*\*`)
)

// Rewrite returns the host C++ of a kernel source: pointer types become
// emu::ptr (checked), __shared__ arrays per-block emu::shared, and each
// extern "C" __global__ kernel is registered by name.
func Rewrite(src string, kernelNames []string) string {
	s := dynSharedRE.ReplaceAllString(src, "emu::ptr<$1> $2 = emu::dynamic_shared<$1>();")
	s = sharedRE.ReplaceAllString(s, "static emu::shared<$1, ($3)> ${2}_block; emu::shared<$1, ($3)> &$2 = ${2}_block;")
	s = pointerRE.ReplaceAllString(s, "emu::ptr<$1$2> ")
	var b strings.Builder
	b.WriteString(s)
	b.WriteString("\n// Registered by package cuda/emu.\n")
	for _, k := range kernelNames {
		fmt.Fprintf(&b, "EMU_REGISTER(%s)\n", k)
	}
	return b.String()
}

// Sources is a set of kernel files to build: the real kernels, or test
// kernels (a test builds deliberately broken ones).
type Sources struct {
	Header string           // the text of common.cuh
	Files  []kernels.Source // .cu files
}

// KernelSources returns the backend's kernels.
func KernelSources() Sources { return Sources{kernels.HeaderText(), kernels.Files()} }

func compiler() string {
	if c := os.Getenv(CompilerEnv); c != "" {
		return c
	}
	return "g++"
}

// HaveCompiler reports whether the C++ compiler is installed.
func HaveCompiler() bool {
	_, err := exec.LookPath(compiler())
	return err == nil
}

var cxxFlags = []string{"-std=c++17", "-O2", "-shared", "-fPIC", "-DXPROMPT_EMU", "-fno-strict-aliasing", "-pthread"}

// CacheDir returns the directory of built emulator libraries.
func CacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "xprompt", "cuda-emu"), nil
}

// includes returns the text of the headers other than common.cuh (such as
// mma.cuh), which every build makes available to its kernel files.
func includes() string {
	var b strings.Builder
	for _, h := range kernels.Headers() {
		if h.Name != kernels.Header {
			b.WriteString(h.Name + "\x00" + h.Text + "\x00")
		}
	}
	return b.String()
}

var buildMu sync.Mutex

// Build compiles src with the emulator runtime into a shared library in the
// cache directory (g++ -shared -fPIC), keyed by a hash of every source, the
// compiler and its flags, and returns its path. A cached library is reused.
func Build(src Sources) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	cxx, err := exec.LookPath(compiler())
	if err != nil {
		return "", ErrNoCompiler
	}
	rt, _ := csrc.ReadFile("csrc/runtime.cpp")
	hdr, _ := csrc.ReadFile("csrc/emu.h")
	h := sha256.New()
	for _, part := range []string{cxx, strings.Join(cxxFlags, " "), string(rt), string(hdr), src.Header, includes()} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	for _, f := range src.Files {
		h.Write([]byte(f.Name + "\x00" + f.Text + "\x00"))
	}
	key := hex.EncodeToString(h.Sum(nil))[:20]
	dir, _ := CacheDir()
	lib := filepath.Join(dir, "emu-"+key+".so")
	if _, err := os.Stat(lib); err == nil {
		return lib, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cuda-emu: cache directory: %w", err)
	}
	work, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", fmt.Errorf("cuda-emu: %w", err)
	}
	defer os.RemoveAll(work)
	write := func(name, text string) error { return os.WriteFile(filepath.Join(work, name), []byte(text), 0o644) }
	if err := write("emu.h", string(hdr)); err != nil {
		return "", err
	}
	if err := write("runtime.cpp", string(rt)); err != nil {
		return "", err
	}
	for _, h := range kernels.Headers() {
		if h.Name == kernels.Header {
			continue
		}
		if err := write(h.Name, Rewrite(h.Text, nil)); err != nil {
			return "", err
		}
	}
	if err := write(kernels.Header, Rewrite(src.Header, nil)); err != nil {
		return "", err
	}
	args := append([]string{}, cxxFlags...)
	args = append(args, "-I", work, "-o", filepath.Join(work, "out.so"), filepath.Join(work, "runtime.cpp"))
	for _, f := range src.Files {
		name := f.Name + ".cpp"
		if err := write(name, Rewrite(f.Text, kernels.KernelNames(f.Text))); err != nil {
			return "", err
		}
		args = append(args, filepath.Join(work, name))
	}
	cmd := exec.Command(cxx, args...)
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cuda-emu: building the emulator with %s: %v\n%s", cxx, err, out)
	}
	if err := os.Rename(filepath.Join(work, "out.so"), lib); err != nil {
		return "", fmt.Errorf("cuda-emu: %w", err)
	}
	return lib, nil
}
