package infer

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xprompt/data"
	"xprompt/metrics"
	"xprompt/model"
	"xprompt/protocol"
	"xprompt/train"
	"xprompt/vq"
)

// testEngine is an untrained tiny model with a fresh tokenizer pair: the
// plumbing is what is under test, not the quality.
func testEngine(t *testing.T) *Engine {
	t.Helper()
	m, err := model.New(model.Presets["tiny"], 1)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(m, data.NewTextTokenizer(1, 512), vq.New(vq.DefaultConfig, 1), "test")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEvaluateAllModes(t *testing.T) {
	e := testEngine(t)
	rs, err := e.Evaluate(context.Background(), "flip_h", EvalOptions{Examples: 1, Queries: 2, Seed: 3,
		Modes: []model.Mode{model.ModeNone, model.ModeCausal, model.ModeXPrompt}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 6 {
		t.Fatalf("%d results, want 2 queries × 3 modes", len(rs))
	}
	for _, r := range rs {
		if r.Output == nil || r.Output.W != 32 || math.IsNaN(r.PSNR) || r.PSNR <= 0 {
			t.Fatalf("result %+v: want a 32×32 output with a finite PSNR", r.Score)
		}
	}
	for _, r := range rs {
		want, _ := metrics.PSNR(r.Input, r.Truth)
		if math.Abs(r.Copy.PSNR-want) > 1e-12 {
			t.Fatalf("copy-input PSNR %v, want metrics.PSNR(input, truth) = %v", r.Copy.PSNR, want)
		}
	}
	sum := Summarise(rs)
	if len(sum) != 3 || sum[0].Mode != "none" || sum[2].Mode != "xprompt" {
		t.Fatalf("summary %+v: want one row per mode in order", sum)
	}
	// The X-Prompt prompt keeps BOS + XP only; the causal one keeps everything.
	if !(sum[2].PromptKV < sum[2].FullKV && sum[1].PromptKV == sum[1].FullKV) {
		t.Fatalf("prompt KV bytes: xprompt %d of %d, causal %d of %d", sum[2].PromptKV, sum[2].FullKV, sum[1].PromptKV, sum[1].FullKV)
	}
	dir := t.TempDir()
	page, err := WriteGallery(dir, "test", rs, sum)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := os.ReadFile(page)
	pngs, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(pngs) != 6 || !strings.Contains(string(html), "flip_h") {
		t.Fatalf("gallery: %d PNGs, page mentions the task: %v", len(pngs), strings.Contains(string(html), "flip_h"))
	}
}

func TestGenerationIsSeededAndInterruptible(t *testing.T) {
	e := testEngine(t)
	o := EvalOptions{Examples: 1, Queries: 1, Seed: 5, Modes: []model.Mode{model.ModeXPrompt},
		Sample: model.SampleOptions{Temperature: 1, TopK: 50, Seed: 9}}
	a, err := e.Evaluate(context.Background(), "invert", o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.Evaluate(context.Background(), "invert", o)
	for i := range a[0].Output.Pix {
		if a[0].Output.Pix[i] != b[0].Output.Pix[i] {
			t.Fatal("the same seed generated different images")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Evaluate(ctx, "invert", o); err == nil {
		t.Fatal("a cancelled context did not stop generation")
	}
	if _, err := e.Evaluate(context.Background(), "no_such_task", o); err == nil || !strings.Contains(err.Error(), "no_such_task") {
		t.Fatalf("unknown task: error %v should name it", err)
	}
}

func TestEvaluateHideInstruction(t *testing.T) {
	e := testEngine(t)
	for _, hide := range []bool{false, true} {
		rs, err := e.Evaluate(context.Background(), "invert", EvalOptions{Examples: 1, Queries: 2, Seed: 3,
			Modes: []model.Mode{model.ModeXPrompt}, HideInstruction: hide})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if hide != (r.Instruction == "") {
				t.Errorf("HideInstruction %v: query instruction %q", hide, r.Instruction)
			}
		}
	}
}

// TestEvaluateSharedParams checks that with SharedParams the queries are
// the bound draw's (protocol.DrawShared), whose instructions all name one
// edit, and that without it they are Draw's.
func TestEvaluateSharedParams(t *testing.T) {
	e := testEngine(t)
	for _, shared := range []bool{false, true} {
		rs, err := e.Evaluate(context.Background(), "recolour", EvalOptions{Examples: 1, Queries: 3, Seed: 4,
			Modes: []model.Mode{model.ModeNone}, SharedParams: shared})
		if err != nil {
			t.Fatal(err)
		}
		draw := protocol.Draw
		if shared {
			draw = protocol.DrawShared
		}
		set, err := draw("recolour", 4, 1, 3, 32)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			if q := set.Queries[i]; r.Instruction != q.Instruction || r.Truth.Pix[7] != q.Output.Pix[7] {
				t.Fatalf("shared %v: query %d is %q, the draw's %q", shared, i, r.Instruction, q.Instruction)
			}
		}
		same := set.Queries[0].Description == set.Queries[1].Description && set.Queries[1].Description == set.Queries[2].Description
		if same != shared {
			t.Fatalf("shared %v: the queries' edits %q, %q, %q", shared, set.Queries[0].Description, set.Queries[1].Description, set.Queries[2].Description)
		}
	}
}

func TestEvaluateRefusesUntrainedMasksAndReservedSeeds(t *testing.T) {
	e := testEngine(t)
	if rs, err := e.Evaluate(context.Background(), "invert", EvalOptions{Examples: 1, Queries: 1, Seed: 3}); err != nil || len(rs) != 2 || rs[0].Mode != "none" || rs[1].Mode != "xprompt" {
		t.Fatalf("default modes: %d results, %v; want none and xprompt", len(rs), err)
	}
	e.Trained, e.TrainedKnown = model.ModeXPrompt, true
	_, err := e.Evaluate(context.Background(), "invert", EvalOptions{Examples: 1, Queries: 1, Seed: 3, Modes: []model.Mode{model.ModeCausal}})
	if err == nil || !strings.Contains(err.Error(), "trained with the xprompt mask") {
		t.Fatalf("causal mode on an X-Prompt-trained model: %v, want a refusal", err)
	}
	_, err = e.Evaluate(context.Background(), "invert", EvalOptions{Examples: 1, Queries: 1, Seed: protocol.ReservedSeedBase})
	if err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Fatalf("reserved seed: %v, want a refusal", err)
	}
}

func TestTrainedModeFromCheckpoint(t *testing.T) {
	codec := vq.New(vq.DefaultConfig, 1)
	var blob bytes.Buffer
	if err := codec.SaveFloat16(&blob); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []model.Mode{model.ModeXPrompt, model.ModeCausal} {
		o := train.DefaultOptions("tiny")
		o.Data.Mode = mode
		r, err := train.NewRun(o, data.NewTextTokenizer(1, 512), codec, blob.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		ck, err := r.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		e, err := FromCheckpoint(ck, "run")
		if err != nil {
			t.Fatal(err)
		}
		if got, known := e.TrainedMode(); !known || got != mode {
			t.Fatalf("trained with %s: TrainedMode() = %s, %v", mode, got, known)
		}
		ck.Train = nil
		if _, known := trainedMode(ck); known {
			t.Fatal("a checkpoint without training state reported a training mode")
		}
	}
}
