package train

import (
	"math/rand/v2"
	"testing"

	"xprompt/core"
	"xprompt/model"
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

func TestHideInstruction(t *testing.T) {
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ query, examples float64 }{{0, 0}, {1, 0}, {0, 1}} {
		dc := DefaultData()
		dc.CaptionWeight, dc.DifferenceWeight, dc.TextToImageWeight = 0, 0, 0
		dc.HideInstruction, dc.HideExampleInstruction = c.query, c.examples
		p, err := NewPipeline(dc, cfg, NewTextTokenizer(1, 512), patchCodec{4}, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		seqs, err := p.Sequences(rand.New(rand.NewPCG(3, 4)), 12)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range seqs {
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
