package model

import (
	"fmt"

	"xprompt/core"
)

// Image positions: with Config.ImagePos2D, every token inside an image gets
// a learned row embedding and a learned column embedding added to its token
// embedding, so that a code can find "the code at the mirrored position" or
// "the code one row up" by content-free lookup. This is a deliberate,
// ablatable departure from Lumina-mGPT's purely 1-D layout: with 1-D RoPE
// alone a small model trained on this project's budget learns routing tasks
// (flips, rotations, moves) only very slowly, because a mirror is not a
// relative shift.
//
// The embedding of a token describes the grid cell it predicts: the <size>
// token (which predicts the code at row 0, column 0) gets cell 0; the token
// at flattened cell q of the (side+1)-wide grid (codes, then <eol> in column
// side) gets cell q+1; the last <eol>, which predicts <eoi>, gets cell
// side·(side+1), i.e. row side, column 0. Cell q is row q/(side+1), column
// q%(side+1). Tokens outside images (and <boi>, <eoi>) get row and column
// index side+1: a learned "not in an image" entry.

// imageState carries, per sequence of a batch, where the next token falls in
// the image being read: the cell it predicts, or −1 outside an image. A
// KV cache keeps it so that decoding one token at a time continues the grid.
type imageState []int32

func newImageState(b int) imageState { return resetImageState(make(imageState, b)) }

// stepImageState is newImageState drawn with core.Make: for one pass, from
// the step arena when training.
func stepImageState(b int) imageState { return resetImageState(core.Make[int32](b)) }

func resetImageState(s imageState) imageState {
	for i := range s {
		s[i] = -1
	}
	return s
}

// imagePositions returns the row and column table indices of the b×t tokens
// (flattened row-major) and advances st (len b) past them. side is the code
// grid side of the model's images; images of another side get the
// "not in an image" entry.
func (v Vocab) imagePositions(tokens []int32, st imageState, b, t, side int) (rows, cols []int32) {
	rows, cols = make([]int32, b*t), make([]int32, b*t)
	none := int32(side + 1)
	wide := side + 1
	last := side * wide // the cell of <eoi>, predicted by the last <eol>
	sizeTok, _ := v.SizeToken(side)
	boi, eoi := v.Tok(BOI), v.Tok(EOI)
	for i := 0; i < b; i++ {
		next := st[i]
		for j := 0; j < t; j++ {
			k := i*t + j
			tok := tokens[k]
			rows[k], cols[k] = none, none
			switch {
			case tok == boi:
				next = -2 // the <size> token comes next
			case next == -2:
				if tok == sizeTok {
					rows[k], cols[k] = 0, 0
					next = 1
				} else {
					next = -1 // another grid side: no 2-D positions
				}
			case tok == eoi:
				next = -1
			case next >= 1 && next <= int32(last):
				rows[k], cols[k] = next/int32(wide), next%int32(wide)
				next++
			default:
				next = -1
			}
		}
		st[i] = next
	}
	return rows, cols
}

// AddImagePos2D turns on Config.ImagePos2D for a model that was made
// without it, with both tables at zero: the model computes exactly what it
// did before, and training can then learn the 2-D positions (fine-tuning an
// existing model). It is an error when the model already has them.
func (m *Model) AddImagePos2D() error {
	if m.Cfg.ImagePos2D {
		return fmt.Errorf("model already has 2-D image positions")
	}
	m.Cfg.ImagePos2D = true
	n := m.Cfg.ImageSide + 2
	m.rowEmb = m.Params.Add("row_emb", core.Zeros(n, m.Cfg.D))
	m.colEmb = m.Params.Add("col_emb", core.Zeros(n, m.Cfg.D))
	return nil
}
