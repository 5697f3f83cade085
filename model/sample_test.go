package model

import (
	"context"
	"math"
	"testing"

	"xprompt/core"
)

func TestPick(t *testing.T) {
	logits := []float32{0, 2, 1, 3, -1}
	ids := []int32{0, 1, 2, 3, 4}
	rng := core.NewRNG(1)
	if got := pick(logits, ids, SampleOptions{}, rng); got != 3 {
		t.Fatalf("greedy pick = %d, want 3", got)
	}
	if got := pick(logits, []int32{0, 1, 2}, SampleOptions{}, rng); got != 1 {
		t.Fatalf("greedy pick restricted to {0,1,2} = %d, want 1", got)
	}
	for i := 0; i < 50; i++ {
		if got := pick(logits, ids, SampleOptions{Temperature: 1, TopK: 1}, rng); got != 3 {
			t.Fatalf("top-1 sampling picked %d", got)
		}
		if got := pick(logits, ids, SampleOptions{Temperature: 1, TopP: 0.1}, rng); got != 3 {
			t.Fatalf("top-p 0.1 sampling picked %d", got)
		}
	}
	// Temperature 1 samples follow softmax(logits).
	const n = 40000
	counts := make([]float64, len(ids))
	for i := 0; i < n; i++ {
		counts[pick(logits, ids, SampleOptions{Temperature: 1}, rng)]++
	}
	var z float64
	for _, l := range logits {
		z += math.Exp(float64(l))
	}
	for i, l := range logits {
		p := math.Exp(float64(l)) / z
		if got := counts[i] / n; math.Abs(got-p) > 4*math.Sqrt(p*(1-p)/n)+1e-3 {
			t.Fatalf("token %d sampled with frequency %.4f, softmax %.4f", i, got, p)
		}
	}
}

func TestConstrainedBatchedGeneration(t *testing.T) {
	cfg := testConfig()
	m, _ := New(cfg, 2)
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
	rng := core.NewRNG(4)
	ex := randomPair(rng, 4, 32, "flip")
	pre, _ := b.Prefix([]Pair{ex}, ModeXPrompt)
	cp, err := m.Compress(pre)
	if err != nil {
		t.Fatal(err)
	}
	qs := []Pair{randomPair(rng, 4, 32, "flip"), randomPair(rng, 4, 32, "flip it over please")}
	for _, o := range []SampleOptions{{}, {Temperature: 1, TopK: 5, Seed: 3}, {Temperature: 0.8, TopP: 0.9, CFG: 2, Seed: 3}} {
		out, err := m.GenerateImages(context.Background(), b, cp, qs, 4, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 2 {
			t.Fatalf("%d outputs for 2 queries", len(out))
		}
		for _, codes := range out {
			if len(codes) != 16 {
				t.Fatalf("generated %d codes, want a 4×4 grid", len(codes))
			}
			for _, c := range codes {
				if c < 0 || int(c) >= cfg.Vocab.Codes {
					t.Fatalf("generated code %d outside the codebook", c)
				}
			}
		}
	}
	// Batched greedy decoding equals decoding each query alone (left padding
	// and per-token positions must not change anything).
	both, _ := m.GenerateImages(context.Background(), b, cp, qs, 4, SampleOptions{})
	for i, q := range qs {
		one, _ := m.GenerateImages(context.Background(), b, cp, []Pair{q}, 4, SampleOptions{})
		for j := range one[0] {
			if one[0][j] != both[i][j] {
				t.Fatalf("query %d: batched greedy decoding differs from single decoding at code %d", i, j)
			}
		}
	}
	texts, err := m.GenerateText(context.Background(), b, cp, []Pair{qs[0]}, 5, SampleOptions{})
	if err != nil || len(texts) != 1 || len(texts[0]) > 5 {
		t.Fatalf("text generation: %q, %v", texts, err)
	}
}

func TestMaskImage(t *testing.T) {
	seg := []int32{core.SegBOS, core.SegIE, core.SegIE, core.SegXP, core.SegTD, core.SegTD}
	m := MaskImage(seg, core.MaskXPrompt, 2)
	const strip = 6
	at := func(i, j int) [3]float32 {
		r, g, b := m.At(strip+j*2+1, strip+i*2+1)
		return [3]float32{r, g, b}
	}
	dark := [3]float32{0.08, 0.08, 0.1}
	if at(4, 1) != dark || at(5, 2) != dark {
		t.Fatal("TD → IE cells are not drawn as masked")
	}
	if at(4, 3) != segColors[core.SegXP] || at(3, 1) != segColors[core.SegIE] {
		t.Fatal("TD → XP or XP → IE cells are not drawn as allowed")
	}
	if at(1, 2) != dark {
		t.Fatal("a future key is drawn as allowed")
	}
	if m.W != strip+12 || m.H != strip+12 {
		t.Fatalf("mask image is %d×%d, want %d", m.W, m.H, strip+12)
	}
}
