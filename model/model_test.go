package model

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"xprompt/core"
)

// byteCodec is a stand-in text codec for tests: one token per byte.
type byteCodec struct{}

func (byteCodec) Encode(s string) []int {
	out := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = int(s[i])
	}
	return out
}

func (byteCodec) Decode(ids []int) string {
	b := make([]byte, len(ids))
	for i, id := range ids {
		b[i] = byte(id)
	}
	return string(b)
}

func (byteCodec) VocabSize() int { return 256 }

func testConfig() Config {
	c := Presets["tiny"]
	c.D, c.Heads, c.Hidden, c.Layers = 32, 4, 64, 2
	c.Vocab = Vocab{TextSize: 256, Codes: 32}
	c.ImageSide = 4
	return c
}

func randomPair(rng *core.RNG, side, codes int, instr string) Pair {
	in, out := make([]int32, side*side), make([]int32, side*side)
	for i := range in {
		in[i] = int32(rng.IntN(codes))
		out[i] = int32(rng.IntN(codes))
	}
	return Pair{Instruction: instr, Input: in, Output: out, Side: side}
}

func TestBuilderLayout(t *testing.T) {
	cfg := testConfig()
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: 3, ExampleWeight: 0.5}
	rng := core.NewRNG(1)
	ex := randomPair(rng, 4, 32, "flip")
	q := randomPair(rng, 4, 32, "flip")
	s, err := b.Build([]Pair{ex, ex}, q, ModeXPrompt)
	if err != nil {
		t.Fatal(err)
	}
	pairLen := 1 + 4 + 1 + ImageTokens(4) + 1 + ImageTokens(4) + 1 // <inst> text <in> img <out> img <eos>
	if got, want := s.Count(core.SegIE), 2*pairLen; got != want {
		t.Fatalf("IE has %d tokens, want %d", got, want)
	}
	if got := s.Count(core.SegXP); got != 3 {
		t.Fatalf("XP has %d tokens, want 3", got)
	}
	if got := s.Count(core.SegTD); got != pairLen {
		t.Fatalf("TD has %d tokens, want %d", got, pairLen)
	}
	if s.Tokens[s.TargetStart] != cfg.Vocab.Tok(BOI) {
		t.Fatalf("TargetStart points at %s, want <boi>", cfg.Vocab.Name(s.Tokens[s.TargetStart]))
	}
	// Every target is the next token, with the TD weight 1 and IE weight 0.5.
	nTD := 0
	for i, tg := range s.Targets {
		if tg == IgnoreTarget {
			continue
		}
		if tg != s.Tokens[i+1] {
			t.Fatalf("target at %d is %d, next token %d", i, tg, s.Tokens[i+1])
		}
		want := float32(0.5)
		if s.Seg[i] == core.SegTD {
			want = 1
			nTD++
		}
		if s.Weights[i] != want {
			t.Fatalf("weight at %d (segment %s) = %g, want %g", i, core.SegmentName(s.Seg[i]), s.Weights[i], want)
		}
	}
	if want := ImageTokens(4) - 1 + 1; nTD != want { // after <boi>: size, rows, eois, then <eos>
		t.Fatalf("TD has %d target tokens, want %d", nTD, want)
	}
	none, _ := b.Build([]Pair{ex}, q, ModeNone)
	if none.Count(core.SegIE) != 0 || none.Count(core.SegXP) != 0 {
		t.Fatal("no-context sequence holds IE or XP tokens")
	}
	causal, _ := b.Build([]Pair{ex}, q, ModeCausal)
	if causal.Count(core.SegXP) != 0 || causal.Mask().Kind != core.MaskCausal {
		t.Fatal("causal sequence must have no XP tokens and a causal mask")
	}
	if _, err := b.Build(nil, Pair{Instruction: "x", Input: []int32{1, 2, 3}, Output: []int32{1}, Side: 2}, ModeNone); err == nil {
		t.Fatal("a 3-code input for a 2×2 grid was accepted")
	}
}

// maxRelDiff returns max |a−b| / (1 + |b|).
func maxRelDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i]))/(1+math.Abs(float64(b[i]))))
	}
	return m
}

// tdLogitsFull returns the full masked forward's logits at TD positions.
func tdLogitsFull(m *Model, s *Sequence) []float32 {
	bt, _ := Collate([]*Sequence{s}, 10000, m.Cfg.Vocab.Tok(Pad))
	var lg *core.Tensor
	core.NoGrad(func() { lg = m.Logits(bt) })
	v := m.Cfg.Vocab.Size()
	var out []float32
	for i, sg := range s.Seg {
		if sg == core.SegTD {
			out = append(out, lg.Data[i*v:(i+1)*v]...)
		}
	}
	return out
}

