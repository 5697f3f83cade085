package model

import (
	"testing"

	"xprompt/core"
)

// resizeFixture returns a test model, an example and a query, and the
// X-Prompt sequence built from them.
func resizeFixture() (Config, *Model, Pair, Pair, *Sequence) {
	cfg := testConfig()
	m, _ := New(cfg, 7)
	rng := core.NewRNG(3)
	ex := randomPair(rng, cfg.ImageSide, 32, "flip")
	q := randomPair(rng, cfg.ImageSide, 32, "flip")
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
	sx, _ := b.Build([]Pair{ex}, q, ModeXPrompt)
	return cfg, m, ex, q, sx
}

// TestWithXP checks that resizing the X-Prompt tokens keeps every other
// weight, starts token i as the old token i mod S, and computes the old
// logits exactly when the count is unchanged and on sequences without
// X-Prompt tokens.
func TestWithXP(t *testing.T) {
	cfg, m, ex, q, sx := resizeFixture()
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
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

// TestWithLayers checks that added layers copy their neighbour with zero
// output projections, so the deeper model computes the same logits, that
// every old layer keeps its weights in order, and that shrinking is refused.
func TestWithLayers(t *testing.T) {
	cfg, m, _, _, sx := resizeFixture()

	old := cfg.Layers
	n := 2*old + 1
	deep, err := m.WithLayers(n)
	if err != nil {
		t.Fatal(err)
	}
	if deep.Cfg.Layers != n || len(deep.layers) != n || m.Cfg.Layers != old {
		t.Fatalf("layers: deep %d/%d (want %d), original %d", deep.Cfg.Layers, len(deep.layers), n, m.Cfg.Layers)
	}
	if d := maxRelDiff(fullLogits(deep, sx), fullLogits(m, sx)); d != 0 {
		t.Fatalf("added layers moved the logits by %g", d)
	}
	equal := func(a, b *core.Tensor) bool {
		for i := range a.Data {
			if a.Data[i] != b.Data[i] {
				return false
			}
		}
		return len(a.Data) == len(b.Data)
	}
	zero := func(a *core.Tensor) bool {
		for _, v := range a.Data {
			if v != 0 {
				return false
			}
		}
		return true
	}
	// Old layers appear in order; each added one follows a copy of its source.
	next, added := 0, 0
	for k, l := range deep.layers {
		if next < old && equal(l.wo, m.layers[next].wo) && equal(l.wqkv, m.layers[next].wqkv) {
			next++
			continue
		}
		src := m.layers[next-1]
		if !zero(l.wo) || !zero(l.w3) || !equal(l.wqkv, src.wqkv) || !equal(l.w12, src.w12) || !equal(l.norm1, src.norm1) {
			t.Fatalf("layer %d is neither old layer %d nor a zero-output copy of layer %d", k, next, next-1)
		}
		added++
	}
	if next != old || added != n-old {
		t.Fatalf("found %d old and %d added layers, want %d and %d", next, added, old, n-old)
	}
	if same, err := m.WithLayers(old); err != nil || maxRelDiff(fullLogits(same, sx), fullLogits(m, sx)) != 0 {
		t.Fatalf("the same depth is not the same model: %v", err)
	}
	if _, err := m.WithLayers(old - 1); err == nil {
		t.Fatal("removing a layer is not an error")
	}
}
