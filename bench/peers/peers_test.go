package peers

import (
	"context"
	"testing"
)

func TestScriptsEmbedded(t *testing.T) {
	for _, s := range []string{"torch_train_step.py", "torch_decode.py"} {
		b, err := scripts.ReadFile(s)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s not embedded: %v", s, err)
		}
	}
	if _, err := Run(context.Background(), "missing.py"); err == nil {
		t.Fatal("running a script that is not embedded succeeded")
	}
}

// TestTrainPeerRuns runs the training peer on the tiny preset (one step)
// where torch is installed and checks its JSON result.
func TestTrainPeerRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PyTorch")
	}
	ctx := context.Background()
	if err := Available(ctx); err != nil {
		t.Skip(err)
	}
	r, err := Run(ctx, "torch_train_step.py", "--preset", "tiny", "--steps", "1", "--warmup", "0", "--threads", "1")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := r["tokens_per_s"].(float64); !ok || v <= 0 || r["preset"] != "tiny" {
		t.Fatalf("peer result %v: want positive tokens_per_s for preset tiny", r)
	}
}
