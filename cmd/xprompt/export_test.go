package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"xprompt/model"
)

// TestExportWeightAverage: train --ema keeps a moving average of the
// weights in its checkpoint, export --ema writes that average (not the last
// weights), and export --ema of a run without one says so.
func TestExportWeightAverage(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model")
	}
	dir := t.TempDir()
	run, avg, last := filepath.Join(dir, "run.ckpt"), filepath.Join(dir, "avg.xpm"), filepath.Join(dir, "last.xpm")
	if err := commands["train"].run([]string{"--preset", "tiny", "--steps", "3", "--batch", "1", "--ema", "0.9", "--quiet", "--out", run}); err != nil {
		t.Fatal(err)
	}
	if err := commands["export"].run([]string{"--ema", run, avg}); err != nil {
		t.Fatal(err)
	}
	if err := commands["export"].run([]string{last, last}); err == nil {
		t.Fatal("export of a missing file succeeded")
	}
	if err := commands["export"].run([]string{run, last}); err != nil {
		t.Fatal(err)
	}
	ck, err := model.Load(run)
	if err != nil {
		t.Fatal(err)
	}
	a, err := model.Load(avg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := model.Load(last)
	if err != nil {
		t.Fatal(err)
	}
	want := ck.Optim.EMA[0].Data[0]
	if got := a.Model.Params.List()[0].Data[0]; absDiff(got, want) > 1e-3*(1+absDiff(want, 0)) {
		t.Fatalf("export --ema wrote %g, the average is %g", got, want)
	}
	if a.Model.Params.List()[0].Data[0] == l.Model.Params.List()[0].Data[0] {
		t.Fatal("export --ema wrote the last weights")
	}
	plain := filepath.Join(dir, "plain.ckpt")
	if err := commands["train"].run([]string{"--preset", "tiny", "--steps", "1", "--batch", "1", "--quiet", "--out", plain}); err != nil {
		t.Fatal(err)
	}
	err = commands["export"].run([]string{"--ema", plain, filepath.Join(dir, "x.xpm")})
	if err == nil || !strings.Contains(err.Error(), "no weight average") || !strings.Contains(err.Error(), "plain.ckpt") {
		t.Fatalf("export --ema of a run without an average: error %v", err)
	}
}

func absDiff(a, b float32) float32 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestMinLRNeverAbovePeak: a peak rate below the preset's floor lowers the
// floor (the schedule never rises); --min-lr sets it.
func TestMinLRNeverAbovePeak(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model")
	}
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want float32
	}{
		{[]string{"--lr", "1e-5"}, 1e-5},
		{[]string{"--lr", "1e-3", "--min-lr", "2e-5"}, 2e-5},
	} {
		out := filepath.Join(dir, "run.ckpt")
		args := append([]string{"--preset", "tiny", "--steps", "1", "--batch", "1", "--quiet", "--out", out}, c.args...)
		if err := commands["train"].run(args); err != nil {
			t.Fatal(err)
		}
		ck, err := model.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Options struct{ MinLR float32 } `json:"options"`
		}
		if err := json.Unmarshal(ck.Train, &st); err != nil {
			t.Fatal(err)
		}
		if st.Options.MinLR != c.want {
			t.Errorf("train %v: schedule floor %g, want %g", c.args, st.Options.MinLR, c.want)
		}
	}
}

// TestAverageCommand: average writes (1−W)·A + W·B of two tiny models, one
// trained on from the other, and refuses a missing file and two models with
// different tokenizers.
func TestAverageCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two tiny models")
	}
	dir := t.TempDir()
	pa, pb, out := filepath.Join(dir, "a.ckpt"), filepath.Join(dir, "b.ckpt"), filepath.Join(dir, "avg.xpm")
	// b is trained on from a, so the two share their tokenizers.
	if err := commands["train"].run([]string{"--preset", "tiny", "--steps", "2", "--batch", "1", "--quiet", "--out", pa}); err != nil {
		t.Fatal(err)
	}
	if err := commands["train"].run([]string{"--init", pa, "--steps", "2", "--batch", "1", "--seed", "2", "--quiet", "--out", pb}); err != nil {
		t.Fatal(err)
	}
	if err := commands["average"].run([]string{"--weight", "0.25", pa, filepath.Join(dir, "missing.ckpt"), out}); err == nil {
		t.Fatal("average with a missing model succeeded")
	}
	if err := commands["average"].run([]string{"--weight", "0.25", pa, pb, out}); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.ckpt") // from scratch, another seed: its own text tokenizer
	if err := commands["train"].run([]string{"--preset", "tiny", "--steps", "1", "--batch", "1", "--seed", "5", "--quiet", "--out", other}); err != nil {
		t.Fatal(err)
	}
	if err := commands["average"].run([]string{pa, other, filepath.Join(dir, "x.xpm")}); err == nil || !strings.Contains(err.Error(), "different tokenizers") {
		t.Fatalf("average of models with different tokenizers: %v, want an error naming them", err)
	}
	var vals []float32
	for _, p := range []string{pa, pb, out} {
		ck, err := model.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, ck.Model.Params.List()[0].Data[0])
	}
	want := 0.75*vals[0] + 0.25*vals[1]
	if absDiff(vals[2], want) > 1e-3*(1+absDiff(want, 0)) || vals[0] == vals[1] {
		t.Fatalf("average wrote %g from %g and %g, want %g", vals[2], vals[0], vals[1], want)
	}
}
