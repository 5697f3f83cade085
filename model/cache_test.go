package model

import (
	"testing"

	"xprompt/core"
)

// TestCacheAppendsInPlace decodes two sequences as a batch on top of a
// prefilled cache and compares every step with whole-sequence passes; the
// buffers must grow by doubling (room left after some steps) while Bytes
// counts only the cached entries.
func TestCacheAppendsInPlace(t *testing.T) {
	cfg := Presets["tiny"]
	m, err := New(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
	var seqs [2]*Sequence
	for i, task := range []string{"rotate", "flip"} {
		seqs[i], _ = b.Build(nil, randomPair(core.NewRNG(uint64(10+i)), cfg.ImageSide, 32, task), ModeNone)
	}
	n := min(seqs[0].Len(), seqs[1].Len(), 40)
	refs := [2][]float32{fullLogits(m, seqs[0]), fullLogits(m, seqs[1])}
	vs := cfg.Vocab.Size()
	c := m.NewCache(2)
	const pre = 7
	var toks, seg, pos []int32
	for _, s := range seqs {
		toks = append(toks, s.Tokens[:pre]...)
		seg = append(seg, s.Seg[:pre]...)
		for i := 0; i < pre; i++ {
			pos = append(pos, int32(i))
		}
	}
	m.Forward(c, toks, seg, pos, pre, core.MaskCausal)
	if c.capacity() != pre {
		t.Fatalf("capacity after the prefill %d, want %d", c.capacity(), pre)
	}
	room := false
	for i := pre; i < n; i++ {
		toks = []int32{seqs[0].Tokens[i], seqs[1].Tokens[i]}
		seg = []int32{seqs[0].Seg[i], seqs[1].Seg[i]}
		got := m.Forward(c, toks, seg, []int32{int32(i), int32(i)}, 1, core.MaskCausal).Data
		for s := range seqs {
			if d := maxRelDiff(got[s*vs:(s+1)*vs], refs[s][i*vs:(i+1)*vs]); d > 1e-4 {
				t.Fatalf("sequence %d position %d: decoded logits differ by %g", s, i, d)
			}
		}
		room = room || c.capacity() > c.Tk
		if want := int64(2 * cfg.Layers * 2 * cfg.D * c.Tk * 4); c.Bytes() != want {
			t.Fatalf("Bytes %d with %d cached tokens, want %d", c.Bytes(), c.Tk, want)
		}
	}
	if !room || c.capacity() >= 2*n {
		t.Fatalf("capacity %d for %d tokens: want doubling growth (room seen: %v)", c.capacity(), c.Tk, room)
	}
}
