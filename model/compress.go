package model

import (
	"fmt"

	"xprompt/core"
)

// CompressedPrompt is an in-context prompt after compression: the KV cache of
// [BOS][XP] computed with the in-context examples present, with the examples'
// own entries dropped. Queries (TD) continue from it and see the examples
// only through the X-Prompt tokens. In the causal baseline nothing is dropped.
type CompressedPrompt struct {
	Mode Mode
	// Cache holds the kept keys and values (batch 1).
	Cache *KVCache
	// NextPos is the position of the first TD token.
	NextPos int32
	// FullBytes is the size of the cache before compression; Bytes after.
	FullBytes, Bytes int64
	// PrefixTokens is the number of tokens that were prefilled.
	PrefixTokens int
}

// Compress prefills the prefix [BOS][IE][XP] (from Builder.Prefix) and keeps
// only the BOS and XP entries of the cache (all entries for the causal and
// no-context modes, which have no X-Prompt tokens).
func (m *Model) Compress(prefix *Sequence) (*CompressedPrompt, error) {
	n := prefix.Len()
	if n == 0 {
		return nil, fmt.Errorf("model.Compress: empty prefix")
	}
	for _, s := range prefix.Seg {
		if s == core.SegTD {
			return nil, fmt.Errorf("model.Compress: the prefix holds TD tokens; build it with Builder.Prefix")
		}
	}
	pos := make([]int32, n)
	for i := range pos {
		pos[i] = int32(i)
	}
	c := m.NewCache(1)
	m.Forward(c, prefix.Tokens, prefix.Seg, pos, n, prefix.Mode.MaskKind())
	cp := &CompressedPrompt{Mode: prefix.Mode, NextPos: int32(n), FullBytes: c.Bytes(), PrefixTokens: n}
	if prefix.Mode == ModeXPrompt {
		var idx []int
		for i, s := range prefix.Seg {
			if s == core.SegBOS || s == core.SegXP {
				idx = append(idx, i)
			}
		}
		c = c.Keep(idx)
	}
	cp.Cache = c
	cp.Bytes = c.Bytes()
	return cp, nil
}

// Kept returns the number of tokens whose keys and values are kept.
func (cp *CompressedPrompt) Kept() int { return cp.Cache.Tk }

// String summarises the prompt's size.
func (cp *CompressedPrompt) String() string {
	return fmt.Sprintf("CompressedPrompt{%s: %d of %d tokens kept, %d → %d bytes (%.1f%%)}",
		cp.Mode, cp.Kept(), cp.PrefixTokens, cp.FullBytes, cp.Bytes, 100*float64(cp.Bytes)/float64(max(cp.FullBytes, 1)))
}
