package data

import (
	"math/rand/v2"
	"strings"
	"testing"

	"xprompt/model"
	"xprompt/tasks"
)

func TestDetermined(t *testing.T) {
	fam := func(name string) *tasks.Family {
		f, err := tasks.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	cases := []struct {
		f    *tasks.Family
		rev  bool
		want bool
	}{
		{fam("flip_h"), false, true},
		{fam("denoise"), false, true},
		{fam("denoise"), true, false}, // add_noise names its amount
		{fam("recolour"), false, false},
		{fam("recolour").Bind(3), false, true},
		{fam("add_object").Bind(3), true, true},  // remove_object, bound
		{fam("add_noise").Bind(3), false, false}, // not bindable
		{fam("caption"), false, false},
		{tasks.StampFamily(7), true, true},
	}
	for _, c := range cases {
		if got := Determined(c.f, c.rev); got != c.want {
			t.Errorf("Determined(%s bound=%v, rev=%v) = %v, want %v", c.f.Name, c.f.Bound(), c.rev, got, c.want)
		}
	}
}

// tinyWithTemplates returns the tiny preset and a map from each literal
// instruction of the named (unparameterised) families to its family.
func tinyWithTemplates(t *testing.T, names ...string) (model.Config, map[string]string) {
	t.Helper()
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	templates := map[string]string{}
	for _, n := range names {
		f, err := tasks.ByName(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range f.Templates {
			templates[tm] = n
		}
	}
	return cfg, templates
}

func TestForeignInstruction(t *testing.T) {
	cfg, templates := tinyWithTemplates(t, "flip_h", "invert")
	// count draws 200 sequences of flip_h, invert (global) and recolour
	// (an edit) and returns, per family, how many carry another family's
	// instructions, which must be of another kind.
	count := func(prob, shared float64) map[string]int {
		dc := DefaultConfig()
		dc.CaptionWeight, dc.DifferenceWeight, dc.TextToImageWeight, dc.PaletteWeight = 0, 0, 0, 0
		dc.Families, dc.Examples = []string{"flip_h", "invert", "recolour"}, 2
		dc.ForeignInstruction, dc.SharedParams = prob, shared
		p, err := NewPipeline(dc, cfg, NewTextTokenizer(1, 512), PatchCodec{F: 4}, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		rng, foreign := rand.New(rand.NewPCG(5, 6)), map[string]int{}
		for i := 0; i < 200; i++ {
			g, err := p.Draw(rng)
			if err != nil {
				t.Fatal(err)
			}
			from := make([]string, len(g)) // the family each instruction belongs to ("recolour": none of the literal ones)
			for j, e := range g {
				if from[j] = templates[e.Instruction]; from[j] == "" {
					from[j] = "recolour"
				}
				if from[j] != from[0] {
					t.Fatalf("sequence %d mixes instructions of %s and %s: %q", i, from[0], from[j], e.Instruction)
				}
			}
			if from[0] != g[0].Family {
				foreign[g[0].Family]++
				if from[0] != "recolour" && g[0].Family != "recolour" {
					t.Fatalf("sequence %d: %s carries the instructions of %s, of its own kind", i, g[0].Family, from[0])
				}
			}
		}
		return foreign
	}
	if n := count(0, 0); len(n) != 0 {
		t.Errorf("foreign 0: sequences with another family's instructions: %v", n)
	}
	all := count(1, 0)
	if all["recolour"] != 0 {
		t.Errorf("foreign 1, unbound: %d recolour sequences lost the instruction that names their edit", all["recolour"])
	}
	if all["flip_h"] < 50 || all["invert"] < 50 {
		t.Errorf("foreign 1: flip_h %d, invert %d sequences (of about 67 each) with another family's instructions", all["flip_h"], all["invert"])
	}
	if bound := count(1, 1); bound["recolour"] < 50 {
		t.Errorf("foreign 1, bound: %d of about 67 recolour sequences with another family's instructions", bound["recolour"])
	}
	half := count(0.5, 0)
	if n := half["flip_h"] + half["invert"]; n < 45 || n > 90 {
		t.Errorf("foreign ½: %d of about 133 determined sequences with another family's instructions", n)
	}
}

func TestExampleOnlyForeign(t *testing.T) {
	cfg, templates := tinyWithTemplates(t, "flip_h", "invert")
	// draw returns 300 sequences of flip_h, invert and palette permutations
	// (half the image sequences), as family and instruction per example.
	draw := func(prob float64) [][2][]string {
		dc := DefaultConfig()
		dc.CaptionWeight, dc.DifferenceWeight, dc.TextToImageWeight, dc.PaletteWeight = 0, 0, 0, 0.5
		dc.Families, dc.Examples, dc.ExampleOnlyForeign = []string{"flip_h", "invert"}, 2, prob
		p, err := NewPipeline(dc, cfg, NewTextTokenizer(1, 512), PatchCodec{F: 4}, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		var out [][2][]string
		for i := 0; i < 300; i++ {
			g, err := p.Draw(rng)
			if err != nil {
				t.Fatal(err)
			}
			var s [2][]string
			for _, e := range g {
				s[0], s[1] = append(s[0], e.Family), append(s[1], e.Instruction)
			}
			out = append(out, s)
		}
		return out
	}
	// foreign counts the palette sequences whose instructions all belong to
	// one seen family, failing on a seen family given other words.
	foreign := func(seqs [][2][]string) (palettes, n int) {
		for i, s := range seqs {
			from := templates[s[1][0]]
			for j := range s[1] {
				if templates[s[1][j]] != from {
					t.Fatalf("sequence %d (%s) mixes instructions %q", i, s[0][0], s[1])
				}
			}
			if !strings.HasPrefix(s[0][0], "palette_perm_") {
				if from != s[0][0] {
					t.Fatalf("sequence %d: seen family %s carries instructions %q", i, s[0][0], s[1])
				}
				continue
			}
			palettes++
			if from != "" {
				n++
			}
		}
		return palettes, n
	}
	if palettes, n := foreign(draw(0)); n != 0 || palettes < 100 {
		t.Errorf("at 0: %d of %d palette sequences with a seen family's words, want none of about 150", n, palettes)
	}
	if palettes, n := foreign(draw(1)); n != palettes {
		t.Errorf("at 1: %d of %d palette sequences with a seen family's words, want all", n, palettes)
	}
	if palettes, n := foreign(draw(0.5)); n < palettes/4 || n > 3*palettes/4 {
		t.Errorf("at ½: %d of %d palette sequences with a seen family's words, want about half", n, palettes)
	}
}

// TestStampShared checks that StampShared puts a stamp's examples and query
// in one region (all at 1, none bound at 0), and that PaletteShared leaves
// stamps drawn apart.
func TestStampShared(t *testing.T) {
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	// sameRegion returns the stamp sequences of 100 whose stamps all lie in
	// one region.
	sameRegion := func(stamp, palette float64) int {
		dc := DefaultConfig()
		dc.CaptionWeight, dc.DifferenceWeight, dc.TextToImageWeight, dc.PaletteWeight = 0, 0, 0, 0
		dc.Examples, dc.SeededWeight, dc.SeededKinds = 2, 1, []string{"stamp"}
		dc.StampShared, dc.PaletteShared = stamp, palette
		p, err := NewPipeline(dc, cfg, NewTextTokenizer(1, 512), PatchCodec{F: 4}, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(8, 9))
		same := 0
		for i := 0; i < 100; i++ {
			g, err := p.Draw(rng)
			if err != nil {
				t.Fatal(err)
			}
			region := map[int]bool{}
			for _, e := range g {
				added := e.OutputScene
				if strings.HasSuffix(e.Family, "_inv") {
					added = e.Scene
				}
				o := added.Objects[len(added.Objects)-1]
				region[tasks.RegionOf(o.X, o.Y)] = true
			}
			if len(region) == 1 {
				same++
			}
		}
		return same
	}
	if n := sameRegion(1, 0); n != 100 {
		t.Errorf("stamp shared 1: %d of 100 sequences in one region, want all", n)
	}
	if n := sameRegion(0, 1); n > 30 {
		t.Errorf("palette shared 1, stamp shared 0: %d of 100 stamp sequences in one region: PaletteShared binds stamps", n)
	}
}
