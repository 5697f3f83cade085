package cuda_test

import (
	"strings"
	"testing"

	"xprompt/core"
	"xprompt/cuda"
)

// TestNoGPUIsAnError: where libcuda or a GPU is missing, asking for the cuda
// device is one clear error, not a panic; where there is a GPU it opens.
func TestNoGPUIsAnError(t *testing.T) {
	be, err := core.BackendFor(cuda.Device)
	if err == nil {
		t.Logf("a GPU is present: %s", be.Name())
		return
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "cuda: ") || strings.Contains(msg, "\n") {
		t.Fatalf("error %q: want one line starting with \"cuda: \"", msg)
	}
	t.Log(msg)
}