// tdLogitsCompressed runs the TD part of s on top of a compressed prompt.
func tdLogitsCompressed(m *Model, cp *CompressedPrompt, s *Sequence) []float32 {
	var toks, seg, pos []int32
	p := cp.NextPos
	for i, sg := range s.Seg {
		if sg == core.SegTD {
			toks = append(toks, s.Tokens[i])
			seg = append(seg, sg)
			pos = append(pos, p)
			p++
		}
	}
	c := cp.Cache.Repeat(1)
	return m.Forward(c, toks, seg, pos, len(toks), core.MaskXPrompt).Data
}

func TestCompressionEquivalence(t *testing.T) { eachImageLayout(t, testCompressionEquivalence) }

func testCompressionEquivalence(t *testing.T, cfg Config) {
	m, err := New(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
	rng := core.NewRNG(3)
	for trial := 0; trial < 3; trial++ {
		exs := []Pair{randomPair(rng, 4, 32, "derain"), randomPair(rng, 4, 32, "derain")}[:1+trial%2]
		q := randomPair(rng, 4, 32, "derain")
		full, _ := b.Build(exs, q, ModeXPrompt)
		prefix, _ := b.Prefix(exs, ModeXPrompt)
		cp, err := m.Compress(prefix)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Kept() != 1+cfg.XP {
			t.Fatalf("compressed prompt keeps %d tokens, want BOS + %d XP", cp.Kept(), cfg.XP)
		}
		if cp.Bytes >= cp.FullBytes {
			t.Fatalf("compression did not shrink the cache: %d → %d bytes", cp.FullBytes, cp.Bytes)
		}
		a, c := tdLogitsFull(m, full), tdLogitsCompressed(m, cp, full)
		if d := maxRelDiff(c, a); d > 1e-5 {
			t.Fatalf("trial %d: compressed TD logits differ from the masked full forward by %g", trial, d)
		}
	}
}

func TestTDSeesExamplesOnlyThroughXP(t *testing.T) {
	cfg := testConfig()
	m, _ := New(cfg, 11)
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
	rng := core.NewRNG(5)
	ex1, ex2 := randomPair(rng, 4, 32, "recolour"), randomPair(rng, 4, 32, "recolour")
	q := randomPair(rng, 4, 32, "recolour")
	s1, _ := b.Build([]Pair{ex1}, q, ModeXPrompt)
	s2, _ := b.Build([]Pair{ex2}, q, ModeXPrompt)
	p1, _ := b.Prefix([]Pair{ex1}, ModeXPrompt)
	cp1, _ := m.Compress(p1)
	// Holding the XP cache of example 1 fixed, TD logits are those of the
	// sequence with example 1, whatever IE the query's sequence had…
	fixed := tdLogitsCompressed(m, cp1, s2)
	if d := maxRelDiff(fixed, tdLogitsFull(m, s1)); d > 1e-5 {
		t.Fatalf("TD logits with a fixed XP cache changed with IE: %g", d)
	}
	// …while a different example, through its own XP cache, changes them.
	if d := maxRelDiff(tdLogitsFull(m, s2), tdLogitsFull(m, s1)); d < 1e-6 {
		t.Fatalf("TD logits do not depend on the in-context example at all (diff %g)", d)
	}
}

func TestLossGradientsAndShapes(t *testing.T) {
	cfg := testConfig()
	m, _ := New(cfg, 1)
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP, ExampleWeight: 1}
	rng := core.NewRNG(9)
	var seqs []*Sequence
	for i := 0; i < 3; i++ {
		s, _ := b.Build([]Pair{randomPair(rng, 4, 32, "x")}, randomPair(rng, 4, 32, "x"), ModeXPrompt)
		seqs = append(seqs, s)
	}
	bt, err := Collate(seqs, cfg.SeqLen, cfg.Vocab.Tok(Pad))
	if err != nil {
		t.Fatal(err)
	}
	loss := m.Loss(bt)
	// An untrained model predicts nearly uniformly: loss ≈ log V.
	if l, want := float64(loss.Item()), math.Log(float64(cfg.Vocab.Size())); math.Abs(l-want) > 0.5 {
		t.Fatalf("initial loss %g, want ≈ log V = %g", l, want)
	}
	loss.Backward()
	for _, p := range m.Params.List() {
		if p.Grad() == nil {
			t.Fatalf("parameter %s got no gradient", p.Name())
		}
	}
	if _, err := Collate(seqs, 10, 0); err == nil {
		t.Fatal("Collate accepted sequences longer than the limit")
	}
}

