package cuda_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"xprompt/cuda/kernels"
)

// ptxArchs are the GPU architectures the kernels must compile for: A100 and H100.
var ptxArchs = []string{"sm_80", "sm_90"}

// TestKernelsCompileToPTX compiles every kernel file to PTX with Debian's
// clang-19 (no CUDA toolkit needed) for each architecture and fails on any
// error or warning. NVRTC compiles the same sources at run time on the GPU.
func TestKernelsCompileToPTX(t *testing.T) {
	clang, err := exec.LookPath("clang-19")
	if err != nil {
		if os.Getenv(RequireEmuEnv) != "" {
			t.Fatalf("clang-19 is required (%s is set): %v", RequireEmuEnv, err)
		}
		t.Skip("no clang-19: skipping the PTX compile check of the CUDA kernels")
	}
	dir := t.TempDir()
	for _, h := range kernels.Headers() {
		if err := os.WriteFile(filepath.Join(dir, h.Name), []byte(h.Text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := kernels.Files()
	if len(files) == 0 {
		t.Fatal("no kernel files embedded")
	}
	for _, f := range files {
		src := filepath.Join(dir, f.Name)
		if err := os.WriteFile(src, []byte(f.Text), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, arch := range ptxArchs {
			t.Run(f.Name+"/"+arch, func(t *testing.T) {
				out := filepath.Join(dir, f.Name+"."+arch+".ptx")
				cmd := exec.Command(clang, "-x", "cuda", "--cuda-device-only", "--cuda-gpu-arch="+arch,
					"-nocudainc", "-nocudalib", "-Xclang", "-target-feature", "-Xclang", "+ptx80",
					"-O3", "-Wall", "-Wextra", "-Wno-unused-parameter", "-S", "-o", out, src)
				msg, err := cmd.CombinedOutput()
				if err != nil || len(strings.TrimSpace(string(msg))) > 0 {
					t.Fatalf("clang-19 %s %s: %v\n%s", f.Name, arch, err, msg)
				}
				ptx, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(ptx), ".target "+arch) {
					t.Fatalf("%s: PTX is not for %s", f.Name, arch)
				}
				for _, k := range kernels.KernelNames(f.Text) {
					if !strings.Contains(string(ptx), ".entry "+k+"(") {
						t.Errorf("%s: kernel %s missing from the PTX for %s", f.Name, k, arch)
					}
				}
			})
		}
	}
}
