package model

import (
	"fmt"
	"math"

	"xprompt/core"
	"xprompt/ops"
)

// block is one pre-norm transformer layer: x + attention(RMSNorm(x)), then
// x + mlp(RMSNorm(x)).
type block struct {
	norm1 *core.Tensor // (D)
	wqkv  *core.Tensor // (3D, D)
	wo    *core.Tensor // (D, D)
	norm2 *core.Tensor // (D)
	w12   *core.Tensor // (2·Hidden, D): gate and value halves
	w3    *core.Tensor // (D, Hidden)
}

// attentionTap receives each layer's queries and keys (B, H, T, hd) after
// RoPE and the mask they attend under (for attention maps).
type attentionTap func(layer int, q, k *core.Tensor, mask *core.Mask)

// pass is what the blocks of one forward pass share: B sequences of T new
// tokens at positions pos (B·T) under mask; cache, when set, holds the keys
// and values of earlier tokens and receives the new ones; tap, when set,
// sees every layer's queries and keys.
type pass struct {
	cfg   Config
	b, t  int
	pos   []int32
	mask  *core.Mask
	cache *KVCache
	tap   attentionTap
}

// attention is multi-head self-attention on normalised inputs h (B·T, D):
// queries, keys and values rotated by RoPE, attended under the pass's mask
// (fused, no T×T buffer; ops/attention_ref.go is the readable version), and
// projected back to (B·T, D).
func (blk *block) attention(layer int, h *core.Tensor, p *pass) *core.Tensor {
	b, t, d, nh := p.b, p.t, p.cfg.D, p.cfg.Heads
	qkv := ops.Linear(h, blk.wqkv) // (B·T, 3D)
	if p.cache == nil && p.tap == nil {
		// one node from qkv to the merged heads (B·T, D): its backward
		// writes the gradient of qkv in one pass
		return ops.Linear(ops.AttentionQKV(qkv, b, t, nh, p.pos, p.cfg.RopeBase, p.mask, 0), blk.wo)
	}
	// q, k, v (B, H, T, hd), q and k rotated by RoPE
	q, k, v := ops.SplitHeadsRoPE(qkv, b, t, nh, p.pos, p.cfg.RopeBase)
	if p.cache != nil {
		k, v = p.cache.append(layer, k, v) // (B, H, Tk+T, hd)
	}
	if p.tap != nil {
		p.tap(layer, q, k, p.mask)
	}
	y := ops.Attention(q, k, v, p.mask, 0)              // (B, H, T, hd)
	y = ops.Reshape(ops.Permute(y, 0, 2, 1, 3), b*t, d) // (B·T, D)
	return ops.Linear(y, blk.wo)                        // (B·T, D)
}

// mlp is the SwiGLU feed-forward on normalised inputs h (B·T, D):
// w3·(silu(gate)⊙value), gate and value the halves of w12·h (B·T, Hidden).
func (blk *block) mlp(h *core.Tensor) *core.Tensor {
	return ops.Linear(ops.SwiGLU(ops.Linear(h, blk.w12)), blk.w3) // (B·T, D)
}

// forward takes the residual stream x (B·T, D) and h = RMSNorm(x, norm1),
// and returns x' = x + attention(h), then + mlp(RMSNorm(x', norm2)), with
// its value normalised by next (the next block's norm1, or the final norm):
// each residual add and the norm after it are one AddRMSNorm.
func (blk *block) forward(layer int, x, h, next *core.Tensor, p *pass) (*core.Tensor, *core.Tensor) {
	x, h = ops.AddRMSNorm(x, blk.attention(layer, h, p), blk.norm2, p.cfg.NormEps)
	return ops.AddRMSNorm(x, blk.mlp(h), next, p.cfg.NormEps)
}

// Model is the decoder-only X-Prompt transformer: token and X-Prompt
// embeddings, Layers pre-norm blocks (RMSNorm → attention with RoPE →
// residual; RMSNorm → SwiGLU MLP → residual), a final RMSNorm and the tied
// output projection.
type Model struct {
	Cfg    Config
	Params *core.Params

	tokEmb *core.Tensor // (V, D)
	xpEmb  *core.Tensor // (XP, D)
	// rowEmb and colEmb (ImageSide+2, D) are the learned image positions of
	// Config.ImagePos2D (imagepos.go); nil without it.
	rowEmb, colEmb *core.Tensor
	layers         []block
	normF          *core.Tensor // (D)
}

