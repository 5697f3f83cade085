package data

import (
	"math/rand/v2"
	"testing"

	"xprompt/model"
)

func TestIncludeAddsHeldOutFamilies(t *testing.T) {
	mcfg := model.Presets["tiny"]
	tok := NewTextTokenizer(1, 512)
	cases := []struct {
		name    string
		include []string
		want    map[string]bool // families that must appear (true) or never appear (false)
	}{
		{"seen only", nil, map[string]bool{"denoise": true, "lowlight": false, "make_lowlight": false}},
		{"with lowlight", []string{"lowlight"}, map[string]bool{"denoise": true, "lowlight": true, "make_lowlight": true}},
	}
	for _, c := range cases {
		cfg := Config{ImageWeight: 1, Reverse: true, Examples: 0, Families: []string{"denoise"}, Include: c.include}
		p, err := NewPipeline(cfg, mcfg, tok, PatchCodec{F: 4}, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		got := map[string]bool{}
		for i := 0; i < 200; i++ {
			exs, err := p.Draw(rng)
			if err != nil {
				t.Fatal(err)
			}
			got[exs[0].Family] = true
		}
		for fam, want := range c.want {
			if got[fam] != want {
				t.Errorf("%s: family %s drawn = %v, want %v (drawn: %v)", c.name, fam, got[fam], want, got)
			}
		}
	}
	for _, bad := range []string{"denoise", "no_such_family"} {
		cfg := DefaultConfig()
		cfg.Include = []string{bad}
		if _, err := NewPipeline(cfg, mcfg, tok, PatchCodec{F: 4}, 0); err == nil {
			t.Errorf("Include %q: want an error (not a held-out family)", bad)
		}
	}
}
