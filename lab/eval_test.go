package lab

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"xprompt/img"
	"xprompt/metrics"
	"xprompt/model"
	"xprompt/tasks"
)

func TestSimilarityByHand(t *testing.T) {
	cases := []struct {
		a, b string
		want float64
	}{
		// 4 shared words of 5 each: 4/(√5·√5).
		{"make the red circle blue", "make the red square blue", 0.8},
		{"Make the RED circle blue!", "make the red circle blue", 1},
		{"remove the noise", "move the circle", 1 / 3.0},
		// counts matter: (2·1 + 1·1)/(√5·√2) for {the:2, red:1} · {the:1, red:1}.
		{"the the red", "the red", 3 / (math.Sqrt(5) * math.Sqrt(2))},
		{"", "anything", 0},
	}
	for _, c := range cases {
		if got := Similarity(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Similarity(%q, %q) = %g, want %g", c.a, c.b, got, c.want)
		}
	}
}

func TestRetrievalPicksMostSimilarInstruction(t *testing.T) {
	db := NewDatabase([]tasks.Example{
		{Family: "recolour", Instruction: "make the red circle blue"},
		{Family: "move", Instruction: "move the green square to the top left"},
		{Family: "resize", Instruction: "make the yellow triangle bigger"},
		{Family: "recolour", Instruction: "paint the green square red"},
		{Family: "recolour", Instruction: "make the red circle blue"}, // a duplicate: ties go to the first
	})
	cases := []struct {
		query string
		want  int
	}{
		{"make the red circle green", 0},
		{"move the green square to the bottom", 1},
		{"make the yellow triangle smaller", 2},
		{"paint the green square blue", 3},
		{"make the red circle blue", 0},
	}
	for _, c := range cases {
		got, sim := db.Nearest(c.query)
		if got != c.want {
			t.Errorf("Nearest(%q) = %d (%q), want %d (%q)", c.query, got, db.Examples[got].Instruction, c.want, db.Examples[c.want].Instruction)
		}
		// Independent check: no entry is strictly more similar.
		for i, e := range db.Examples {
			if s := Similarity(c.query, e.Instruction); s > sim+1e-12 || (s == sim && i < got) {
				t.Errorf("Nearest(%q): entry %d has similarity %g > %g of the pick %d", c.query, i, s, sim, got)
			}
		}
	}
	if i, s := NewDatabase(nil).Nearest("anything"); i != -1 || s != 0 {
		t.Errorf("empty database: Nearest = %d, %g; want -1, 0", i, s)
	}
}

func TestClassIDsOfRenderedSegmentation(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20; i++ {
		s := tasks.RandomScene(rng, 32, tasks.DefaultSceneOptions)
		truth := tasks.ClassMap(s)
		m := tasks.ClassImage(s)
		ids := ClassIDs(m)
		for p := range ids {
			if ids[p] != truth[p] {
				t.Fatalf("scene %d pixel %d: class %d, want %d", i, p, ids[p], truth[p])
			}
		}
		if got := metrics.MIoU(ids, truth, tasks.NumClasses); got != 1 {
			t.Fatalf("scene %d: mIoU %g of the map against its own ground truth, want 1", i, got)
		}
		if got := SegmentationMIoU([]*img.Image{m}, []*img.Image{m}); got != 1 {
			t.Fatalf("scene %d: SegmentationMIoU %g, want 1", i, got)
		}
		// Colours a little off still map to their class.
		noisy := m.Clone()
		for k := range noisy.Pix {
			noisy.Pix[k] = min(max(noisy.Pix[k]+float32(rng.NormFloat64()*0.1), 0), 1)
		}
		if got := SegmentationMIoU([]*img.Image{noisy}, []*img.Image{m}); got != 1 {
			t.Fatalf("scene %d: mIoU %g after mild noise, want 1", i, got)
		}
	}
	// An all-background prediction of a map with objects scores below 1.
	s := tasks.RandomScene(rng, 32, tasks.SceneOptions{MinObjects: 2, MaxObjects: 2})
	if got := SegmentationMIoU([]*img.Image{img.New(32, 32)}, []*img.Image{tasks.ClassImage(s)}); !(got < 1) {
		t.Fatalf("blank prediction: mIoU %g, want < 1", got)
	}
}

