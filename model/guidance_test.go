package model

import (
	"context"
	"math"
	"strings"
	"testing"

	"xprompt/core"
)

// fullLogits returns the logits of every position of s from one forward
// pass over the whole sequence (no KV cache).
func fullLogits(m *Model, s *Sequence) []float32 {
	bt, _ := Collate([]*Sequence{s}, 10000, m.Cfg.Vocab.Tok(Pad))
	var lg *core.Tensor
	core.NoGrad(func() { lg = m.Logits(bt) })
	return lg.Data
}

// outputCodePositions returns the positions of the last n image-code tokens
// of s: the query's output image.
func outputCodePositions(v Vocab, s *Sequence, n int) []int {
	var idx []int
	for i, tok := range s.Tokens {
		if tok >= v.Code(0) && tok <= v.Code(int32(v.Codes-1)) {
			idx = append(idx, i)
		}
	}
	return idx[len(idx)-n:]
}

// sharpen scales a fresh model's embeddings so that its logits spread.
func sharpen(m *Model) {
	for i := range m.tokEmb.Data {
		m.tokEmb.Data[i] *= 4
	}
	for i := range m.xpEmb.Data {
		m.xpEmb.Data[i] *= 20
	}
}

// TestContextGuidance decodes with context guidance and compares with a
// reference that rebuilds both whole sequences (X-Prompt with the example,
// and the query alone) for every code, runs each in one forward pass
// without a cache, and takes the argmax of n + w·(c − n) over the codes.
// At initialisation the prompt moves the logits by about 0.005, so the scale
// is large enough for the guidance to change codes.
func TestContextGuidance(t *testing.T) { eachImageLayout(t, testContextGuidance) }

func testContextGuidance(t *testing.T, cfg Config) {
	m, _ := New(cfg, 5)
	sharpen(m)
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
	rng := core.NewRNG(8)
	const side, w = 4, 1000
	ex := randomPair(rng, side, 32, "flip")
	pre, _ := b.Prefix([]Pair{ex}, ModeXPrompt)
	cp, err := m.Compress(pre)
	if err != nil {
		t.Fatal(err)
	}
	qs := []Pair{randomPair(rng, side, 32, "flip"), randomPair(rng, side, 32, "flip it over please")}
	got, err := m.GenerateImages(context.Background(), b, cp, qs, side, SampleOptions{ContextGuidance: w})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := m.GenerateImages(context.Background(), b, cp, qs, side, SampleOptions{})
	v := cfg.Vocab.Size()
	differs := false
	for qi, q := range qs {
		q.Output = make([]int32, side*side)
		for k := range q.Output {
			sx, _ := b.Build([]Pair{ex}, q, ModeXPrompt)
			sn, _ := b.Build(nil, q, ModeNone)
			px := outputCodePositions(cfg.Vocab, sx, side*side)[k] - 1
			pn := outputCodePositions(cfg.Vocab, sn, side*side)[k] - 1
			lx, ln := fullLogits(m, sx)[px*v:], fullLogits(m, sn)[pn*v:]
			best, bestScore := int32(0), float32(0)
			for c := int32(0); c < int32(cfg.Vocab.Codes); c++ {
				id := cfg.Vocab.Code(c)
				score := ln[id] + w*(lx[id]-ln[id])
				if c == 0 || score > bestScore {
					best, bestScore = c, score
				}
			}
			q.Output[k] = best
		}
		for k := range q.Output {
			if got[qi][k] != q.Output[k] {
				t.Fatalf("query %d code %d: guided decoding chose %d, the reference %d", qi, k, got[qi][k], q.Output[k])
			}
			differs = differs || plain[qi][k] != got[qi][k]
		}
	}
	if !differs {
		t.Fatal("guidance scale 1000 changed no code: the guidance stream has no effect")
	}
	if _, err := m.GenerateImages(context.Background(), b, cp, qs, side, SampleOptions{CFG: 2, ContextGuidance: 2}); err == nil {
		t.Fatal("CFG and context guidance together: no error")
	}
}

func TestSampleOptionsValidate(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		o    SampleOptions
		want string // a word of the error, or "" for valid options
	}{
		{SampleOptions{}, ""},
		{SampleOptions{Temperature: 0.8, TopK: 5, TopP: 0.9, CFG: 2, Seed: 1}, ""},
		{SampleOptions{CFG: 1, ContextGuidance: 3}, ""},
		{SampleOptions{Temperature: -1}, "temperature"},
		{SampleOptions{Temperature: nan}, "temperature"},
		{SampleOptions{TopK: -2}, "top-k"},
		{SampleOptions{TopP: 1.5}, "top-p"},
		{SampleOptions{TopP: nan}, "top-p"},
		{SampleOptions{CFG: -2}, "CFG"},
		{SampleOptions{ContextGuidance: float32(math.Inf(1))}, "context guidance"},
		{SampleOptions{CFG: 2, ContextGuidance: 2}, "exclude"},
	} {
		err := c.o.Validate()
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: error %v, want one naming %q", c.o, err, c.want)
		}
	}
}

// TestContextGuidanceStream feeds a query's output tokens to the context
// guidance stream one by one and checks its logits after each against the
// whole no-context sequence run in one forward pass.
func TestContextGuidanceStream(t *testing.T) { eachImageLayout(t, testContextGuidanceStream) }

func testContextGuidanceStream(t *testing.T, cfg Config) {
	m, _ := New(cfg, 6)
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
	rng := core.NewRNG(9)
	q := randomPair(rng, 4, 32, "flip it")
	sn, _ := b.Build(nil, q, ModeNone)
	ref := fullLogits(m, sn)
	v := cfg.Vocab.Size()
	open := q
	open.Output = nil
	g, err := m.newGuidance(b, []Pair{open}, []int32{123}, SampleOptions{ContextGuidance: 2})
	if err != nil {
		t.Fatal(err)
	}
	at := outputCodePositions(cfg.Vocab, sn, 16)[0] - 2 // the <size> token follows <boi>
	for p := at; p < at+8; p++ {
		if p > at {
			g.advance(m, []int32{sn.Tokens[p]}, []int32{core.SegTD})
		}
		want := ref[p*v : (p+1)*v]
		if d := maxRelDiff(g.logits[0], want); d > 1e-4 {
			t.Fatalf("position %d: guidance logits differ from the full forward by %g", p, d)
		}
	}
}
