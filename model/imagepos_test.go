package model

import (
	"path/filepath"
	"testing"

	"xprompt/core"
)

// eachImageLayout runs a test on the test configuration with 1-D positions
// only and with the learned 2-D image positions.
func eachImageLayout(t *testing.T, test func(*testing.T, Config)) {
	for _, pos2d := range []bool{false, true} {
		name := "1d"
		if pos2d {
			name = "2d"
		}
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			cfg.ImagePos2D = pos2d
			test(t, cfg)
		})
	}
}

// TestImagePositions checks the row and column of every token of a built
// sequence against the layout written out by hand: <size> predicts cell
// (0,0); the token at (r, c) of the (side+1)-wide grid predicts the next
// cell; the last <eol> predicts <eoi> at (side, 0); everything else is
// "not in an image" (side+1).
func TestImagePositions(t *testing.T) {
	cfg := testConfig()
	v, side := cfg.Vocab, cfg.ImageSide
	b := &Builder{Vocab: v, Text: byteCodec{}, XP: cfg.XP}
	rng := core.NewRNG(1)
	ex, q := randomPair(rng, side, 32, "flip"), randomPair(rng, side, 32, "flip")
	s, err := b.Build([]Pair{ex}, q, ModeXPrompt)
	if err != nil {
		t.Fatal(err)
	}
	want := make([][2]int32, s.Len())
	none := int32(side + 1)
	images := 0
	for i := 0; i < s.Len(); i++ {
		want[i] = [2]int32{none, none}
	}
	for i := 0; i < s.Len(); i++ {
		if s.Tokens[i] != v.Tok(BOI) {
			continue
		}
		images++
		// i+1 is <size>; then side rows of side codes and an <eol>.
		want[i+1] = [2]int32{0, 0}
		k := i + 2
		for r := 0; r < side; r++ {
			for c := 0; c <= side; c++ {
				next := r*(side+1) + c + 1
				want[k] = [2]int32{int32(next / (side + 1)), int32(next % (side + 1))}
				k++
			}
		}
		if s.Tokens[k] != v.Tok(EOI) || want[k-1] != [2]int32{int32(side), 0} {
			t.Fatalf("image at %d: layout is not <boi> <size> rows <eoi>", i)
		}
	}
	if images != 4 {
		t.Fatalf("sequence holds %d images, want 4", images)
	}
	rows, cols := v.imagePositions(s.Tokens, newImageState(1), 1, s.Len(), side)
	for i := range want {
		if rows[i] != want[i][0] || cols[i] != want[i][1] {
			t.Fatalf("token %d (%s): row, column %d, %d; want %d, %d", i, v.Name(s.Tokens[i]), rows[i], cols[i], want[i][0], want[i][1])
		}
	}
	// Fed one token at a time, the carried state gives the same positions.
	st := newImageState(1)
	for i, tok := range s.Tokens {
		r, c := v.imagePositions([]int32{tok}, st, 1, 1, side)
		if r[0] != rows[i] || c[0] != cols[i] {
			t.Fatalf("token %d streamed: %d, %d; in one call %d, %d", i, r[0], c[0], rows[i], cols[i])
		}
	}
	// An image of another side gets no 2-D positions.
	other := randomPair(rng, 2, 32, "x")
	s2, _ := b.Build(nil, other, ModeNone)
	r2, _ := v.imagePositions(s2.Tokens, newImageState(1), 1, s2.Len(), side)
	for i, r := range r2 {
		if r != none {
			t.Fatalf("token %d of a 2×2 image has row %d, want none", i, r)
		}
	}
}

// TestStreamedForwardMatchesWholeSequence feeds a causal sequence through
// the KV cache one token at a time and compares every position's logits
// with one forward pass over the whole sequence, for both position layouts:
// the cache must carry each sequence's place in an open image.
func TestStreamedForwardMatchesWholeSequence(t *testing.T) {
	eachImageLayout(t, func(t *testing.T, cfg Config) {
		m, err := New(cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		// Make the 2-D tables matter: at initialisation they are small.
		if m.rowEmb != nil {
			for i := range m.rowEmb.Data {
				m.rowEmb.Data[i] *= 50
				m.colEmb.Data[i] *= 50
			}
		}
		b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
		s, _ := b.Build(nil, randomPair(core.NewRNG(4), cfg.ImageSide, 32, "rotate"), ModeNone)
		ref := fullLogits(m, s)
		c := m.NewCache(1)
		vs := cfg.Vocab.Size()
		for i := 0; i < s.Len(); i++ {
			got := m.Forward(c, s.Tokens[i:i+1], s.Seg[i:i+1], []int32{int32(i)}, 1, core.MaskCausal).Data
			if d := maxRelDiff(got, ref[i*vs:(i+1)*vs]); d > 1e-4 {
				t.Fatalf("position %d (%s): streamed logits differ by %g", i, cfg.Vocab.Name(s.Tokens[i]), d)
			}
		}
		if cfg.ImagePos2D {
			// The tables change the output: zeroing them moves the logits.
			for i := range m.rowEmb.Data {
				m.rowEmb.Data[i], m.colEmb.Data[i] = 0, 0
			}
			if d := maxRelDiff(fullLogits(m, s), ref); d < 1e-3 {
				t.Fatalf("2-D positions do not reach the logits (difference %g)", d)
			}
		}
	})
}

// TestAddImagePos2D checks that tables added to a trained model start at
// zero (the logits do not move) and that the model saves and loads with
// them, as a model made with the option from the start does.
func TestAddImagePos2D(t *testing.T) {
	cfg := testConfig()
	m, _ := New(cfg, 9)
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
	s, _ := b.Build(nil, randomPair(core.NewRNG(2), cfg.ImageSide, 32, "flip"), ModeNone)
	before := fullLogits(m, s)
	if err := m.AddImagePos2D(); err != nil {
		t.Fatal(err)
	}
	if err := m.AddImagePos2D(); err == nil {
		t.Fatal("adding the tables twice is not an error")
	}
	if d := maxRelDiff(fullLogits(m, s), before); d != 0 {
		t.Fatalf("zero tables moved the logits by %g", d)
	}
	for i := range m.rowEmb.Data {
		m.rowEmb.Data[i] = float32(i%7) * 0.1
	}
	want := fullLogits(m, s)
	path := filepath.Join(t.TempDir(), "m.ckpt")
	if err := (&Checkpoint{Model: m, Text: []byte("tok"), VQ: []byte("vq")}).Save(path, false); err != nil {
		t.Fatal(err)
	}
	ck, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !ck.Model.Cfg.ImagePos2D {
		t.Fatal("the loaded model lost ImagePos2D")
	}
	if d := maxRelDiff(fullLogits(ck.Model, s), want); d != 0 {
		t.Fatalf("loaded model's logits differ by %g", d)
	}
}
