package model

import "testing"

// TestChangedWeight checks that ChangedWeight multiplies exactly the loss
// weights of the output codes that differ from the input's code at the same
// place, in the query (weight 1) and in the example (ExampleWeight), and
// leaves every other weight and every target as they were.
func TestChangedWeight(t *testing.T) {
	cfg := testConfig()
	side := cfg.ImageSide
	in := make([]int32, side*side)
	for i := range in {
		in[i] = int32(i % 7)
	}
	out := append([]int32(nil), in...)
	changed := map[int32]bool{}
	for _, i := range []int{3, side + 1, side*side - 1} { // distinct new codes mark the changed cells
		out[i] = int32(8 + i)
		changed[cfg.Vocab.Code(out[i])] = true
	}
	pair := Pair{Instruction: "edit", Input: in, Output: out, Side: side}
	build := func(k float32) *Sequence {
		b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP, ExampleWeight: 0.5, ChangedWeight: k}
		s, err := b.Build([]Pair{pair}, pair, ModeXPrompt)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	plain, weighed := build(0), build(4)
	if len(plain.Weights) != len(weighed.Weights) {
		t.Fatalf("lengths %d and %d", len(plain.Weights), len(weighed.Weights))
	}
	n := 0
	for i := range plain.Weights {
		if plain.Targets[i] != weighed.Targets[i] {
			t.Fatalf("target %d changed: %d → %d", i, plain.Targets[i], weighed.Targets[i])
		}
		want := plain.Weights[i]
		if plain.Weights[i] > 0 && changed[plain.Targets[i]] {
			want *= 4
			n++
		}
		if weighed.Weights[i] != want {
			t.Errorf("position %d (target %d): weight %g, want %g", i, plain.Targets[i], weighed.Weights[i], want)
		}
	}
	if n != 2*len(changed) {
		t.Errorf("%d weighed targets, want %d (three changed codes in the example and in the query)", n, 2*len(changed))
	}
}
