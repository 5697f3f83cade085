package model

import (
	"math"
	"strings"
	"testing"
)

// TestAverage checks the weights of an average against values computed
// here, the resizing of the X-Prompt tokens of the model with fewer, and
// the errors for a weight out of range and for different architectures.
func TestAverage(t *testing.T) {
	cfg := testConfig()
	a, _ := New(cfg, 7)
	b, _ := New(cfg, 8)
	avg, resized, err := Average(a, b, 0.25)
	if err != nil || resized {
		t.Fatalf("Average = %v, resized %v", err, resized)
	}
	for _, name := range a.Params.Names() {
		da, db, got := a.Params.Get(name).Data, b.Params.Get(name).Data, avg.Params.Get(name).Data
		for i := range got {
			want := 0.75*float64(da[i]) + 0.25*float64(db[i])
			if math.Abs(float64(got[i])-want) > 1e-6*(1+math.Abs(want)) {
				t.Fatalf("%s[%d] = %g, want %g", name, i, got[i], want)
			}
		}
	}
	if a.Params.Get(a.Params.Names()[0]).Data[0] == avg.Params.Get(a.Params.Names()[0]).Data[0] {
		t.Fatal("the average equals the first model")
	}

	// b with twice the X-Prompt tokens: a is resized to its count first.
	b2, err := b.WithXP(2 * cfg.XP)
	if err != nil {
		t.Fatal(err)
	}
	avg, resized, err = Average(a, b2, 1)
	if err != nil || !resized || avg.Cfg.XP != 2*cfg.XP || a.Cfg.XP != cfg.XP {
		t.Fatalf("Average with %d and %d X-Prompt tokens: err %v, resized %v, XP %d (a left with %d)", cfg.XP, 2*cfg.XP, err, resized, avg.Cfg.XP, a.Cfg.XP)
	}
	if got, want := avg.xpEmb.Data, b2.xpEmb.Data; got[len(got)-1] != want[len(want)-1] {
		t.Fatalf("weight 1 did not give the second model's X-Prompt tokens")
	}

	for _, w := range []float64{-0.1, 1.5, math.NaN()} {
		if _, _, err := Average(a, b, w); err == nil || !strings.Contains(err.Error(), "weight") {
			t.Errorf("Average with weight %v: %v, want a weight error", w, err)
		}
	}
	deep, err := a.WithLayers(cfg.Layers + 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Average(a, deep, 0.5); err == nil || !strings.Contains(err.Error(), "different architectures") {
		t.Errorf("Average of %d and %d layers: %v, want an architecture error", cfg.Layers, cfg.Layers+1, err)
	}
}
