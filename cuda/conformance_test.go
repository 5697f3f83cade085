package cuda_test

import (
	"errors"
	"os"
	"testing"

	"xprompt/backendtest"
	"xprompt/core"
	"xprompt/cuda"
	"xprompt/cuda/emu"
)

// RequireEmuEnv names the variable that turns a missing C++ compiler from a
// skip into a failure (CI sets it).
const RequireEmuEnv = "XPROMPT_REQUIRE_CUDA_EMU"

// emuBackend returns the cuda-emu backend, skipping with one line where no
// C++ compiler exists (unless RequireEmuEnv is set).
func emuBackend(t testing.TB) core.Backend {
	t.Helper()
	be, err := core.BackendFor(cuda.EmuDevice)
	if errors.Is(err, emu.ErrNoCompiler) && os.Getenv(RequireEmuEnv) == "" {
		t.Skip("no C++ compiler: skipping the cuda-emu tests (set " + RequireEmuEnv + "=1 to require them)")
	}
	if err != nil {
		t.Fatal(err)
	}
	return be
}

// TestConformanceEmu runs every primitive of the CUDA kernels, on the CPU
// emulator, against the float64 references of package backendtest.
func TestConformanceEmu(t *testing.T) { backendtest.Run(t, emuBackend(t)) }

// TestConformanceGPU runs the same suite on a real GPU where there is one.
func TestConformanceGPU(t *testing.T) {
	be, err := core.BackendFor(cuda.Device)
	if err != nil {
		t.Skipf("no CUDA device: skipping CUDA conformance (%v)", err)
	}
	backendtest.Run(t, be)
}
