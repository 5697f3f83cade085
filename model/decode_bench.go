package model

import (
	"fmt"
	"math"
	"sort"
	"time"

	"xprompt/core"
)

// DecodeBench is the outcome of BenchDecode.
type DecodeBench struct {
	Preset       string       `json:"preset"`
	PrefixTokens int          `json:"prefix_tokens"` // [BOS][IE][XP] prefilled by Compress
	Kept         int          `json:"kept"`          // entries left in the compressed cache
	NewTokens    int          `json:"new_tokens"`    // tokens decoded per sequence
	CompressMS   float64      `json:"compress_ms"`   // median latency of Compress
	Decode       []DecodeRate `json:"decode"`
}

// DecodeRate is the decoding speed for one batch size.
type DecodeRate struct {
	Batch      int     `json:"batch"`
	TokensPerS float64 `json:"tokens_per_s"`
}

// BenchDecode measures a fresh model of cfg (seed 1) the way the PyTorch
// decode peer does: Compress on a random prefix [BOS][IE][XP] of the
// training layout (IE = 40 % of SeqLen−1−XP), reps times (median), then
// newTokens greedy tokens, one at a time, for each batch size, every sequence
// continuing from the compressed prompt.
func BenchDecode(cfg Config, batches []int, newTokens, reps int) (DecodeBench, error) {
	m, err := New(cfg, 1)
	if err != nil {
		return DecodeBench{}, err
	}
	if newTokens <= 0 || reps <= 0 {
		return DecodeBench{}, fmt.Errorf("model.BenchDecode: %d tokens, %d repetitions (want positive)", newTokens, reps)
	}
	ie := (cfg.SeqLen - 1 - cfg.XP) * 2 / 5
	rng := core.NewRNG(2)
	prefix := &Sequence{Mode: ModeXPrompt}
	for i := 0; i < 1+ie+cfg.XP; i++ {
		tok, seg := int32(rng.IntN(cfg.Vocab.Size())), core.SegIE
		switch {
		case i == 0:
			seg = core.SegBOS
		case i > ie:
			tok, seg = int32(-1-(i-1-ie)), core.SegXP
		}
		prefix.Tokens = append(prefix.Tokens, tok)
		prefix.Seg = append(prefix.Seg, seg)
	}
	var cp *CompressedPrompt
	times := make([]float64, reps)
	for r := range times {
		start := time.Now()
		if cp, err = m.Compress(prefix); err != nil {
			return DecodeBench{}, err
		}
		times[r] = time.Since(start).Seconds()
	}
	sort.Float64s(times)
	res := DecodeBench{Preset: cfg.Preset, PrefixTokens: prefix.Len(), Kept: cp.Kept(), NewTokens: newTokens,
		CompressMS: times[reps/2] * 1e3}
	v := cfg.Vocab.Size()
	for _, b := range batches {
		c := cp.Cache.Repeat(b)
		toks, seg, pos := make([]int32, b), make([]int32, b), make([]int32, b)
		for i := range seg {
			seg[i] = core.SegTD
		}
		start := time.Now()
		for i := 0; i < newTokens; i++ {
			for j := range pos {
				pos[j] = cp.NextPos + int32(i)
			}
			logits := m.Forward(c, toks, seg, pos, 1, core.MaskXPrompt)
			for j := range toks { // greedy
				row := logits.Data[j*v : (j+1)*v]
				best := 0
				for k, x := range row {
					if x > row[best] {
						best = k
					}
				}
				toks[j] = int32(best)
			}
		}
		res.Decode = append(res.Decode, DecodeRate{Batch: b, TokensPerS: math.Round(100*float64(b*newTokens)/time.Since(start).Seconds()) / 100})
	}
	return res, nil
}
