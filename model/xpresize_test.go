package model

import (
	"testing"

	"xprompt/core"
)

// TestWithXP checks that resizing the X-Prompt tokens keeps every other
// weight, starts token i as the old token i mod S, and computes the old
// logits exactly when the count is unchanged and on sequences without
// X-Prompt tokens.
func TestWithXP(t *testing.T) {
	cfg := testConfig()
	m, _ := New(cfg, 7)
	rng := core.NewRNG(3)
	ex := randomPair(rng, cfg.ImageSide, 32, "flip")
	q := randomPair(rng, cfg.ImageSide, 32, "flip")
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
	sx, _ := b.Build([]Pair{ex}, q, ModeXPrompt)
	sn, _ := b.Build(nil, q, ModeNone)

	same, err := m.WithXP(cfg.XP)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxRelDiff(fullLogits(same, sx), fullLogits(m, sx)); d != 0 {
		t.Fatalf("resizing to the same count moved the logits by %g", d)
	}

	n := 2*cfg.XP + 1
	big, err := m.WithXP(n)
	if err != nil {
		t.Fatal(err)
	}
	if big.Cfg.XP != n || m.Cfg.XP != cfg.XP {
		t.Fatalf("XP: resized %d (want %d), original %d (want %d)", big.Cfg.XP, n, m.Cfg.XP, cfg.XP)
	}
	d := cfg.D
	for i := 0; i < n; i++ {
		j := i % cfg.XP
		for k := 0; k < d; k++ {
			if big.xpEmb.Data[i*d+k] != m.xpEmb.Data[j*d+k] {
				t.Fatalf("xp token %d value %d: %g, want old token %d's %g", i, k, big.xpEmb.Data[i*d+k], j, m.xpEmb.Data[j*d+k])
			}
		}
	}
	if dd := maxRelDiff(fullLogits(big, sn), fullLogits(m, sn)); dd != 0 {
		t.Fatalf("a sequence without X-Prompt tokens moved by %g", dd)
	}
	bb := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: n}
	if sb, err := bb.Build([]Pair{ex}, q, ModeXPrompt); err != nil || len(fullLogits(big, sb)) == 0 {
		t.Fatalf("the resized model does not run a sequence with %d X-Prompt tokens: %v", n, err)
	}
	if _, err := m.WithXP(-1); err == nil {
		t.Fatal("a negative count is not an error")
	}
}
