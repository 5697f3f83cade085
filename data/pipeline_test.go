package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"xprompt/core"
	"xprompt/model"
	"xprompt/tasks"
)

// instructionTokens counts the tokens between the first <inst> of segment
// seg and the next marker (<in> or <out>): the instruction of the query
// (core.SegTD) or of the first example (core.SegIE).
func instructionTokens(t *testing.T, s *model.Sequence, v model.Vocab, seg int32) int {
	t.Helper()
	inst, in, out := v.Tok(model.Inst), v.Tok(model.In), v.Tok(model.Out)
	for i, tok := range s.Tokens {
		if s.Seg[i] != seg || tok != inst {
			continue
		}
		n := 0
		for _, u := range s.Tokens[i+1:] {
			if u == in || u == out {
				return n
			}
			n++
		}
	}
	t.Fatalf("sequence has no instruction marker in segment %d", seg)
	return 0
}

// imageSequences draws 12 sequences of dc's image families (no text tasks)
// for a model of cfg.
func imageSequences(t *testing.T, dc Config, cfg model.Config) []*model.Sequence {
	t.Helper()
	dc.CaptionWeight, dc.DifferenceWeight, dc.TextToImageWeight = 0, 0, 0
	return drawSequences(t, dc, cfg, 12, 3)
}

// drawSequences draws n sequences of dc for a model of cfg from seed.
func drawSequences(t *testing.T, dc Config, cfg model.Config, n int, seed uint64) []*model.Sequence {
	t.Helper()
	p, err := NewPipeline(dc, cfg, NewTextTokenizer(1, 512), PatchCodec{F: 4}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	seqs, err := p.Sequences(rand.New(rand.NewPCG(seed, seed+1)), n)
	if err != nil {
		t.Fatal(err)
	}
	return seqs
}

func TestHideInstruction(t *testing.T) {
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ query, examples float64 }{{0, 0}, {1, 0}, {0, 1}} {
		dc := DefaultConfig()
		dc.HideInstruction, dc.HideExampleInstruction = c.query, c.examples
		for i, s := range imageSequences(t, dc, cfg) {
			for _, part := range []struct {
				name string
				seg  int32
				hide float64
			}{{"query", core.SegTD, c.query}, {"example", core.SegIE, c.examples}} {
				n := instructionTokens(t, s, cfg.Vocab, part.seg)
				if part.hide == 1 && n != 0 {
					t.Errorf("hide %s %v: sequence %d keeps a %d-token instruction", part.name, part.hide, i, n)
				}
				if part.hide == 0 && n == 0 {
					t.Errorf("hide %s %v: sequence %d lost its instruction", part.name, part.hide, i)
				}
			}
		}
	}
}

// TestHideDeterminedOnly checks that with HideDeterminedOnly a query keeps
// its instruction where its example cannot show it (recolour, posterize)
// and loses it where the example shows the operation (flips, palettes, a
// bound recolour).
func TestHideDeterminedOnly(t *testing.T) {
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		families        []string
		palette, shared float64
		keep            bool
	}{{[]string{"recolour", "posterize"}, 0, 0, true}, {[]string{"flip_h", "segmentation"}, 0, 0, false}, {[]string{"recolour"}, 1, 0, false},
		{[]string{"recolour"}, 0, 1, false}} { // a bound recolour's example makes the query's own edit
		dc := DefaultConfig()
		dc.Families, dc.PaletteWeight, dc.SharedParams = c.families, c.palette, c.shared
		dc.HideInstruction, dc.HideDeterminedOnly = 1, true
		for i, s := range imageSequences(t, dc, cfg) {
			if n := instructionTokens(t, s, cfg.Vocab, core.SegTD); (n > 0) != c.keep {
				t.Errorf("families %v, palette %g: sequence %d's query has a %d-token instruction, want kept %v", c.families, c.palette, i, n, c.keep)
			}
		}
	}
}