func TestEditAccuracyCountsObjects(t *testing.T) {
	add, _ := tasks.ByName("add_object")
	rng := rand.New(rand.NewPCG(5, 6))
	e := add.Sample(rng, 32)
	// The input lacks the added object, so it fails as an answer; the truth passes.
	if got := EditAccuracy([]*img.Image{e.Output, e.Input}, []*img.Image{e.Output, e.Output}); got != 0.5 {
		t.Fatalf("EditAccuracy = %g, want 0.5 (truth right, unedited input wrong)", got)
	}
	if n, m := len(tasks.DetectObjects(e.Input)), len(tasks.DetectObjects(e.Output)); m != n+1 {
		t.Fatalf("add_object example: %d objects before, %d after; the accuracy test needs one more", n, m)
	}
}

func TestRegistryNeedsTrainer(t *testing.T) {
	cfg := QuickConfig()
	cfg.VQ = testVQ()
	if _, err := NewRegistry(cfg); err == nil || !strings.Contains(err.Error(), "Config.Trainer") {
		t.Errorf("NewRegistry without a Trainer: error %v, want one naming Config.Trainer", err)
	}
}

func TestVariantOptions(t *testing.T) {
	cfg := QuickConfig()
	cfg.VQ, cfg.Trainer = testVQ(), testTrainer
	reg, err := NewRegistry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := reg.Options(VariantBase)
	if base.Steps != cfg.Steps || base.Seed != cfg.Seed || base.Data.Mode != model.ModeXPrompt || base.Warmup > cfg.Steps/10 {
		t.Fatalf("base options %+v: want the suite's steps and seed, X-Prompt mode, warmup ≤ steps/10", base)
	}
	cases := []struct {
		variant string
		check   func(o trainOptions) bool
	}{
		{VariantCausal, func(o trainOptions) bool { return o.Data.Mode == model.ModeCausal }},
		{VariantFull, func(o trainOptions) bool { return len(o.Data.Include) == len(NovelFamilies) }},
		{VariantNoText, func(o trainOptions) bool {
			return o.Data.CaptionWeight == 0 && o.Data.DifferenceWeight == 0 && o.Data.TextToImageWeight == 0 && o.Data.ImageWeight > 0
		}},
		{VariantNoReverse, func(o trainOptions) bool { return !o.Data.Reverse }},
		{"xp16", func(o trainOptions) bool { return o.XP == 16 }},
	}
	for _, c := range cases {
		o, err := reg.Options(c.variant)
		if err != nil || !c.check(o) {
			t.Errorf("variant %s: options %+v, error %v", c.variant, o, err)
		}
	}
	for _, bad := range []string{"xp0", "xpx", "bogus"} {
		if _, err := reg.Options(bad); err == nil {
			t.Errorf("variant %q: want an error", bad)
		}
	}
	if reg.XPVariant(model.Presets["tiny"].XP) != VariantBase || reg.XPVariant(8) != "xp8" {
		t.Error("XPVariant: the preset's S is the base model, others are xpS")
	}
}

func TestFamilyLists(t *testing.T) {
	for i, n := range reverseForward {
		f, err := tasks.ByName(n)
		if err != nil || f.HeldOut || f.Reverse != reverseBackward[i] {
			t.Errorf("reverse ablation: %s must be a seen family whose reverse is %s (got %+v, %v)", n, reverseBackward[i], f, err)
		}
	}
	for _, n := range NovelFamilies {
		if f, err := tasks.ByName(n); err != nil || !f.HeldOut {
			t.Errorf("novel family %s must be held out (%v)", n, err)
		}
	}
	for _, n := range editFamilies {
		if f, err := tasks.ByName(n); err != nil || f.HeldOut || f.Kind != tasks.KindEdit {
			t.Errorf("edit family %s must be a seen edit family (%v)", n, err)
		}
	}
}