func TestAttentionMapsRespectTheMask(t *testing.T) {
	cfg := testConfig()
	m, _ := New(cfg, 5)
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
	rng := core.NewRNG(2)
	s, _ := b.Build([]Pair{randomPair(rng, 4, 32, "x")}, randomPair(rng, 4, 32, "x"), ModeXPrompt)
	maps := m.AttentionMaps(s, 1)
	w := maps[1]
	if w == nil || w.Dim(0) != cfg.Heads || w.Dim(1) != s.Len() {
		t.Fatalf("attention map of layer 1: %v", w)
	}
	n := s.Len()
	for h := 0; h < cfg.Heads; h++ {
		for i := 0; i < n; i++ {
			var sum float64
			for j := 0; j < n; j++ {
				p := w.Data[(h*n+i)*n+j]
				if p != 0 && (j > i || (s.Seg[i] == core.SegTD && s.Seg[j] == core.SegIE)) {
					t.Fatalf("head %d: query %d attends to masked key %d (p=%g)", h, i, j, p)
				}
				sum += float64(p)
			}
			if math.Abs(sum-1) > 1e-4 {
				t.Fatalf("head %d row %d sums to %g", h, i, sum)
			}
		}
	}
}

// TestAttentionMapsWhileShared draws attention maps of one sequence while
// other goroutines run a longer sequence through the same model: the maps
// and the logits must equal those computed alone (the attention tap belongs
// to one forward pass, not to the model).
func TestAttentionMapsWhileShared(t *testing.T) {
	cfg := testConfig()
	m, _ := New(cfg, 5)
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP}
	rng := core.NewRNG(4)
	short, _ := b.Build(nil, randomPair(rng, 4, 32, "x"), ModeNone)
	long, _ := b.Build([]Pair{randomPair(rng, 4, 32, "y")}, randomPair(rng, 4, 32, "y"), ModeXPrompt)
	wantMaps := m.AttentionMaps(short)
	wantLogits := tdLogitsFull(m, long)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 2; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				got := m.AttentionMaps(short)
				for l, w := range wantMaps {
					if got[l] == nil || len(got[l].Data) != len(w.Data) || maxRelDiff(got[l].Data, w.Data) != 0 {
						errs <- fmt.Sprintf("layer %d: attention map changed while the model was shared", l)
						return
					}
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				if d := maxRelDiff(tdLogitsFull(m, long), wantLogits); d != 0 {
					errs <- fmt.Sprintf("logits changed by %g while attention maps were drawn", d)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestInferenceBesideTraining computes the loss gradient of one model while
// other goroutines decode with it (Forward, AttentionMaps): inference builds
// no graph and switches nothing process-wide, so every gradient equals the
// one computed alone.
func TestInferenceBesideTraining(t *testing.T) {
	for _, pos2D := range []bool{false, true} {
		cfg := testConfig()
		cfg.ImagePos2D = pos2D
		t.Run(fmt.Sprintf("ImagePos2D=%v", pos2D), func(t *testing.T) { inferenceBesideTraining(t, cfg) })
	}
}

func inferenceBesideTraining(t *testing.T, cfg Config) {
	m, err := New(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: cfg.XP, ExampleWeight: 1}
	rng := core.NewRNG(11)
	s, _ := b.Build([]Pair{randomPair(rng, 4, 32, "x")}, randomPair(rng, 4, 32, "x"), ModeXPrompt)
	bt, _ := Collate([]*Sequence{s}, cfg.SeqLen, cfg.Vocab.Tok(Pad))
	grads := func() [][]float32 {
		for _, p := range m.Params.List() {
			p.ZeroGrad()
		}
		m.Loss(bt).Backward()
		var out [][]float32
		for _, p := range m.Params.List() {
			out = append(out, append([]float32(nil), p.Grad().Data...))
		}
		return out
	}
	want := grads()
	pos := make([]int32, s.Len())
	for i := range pos {
		pos[i] = int32(i)
	}
	if lg := m.Forward(m.NewCache(1), s.Tokens, s.Seg, pos, s.Len(), s.Mode.MaskKind()); lg.RequiresGrad() {
		t.Fatal("Forward recorded a graph")
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				m.Forward(m.NewCache(1), s.Tokens, s.Seg, pos, s.Len(), s.Mode.MaskKind())
				m.AttentionMaps(s, 0)
			}
		}()
	}
	for i := 0; i < 4; i++ {
		got := grads()
		for j, p := range m.Params.List() {
			if d := maxRelDiff(got[j], want[j]); d > 1e-6 {
				t.Errorf("round %d: gradient of %s differs by %g while another goroutine decodes", i, p.Name(), d)
			}
		}
	}
	close(stop)
	wg.Wait()
}
