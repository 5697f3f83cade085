package train

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"xprompt/data"
	"xprompt/model"
)

func tinyRun(t *testing.T) *Run {
	t.Helper()
	o := DefaultOptions("tiny")
	o.Batch, o.Steps, o.Warmup = 2, 40, 2
	r, err := NewRun(o, data.NewTextTokenizer(1, 512), data.PatchCodec{F: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// saveAndResume saves r to a file and resumes a run from it.
func saveAndResume(t *testing.T, r *Run) *Run {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.ckpt")
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
	ck, err := model.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := Resume(ck, data.PatchCodec{F: 4})
	if err != nil {
		t.Fatal(err)
	}
	return resumed
}

func TestTrainingReducesLoss(t *testing.T) {
	r := tinyRun(t)
	if err := r.Train(context.Background(), 30, nil); err != nil {
		t.Fatal(err)
	}
	first, last := r.History[0], r.History[len(r.History)-1]
	if !(last < first-0.5) {
		t.Fatalf("loss went from %g to %g in 30 steps; want a clear drop", first, last)
	}
}

func TestExactResume(t *testing.T) {
	straight := tinyRun(t)
	if err := straight.Train(context.Background(), 4, nil); err != nil {
		t.Fatal(err)
	}
	split := tinyRun(t)
	if err := split.Train(context.Background(), 2, nil); err != nil {
		t.Fatal(err)
	}
	resumed := saveAndResume(t, split)
	if err := resumed.Train(context.Background(), 2, nil); err != nil {
		t.Fatal(err)
	}
	for i, p := range straight.Model.Params.List() {
		q := resumed.Model.Params.List()[i]
		for j := range p.Data {
			if p.Data[j] != q.Data[j] {
				t.Fatalf("%s[%d]: %g straight, %g after resume", p.Name(), j, p.Data[j], q.Data[j])
			}
		}
	}
	if len(resumed.History) != 4 || resumed.History[3] != straight.History[3] {
		t.Fatalf("history after resume %v, straight %v", resumed.History, straight.History)
	}
}

func TestInterruptAndNonFinite(t *testing.T) {
	r := tinyRun(t)
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	err := r.Train(ctx, 100, func(p Progress) {
		steps++
		if steps == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || r.Step != 2 || len(r.History) != 2 {
		t.Fatalf("interrupted run: err %v, step %d, history %d; want Canceled at step 2", err, r.Step, len(r.History))
	}
	w := r.Model.Params.Get("layer0.wo")
	w.Data[0] = float32(math.NaN())
	before := append([]float32(nil), r.Model.Params.Get("layer0.w3").Data...)
	err = r.Train(context.Background(), 1, nil)
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("training with a NaN weight: err %v, want ErrNonFinite", err)
	}
	if r.Step != 2 {
		t.Fatalf("a non-finite step advanced the run to step %d", r.Step)
	}
	for i, v := range r.Model.Params.Get("layer0.w3").Data {
		if v != before[i] {
			t.Fatal("a non-finite step changed the weights")
		}
	}
}

// InitFrom starts at step 0 with the checkpoint's weights and tokenizer and
// the new options (another X-Prompt count resizes the model); a checkpoint
// whose tokenizer is corrupt is an error.
func TestInitFrom(t *testing.T) {
	src := tinyRun(t)
	if err := src.Train(context.Background(), 2, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "run.ckpt")
	if err := src.Save(path); err != nil {
		t.Fatal(err)
	}
	ck, err := model.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions("tiny")
	o.Batch, o.Steps, o.Warmup = 2, 10, 1
	o.Data.HideInstruction = 0.5
	r, err := InitFrom(o, ck, data.PatchCodec{F: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Step != 0 || r.Opts.Steps != 10 || r.Pipe.Cfg.HideInstruction != 0.5 || r.Opt.Steps != 0 {
		t.Fatalf("step %d of %d, hide %v, optimizer steps %d: want a fresh run with the new options",
			r.Step, r.Opts.Steps, r.Pipe.Cfg.HideInstruction, r.Opt.Steps)
	}
	for i, p := range src.Model.Params.List() {
		q := r.Model.Params.List()[i]
		for j := range p.Data {
			if p.Data[j] != q.Data[j] {
				t.Fatalf("%s[%d]: %g in the source run, %g after InitFrom", p.Name(), j, p.Data[j], q.Data[j])
			}
		}
	}
	if got, want := r.Text.Encode("flip the image"), src.Text.Encode("flip the image"); len(got) != len(want) {
		t.Fatalf("tokenizer differs: %v vs %v", got, want)
	}
	if err := r.Train(context.Background(), 2, nil); err != nil {
		t.Fatal(err)
	}
	o.XP = 2*ck.Model.Cfg.XP + 1
	rx, err := InitFrom(o, ck, data.PatchCodec{F: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rx.Model.Cfg.XP != o.XP || rx.Model == ck.Model {
		t.Fatalf("InitFrom with XP %d gave a model with %d X-Prompt tokens (a copy: %v)", o.XP, rx.Model.Cfg.XP, rx.Model != ck.Model)
	}
	if err := rx.Train(context.Background(), 2, nil); err != nil {
		t.Fatalf("training with %d X-Prompt tokens: %v", o.XP, err)
	}
	o.XP, o.Layers = 0, ck.Model.Cfg.Layers+1
	rl, err := InitFrom(o, ck, data.PatchCodec{F: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	zeroOutputs := func() (n int) {
		for _, name := range rl.Model.Params.Names() {
			if !strings.HasSuffix(name, ".wo") {
				continue
			}
			zero := true
			for _, v := range rl.Model.Params.Get(name).Data {
				zero = zero && v == 0
			}
			if zero {
				n++
			}
		}
		return n
	}
	if rl.Model.Cfg.Layers != o.Layers || zeroOutputs() != 1 {
		t.Fatalf("InitFrom with %d layers gave %d, %d of them at zero output (want 1)", o.Layers, rl.Model.Cfg.Layers, zeroOutputs())
	}
	if err := rl.Train(context.Background(), 2, nil); err != nil {
		t.Fatalf("training with an added layer: %v", err)
	}
	if n := zeroOutputs(); n != 0 {
		t.Fatalf("training left %d added layers at zero output: no gradient reached them", n)
	}
	ck.Text = []byte("not a tokenizer")
	if _, err := InitFrom(o, ck, data.PatchCodec{F: 4}, nil); err == nil {
		t.Fatal("InitFrom accepted a checkpoint with a corrupt text tokenizer")
	}
}

func TestOptionsXPOverridesPreset(t *testing.T) {
	o := DefaultOptions("tiny")
	o.Steps = 1
	for _, xp := range []int{0, 1, 9} {
		o.XP = xp
		r, err := NewRun(o, data.NewTextTokenizer(1, 512), data.PatchCodec{F: 4}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := xp
		if xp == 0 {
			want = model.Presets["tiny"].XP
		}
		if r.Model.Cfg.XP != want || r.Pipe.Builder.XP != want {
			t.Errorf("XP %d: model has %d X-Prompt tokens, builder %d; want %d", xp, r.Model.Cfg.XP, r.Pipe.Builder.XP, want)
		}
	}
}