// TestCurveWeight checks the share of tone-curve tasks in the image
// stream: none at weight 0, all at weight 1, about half at ½.
func TestCurveWeight(t *testing.T) {
	for _, c := range []struct{ weight, lo, hi float64 }{{0, 0, 0}, {1, 1, 1}, {0.5, 0.4, 0.6}} {
		dc := DefaultConfig()
		dc.CurveWeight = c.weight
		kinds, n := drawKinds(t, dc, "tone_curve_")
		if share := float64(kinds["tone_curve_"]) / float64(n); share < c.lo || share > c.hi {
			t.Errorf("curve weight %g: %d of %d draws are tone curves", c.weight, kinds["tone_curve_"], n)
		}
	}
}

// drawKinds draws 400 families from an image-only pipeline of dc (no text
// tasks, no palette permutations) and counts the draws whose name starts
// with each prefix; every counted name must be a known family.
func drawKinds(t *testing.T, dc Config, prefixes ...string) (map[string]int, int) {
	t.Helper()
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	dc.CaptionWeight, dc.DifferenceWeight, dc.TextToImageWeight, dc.PaletteWeight = 0, 0, 0, 0
	p, err := NewPipeline(dc, cfg, NewTextTokenizer(1, 512), PatchCodec{F: 4}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 400
	kinds := map[string]int{}
	for i := 0; i < n; i++ {
		f, _, _, err := p.pickFamily(rng)
		if err != nil {
			t.Fatal(err)
		}
		for _, prefix := range prefixes {
			if strings.HasPrefix(f.Name, prefix) {
				kinds[prefix]++
				if _, err := tasks.ByName(f.Name); err != nil {
					t.Fatalf("drawn family %s is not a known name: %v", f.Name, err)
				}
			}
		}
	}
	return kinds, n
}

// TestSeededWeight checks the share of example-only families of the
// held-out kinds: none at weight 0, all at weight 1 (each of the three
// kinds), about half at ½; every draw tokenises.
func TestSeededWeight(t *testing.T) {
	for _, c := range []struct{ weight, lo, hi float64 }{{0, 0, 0}, {1, 1, 1}, {0.5, 0.4, 0.6}} {
		dc := DefaultConfig()
		dc.SeededWeight = c.weight
		kinds, n := drawKinds(t, dc, "overlay_", "stamp_", "dense_")
		seeded := kinds["overlay_"] + kinds["stamp_"] + kinds["dense_"]
		if share := float64(seeded) / float64(n); share < c.lo || share > c.hi {
			t.Errorf("seeded weight %g: %d of %d draws are example-only families", c.weight, seeded, n)
		}
		if c.weight == 1 && len(kinds) != 3 {
			t.Errorf("weight 1 drew kinds %v, want all three", kinds)
		}
	}
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	dc := DefaultConfig()
	dc.SeededWeight = 1
	p, err := NewPipeline(dc, cfg, NewTextTokenizer(1, 512), PatchCodec{F: 4}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Sequences(rand.New(rand.NewPCG(1, 2)), 16); err != nil {
		t.Fatalf("sequences of example-only families: %v", err)
	}
}

// TestSeededKinds checks that SeededKinds restricts the example-only
// families to the kinds named, and that an unknown kind is refused by name.
func TestSeededKinds(t *testing.T) {
	dc := DefaultConfig()
	dc.SeededWeight = 1
	dc.SeededKinds = []string{"stamp", "overlay"}
	kinds, n := drawKinds(t, dc, "overlay_", "stamp_", "dense_")
	if kinds["dense_"] != 0 || kinds["stamp_"]+kinds["overlay_"] != n || kinds["stamp_"] < n/3 || kinds["overlay_"] < n/3 {
		t.Errorf("kinds stamp, overlay drew %v of %d", kinds, n)
	}
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	dc.SeededKinds = []string{"stamp", "rain"}
	_, err = NewPipeline(dc, cfg, NewTextTokenizer(1, 512), PatchCodec{F: 4}, 0.5)
	if err == nil || !strings.Contains(err.Error(), `"rain"`) {
		t.Errorf("unknown kind: err = %v, want one naming \"rain\"", err)
	}
}

// TestFamilyWeights checks that a weighted family is drawn in proportion to
// its weight (either direction's name selects the pair), that the other
// families stay uniform, and that bad weights are refused by name.
func TestFamilyWeights(t *testing.T) {
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	dc := DefaultConfig()
	dc.CaptionWeight, dc.DifferenceWeight, dc.TextToImageWeight, dc.PaletteWeight = 0, 0, 0, 0
	dc.FamilyWeights = map[string]float64{"flip_h": 9, "rotate270": 5} // rotate270 is rotate90's reverse
	p, err := NewPipeline(dc, cfg, NewTextTokenizer(1, 512), PatchCodec{F: 4}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	k := float64(len(p.primaries))
	total := 9 + 5 + (k - 2)
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 20000
	count := map[string]int{}
	for range n {
		f, _, _, err := p.pickFamily(rng)
		if err != nil {
			t.Fatal(err)
		}
		count[f.Name]++
	}
	for name, w := range map[string]float64{"flip_h": 9, "rotate90": 5, "invert": 1} {
		want := n * w / total
		if got := float64(count[name]); math.Abs(got-want) > 4*math.Sqrt(want) {
			t.Errorf("%s drawn %v times of %d, want about %.0f (weight %v of %v)", name, got, n, want, w, total)
		}
	}
	for _, bad := range []map[string]float64{{"no_such_family": 2}, {"flip_h": 0}, {"flip_h": math.Inf(1)}, {"derain": 2}} {
		dc.FamilyWeights = bad
		if _, err := NewPipeline(dc, cfg, NewTextTokenizer(1, 512), PatchCodec{F: 4}, 0.5); err == nil {
			t.Errorf("weights %v accepted", bad)
		} else {
			t.Logf("weights %v: %v", bad, err)
		}
	}
}

// TestSharedParams checks that with SharedParams 1 every sequence's
// examples and query make one edit (recolour, in both directions: the same
// description), that at 0 they do not, and that about half share at ½.
func TestSharedParams(t *testing.T) {
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	shares := func(prob float64) int {
		dc := DefaultConfig()
		dc.CaptionWeight, dc.DifferenceWeight, dc.TextToImageWeight, dc.PaletteWeight = 0, 0, 0, 0
		dc.Families, dc.Examples, dc.SharedParams = []string{"recolour"}, 2, prob
		p, err := NewPipeline(dc, cfg, NewTextTokenizer(1, 512), PatchCodec{F: 4}, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		rng, same := rand.New(rand.NewPCG(3, 4)), 0
		for i := 0; i < 100; i++ {
			g, err := p.Draw(rng)
			if err != nil {
				t.Fatal(err)
			}
			if g[0].Description == g[1].Description && g[1].Description == g[2].Description {
				same++
			}
		}
		return same
	}
	if n := shares(1); n != 100 {
		t.Errorf("shared 1: %d of 100 sequences make one edit", n)
	}
	if n := shares(0); n > 5 {
		t.Errorf("shared 0: %d of 100 sequences make one edit", n)
	}
	if n := shares(0.5); n < 35 || n > 65 {
		t.Errorf("shared ½: %d of 100 sequences make one edit", n)
	}
}

// TestPaletteShared checks that with PaletteShared 1 every palette
// permutation's examples and query hold objects of the same colours, that
// at 0 most do not — and not under SharedParams either, which leaves the
// example-only tasks as they were — and that recolours still bind under
// SharedParams.
func TestPaletteShared(t *testing.T) {
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	colours := func(e tasks.Example) string {
		var c []int
		for _, o := range e.Scene.Objects {
			c = append(c, o.Colour)
		}
		slices.Sort(c)
		return fmt.Sprint(c)
	}
	// shares returns the palette sequences of 200 and those whose examples
	// all hold the query's colours, and the recolour sequences that make one edit.
	shares := func(palette, params float64) (palettes, same, recolours int) {
		dc := DefaultConfig()
		dc.CaptionWeight, dc.DifferenceWeight, dc.TextToImageWeight, dc.PaletteWeight = 0, 0, 0, 0.5
		dc.Families, dc.Examples, dc.PaletteShared, dc.SharedParams = []string{"recolour"}, 2, palette, params
		p, err := NewPipeline(dc, cfg, NewTextTokenizer(1, 512), PatchCodec{F: 4}, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(5, 6))
		for i := 0; i < 200; i++ {
			g, err := p.Draw(rng)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(g[0].Family, "palette_perm_") {
				if g[0].Description == g[1].Description && g[1].Description == g[2].Description {
					recolours++
				}
				continue
			}
			palettes++
			if colours(g[0]) == colours(g[1]) && colours(g[1]) == colours(g[2]) {
				same++
			}
		}
		return palettes, same, recolours
	}
	if palettes, same, _ := shares(1, 0); palettes < 60 || same != palettes {
		t.Errorf("palette shared 1: %d of %d palette sequences hold one set of colours, want all", same, palettes)
	}
	if palettes, same, _ := shares(0, 0); same > palettes/4 {
		t.Errorf("palette shared 0: %d of %d palette sequences hold one set of colours", same, palettes)
	}
	palettes, same, recolours := shares(0, 1)
	if same > palettes/4 {
		t.Errorf("shared params 1: %d of %d palette sequences hold one set of colours: SharedParams binds palettes", same, palettes)
	}
	if recolours != 200-palettes {
		t.Errorf("shared params 1: %d of %d recolour sequences make one edit", recolours, 200-palettes)
	}
	if palettes, same, _ := shares(0.5, 0); same < palettes/4 || same > 3*palettes/4 {
		t.Errorf("palette shared ½: %d of %d palette sequences hold one set of colours, want about half", same, palettes)
	}
}

// TestDropWords: at 0 the sequences are the default's token for token; at 1
// every instruction token is the unknown word and nothing else changes; at
// 0.3 about 30 % of them are.
func TestDropWords(t *testing.T) {
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	inInstruction := func(s *model.Sequence) []bool {
		inst, in, out := cfg.Vocab.Tok(model.Inst), cfg.Vocab.Tok(model.In), cfg.Vocab.Tok(model.Out)
		mark, on := make([]bool, len(s.Tokens)), false
		for i, tok := range s.Tokens {
			switch tok {
			case inst:
				on = true
			case in, out:
				on = false
			default:
				mark[i] = on
			}
		}
		return mark
	}
	base := imageSequences(t, DefaultConfig(), cfg)
	for _, rate := range []float64{0, 1} {
		dc := DefaultConfig()
		dc.DropWords = rate
		for i, s := range imageSequences(t, dc, cfg) {
			b := base[i]
			if !slices.Equal(s.Seg, b.Seg) {
				t.Fatalf("drop %v: sequence %d has another layout", rate, i)
			}
			mark := inInstruction(b)
			for j, tok := range s.Tokens {
				switch {
				case !mark[j] && tok != b.Tokens[j]:
					t.Fatalf("drop %v: sequence %d token %d outside an instruction changed", rate, i, j)
				case mark[j] && rate == 1 && tok != model.UnknownText:
					t.Fatalf("drop 1: sequence %d instruction token %d is %s", i, j, cfg.Vocab.Name(tok))
				case mark[j] && rate == 0 && tok != b.Tokens[j]:
					t.Fatalf("drop 0: sequence %d instruction token %d changed", i, j)
				}
			}
		}
	}
	dc := DefaultConfig()
	dc.DropWords = 0.3
	dropped, words := 0, 0
	for _, s := range drawSequences(t, dc, cfg, 200, 5) {
		for j, on := range inInstruction(s) {
			if on {
				words++
				if s.Tokens[j] == model.UnknownText {
					dropped++
				}
			}
		}
	}
	// Binomial: 30 % within 5 standard deviations of the share.
	share, sd := float64(dropped)/float64(words), math.Sqrt(0.3*0.7/float64(words))
	if math.Abs(share-0.3) > 5*sd {
		t.Fatalf("drop 0.3: %d of %d instruction tokens dropped (%.3f)", dropped, words, share)
	}
}