// New returns a freshly initialised model: embeddings and projections
// N(0, 0.02), residual output projections scaled by 1/√(2·Layers), norms 1.
func New(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rng := core.NewRNG(seed)
	p := core.NewParams()
	m := &Model{Cfg: cfg, Params: p}
	const std = 0.02
	resid := std / math.Sqrt(2*float64(cfg.Layers))
	d, h := cfg.D, cfg.Hidden
	m.tokEmb = p.Add("tok_emb", rng.Randn(std, cfg.Vocab.Size(), d))
	m.xpEmb = p.Add("xp_emb", rng.Randn(std, max(cfg.XP, 1), d))
	for l := 0; l < cfg.Layers; l++ {
		pre := fmt.Sprintf("layer%d.", l)
		m.layers = append(m.layers, block{
			norm1: p.Add(pre+"norm1", core.Ones(d)),
			wqkv:  p.Add(pre+"wqkv", rng.Randn(std, 3*d, d)),
			wo:    p.Add(pre+"wo", rng.Randn(resid, d, d)),
			norm2: p.Add(pre+"norm2", core.Ones(d)),
			w12:   p.Add(pre+"w12", rng.Randn(std, 2*h, d)),
			w3:    p.Add(pre+"w3", rng.Randn(resid, d, h)),
		})
	}
	m.normF = p.Add("norm_f", core.Ones(d))
	if cfg.ImagePos2D { // registered last, as AddImagePos2D adds them
		m.rowEmb = p.Add("row_emb", rng.Randn(std, cfg.ImageSide+2, d))
		m.colEmb = p.Add("col_emb", rng.Randn(std, cfg.ImageSide+2, d))
	}
	return m, nil
}

// frozen returns a copy of m whose parameters are detached views of m's
// (the same storage, no gradient): operators on them record no graph, so
// inference needs no process-wide switch (core.NoGrad) and may run while
// another goroutine trains the same model. Every parameter field of Model
// and block is detached here.
func (m *Model) frozen() *Model {
	f := *m
	f.tokEmb, f.xpEmb, f.normF = m.tokEmb.Detach(), m.xpEmb.Detach(), m.normF.Detach()
	if m.rowEmb != nil {
		f.rowEmb, f.colEmb = m.rowEmb.Detach(), m.colEmb.Detach()
	}
	f.layers = make([]block, len(m.layers))
	for i, b := range m.layers {
		f.layers[i] = block{norm1: b.norm1.Detach(), wqkv: b.wqkv.Detach(), wo: b.wo.Detach(),
			norm2: b.norm2.Detach(), w12: b.w12.Detach(), w3: b.w3.Detach()}
	}
	return &f
}

// embed returns the input embeddings (B·T, D) of bsz×t tokens, X-Prompt
// slots included, with the image positions of Config.ImagePos2D added (st
// carries each sequence's place in an open image across calls).
func (m *Model) embed(tokens []int32, st imageState, bsz, t int) *core.Tensor {
	v := int32(m.Cfg.Vocab.Size())
	ids := core.Make[int32](len(tokens)) // from the step arena when training
	for i, t := range tokens {
		switch {
		case t >= 0 && t < v:
			ids[i] = t
		case t < 0 && int(-1-t) < m.Cfg.XP:
			ids[i] = v + (-1 - t)
		default:
			panic(fmt.Sprintf("model: token %d at position %d outside the vocabulary (size %d, %d X-Prompt slots)", t, i, v, m.Cfg.XP))
		}
	}
	table := ops.Concat(0, m.tokEmb, m.xpEmb)
	x := ops.Gather(table, ids)
	if m.rowEmb == nil {
		return x
	}
	rows, cols := m.Cfg.Vocab.imagePositions(tokens, st, bsz, t, m.Cfg.ImageSide)
	return ops.Add(x, ops.Add(ops.Gather(m.rowEmb, rows), ops.Gather(m.colEmb, cols)))
}

// hidden runs the blocks over B sequences of T tokens and returns the final
// normalised hidden states (B·T, D). With a cache, keys and values of
// earlier tokens are prepended and the new ones appended to it; tap, when
// not nil, sees every layer's queries and keys.
func (m *Model) hidden(tokens, seg, pos []int32, bsz, t int, kind core.MaskKind, cache *KVCache, tap attentionTap) *core.Tensor {
	cfg := m.Cfg
	st := stepImageState(bsz)
	if cache != nil {
		st = cache.image(bsz)
	}
	x := m.embed(tokens, st, bsz, t) // (B·T, D)
	if pos == nil {
		pos = core.Make[int32](bsz * t)
		for b := 0; b < bsz; b++ {
			for i := 0; i < t; i++ {
				pos[b*t+i] = int32(i)
			}
		}
	}
	mask := core.Alloc[core.Mask]()
	*mask = core.Mask{Kind: kind, QSeg: seg, KSeg: seg, QPos: pos, KPos: pos}
	if cache != nil {
		mask = cache.extendMask(kind, seg, pos, bsz, t)
	}
	p := core.Alloc[pass]()
	*p = pass{cfg: cfg, b: bsz, t: t, pos: pos, mask: mask, cache: cache, tap: tap}
	if len(m.layers) == 0 {
		return ops.RMSNorm(x, m.normF, cfg.NormEps)
	}
	h := ops.RMSNorm(x, m.layers[0].norm1, cfg.NormEps)
	for l, blk := range m.layers {
		next := m.normF
		if l+1 < len(m.layers) {
			next = m.layers[l+1].norm1
		}
		x, h = blk.forward(l, x, h, next, p)
	}
	if cache != nil {
		cache.commit(seg, pos, bsz, t)
	}
	return h
}

// logits projects hidden states onto the vocabulary with the tied embedding.
func (m *Model) logits(h *core.Tensor) *core.Tensor { return ops.Linear(h, m.tokEmb) }

// Logits returns the logits (B·T, V) of every position of the batch.
func (m *Model) Logits(b *Batch) *core.Tensor {
	return m.logits(m.hidden(b.Tokens, b.Seg, b.Pos, b.B, b.T, b.Kind, nil, nil))
}

// Loss returns the weighted mean next-token cross-entropy over the batch's
// target positions (the unified loss over image and text targets). Only
// target rows go through the output projection, in row chunks (no logits
// matrix is kept for the backward pass).
func (m *Model) Loss(b *Batch) *core.Tensor {
	h := m.hidden(b.Tokens, b.Seg, b.Pos, b.B, b.T, b.Kind, nil, nil)
	n := 0
	for i, t := range b.Targets {
		if t != IgnoreTarget && b.Weights[i] > 0 {
			n++
		}
	}
	rows, targets, weights := core.Make[int32](n)[:0], core.Make[int32](n)[:0], core.Make[float32](n)[:0]
	for i, t := range b.Targets {
		if t != IgnoreTarget && b.Weights[i] > 0 {
			rows = append(rows, int32(i))
			targets = append(targets, t)
			weights = append(weights, b.Weights[i])
		}
	}
	if len(rows) == 0 {
		panic("model.Loss: batch has no target tokens")
	}
	if len(rows) < len(b.Targets) {
		h = ops.Gather(h, rows)
	}
	return ops.LinearCrossEntropy(h, m.tokEmb, targets, weights)
}

// AttentionMaps runs the sequence through the model (no graph) and
// returns the attention probabilities (H, T, T) of the requested layers
// (all layers when none are given). This is the only place a T×T buffer is
// made, for display.
func (m *Model) AttentionMaps(s *Sequence, layers ...int) map[int]*core.Tensor {
	want := map[int]bool{}
	for _, l := range layers {
		if l < 0 || l >= m.Cfg.Layers {
			panic(fmt.Sprintf("model.AttentionMaps: layer %d outside [0,%d)", l, m.Cfg.Layers))
		}
		want[l] = true
	}
	out := map[int]*core.Tensor{}
	tap := func(l int, q, k *core.Tensor, mask *core.Mask) {
		if len(want) == 0 || want[l] {
			w := ops.AttentionWeights(q, k, mask, 0) // (1, H, T, T)
			out[l] = w.View(w.Dim(1), w.Dim(2), w.Dim(3))
		}
	}
	m.frozen().hidden(s.Tokens, s.Seg, nil, 1, s.Len(), s.Mode.MaskKind(), nil, tap)
	return out
}
