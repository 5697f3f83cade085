package model

import (
	"context"
	"fmt"
	"math"
	"sort"

	"xprompt/core"
)

// SampleOptions controls decoding. The zero value decodes greedily.
type SampleOptions struct {
	Temperature float32 // 0: greedy (argmax)
	TopK        int     // keep the K most likely tokens (0: all)
	TopP        float32 // keep the smallest set with probability ≥ P (0 or 1: all)
	// CFG is the classifier-free guidance scale: logits = u + CFG·(c − u),
	// where u comes from the sequence from the last <boi> only. 0 or 1: off.
	CFG float32
	// ContextGuidance is the scale of guidance by the in-context prompt:
	// logits = n + w·(c − n), where n comes from the same query with no
	// prompt ([BOS][TD], ModeNone), so w > 1 strengthens what the examples
	// change. 0 or 1: off; it excludes CFG.
	ContextGuidance float32
	Seed            uint64
}

// Validate reports options no decoder can use, naming the field: a
// negative or non-finite temperature or guidance scale, a negative top-k, a
// top-p outside [0, 1], or CFG and context guidance together.
func (o SampleOptions) Validate() error {
	finite := func(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
	switch {
	case !finite(o.Temperature) || o.Temperature < 0:
		return fmt.Errorf("sampling: temperature %g: want a finite value ≥ 0", o.Temperature)
	case o.TopK < 0:
		return fmt.Errorf("sampling: top-k %d: want K ≥ 0", o.TopK)
	case !(o.TopP >= 0 && o.TopP <= 1):
		return fmt.Errorf("sampling: top-p %g: want a probability in [0, 1]", o.TopP)
	case !finite(o.CFG) || o.CFG < 0:
		return fmt.Errorf("sampling: CFG scale %g: want a finite value ≥ 0", o.CFG)
	case !finite(o.ContextGuidance) || o.ContextGuidance < 0:
		return fmt.Errorf("sampling: context guidance scale %g: want a finite value ≥ 0", o.ContextGuidance)
	case o.CFG != 0 && o.CFG != 1 && o.ContextGuidance != 0 && o.ContextGuidance != 1:
		return fmt.Errorf("sampling: CFG %g and context guidance %g exclude each other", o.CFG, o.ContextGuidance)
	}
	return nil
}

// guidance is the second decoding stream of classifier-free or context
// guidance: its cache, the logits of its last token and the positions of
// its next tokens.
type guidance struct {
	cache  *KVCache
	logits [][]float32
	next   []int32
	kind   core.MaskKind
	scale  float32
	mixed  []float32
}

// newGuidance starts the guidance stream o asks for (nil when none) for
// queries whose conditional stream continues at positions next; o has
// passed Validate.
func (m *Model) newGuidance(b *Builder, queries []Pair, next []int32, o SampleOptions) (*guidance, error) {
	cfg, ctxg := o.CFG != 0 && o.CFG != 1, o.ContextGuidance != 0 && o.ContextGuidance != 1
	nb, v := len(queries), m.Cfg.Vocab.Size()
	switch {
	case cfg:
		g := &guidance{cache: m.NewCache(nb), next: append([]int32(nil), next...), kind: core.MaskCausal, scale: o.CFG}
		ut, us, up := make([]int32, nb), make([]int32, nb), make([]int32, nb)
		for i := range ut {
			ut[i], us[i], up[i] = b.Vocab.Tok(BOI), core.SegTD, next[i]-1
		}
		g.logits = lastRows(m.Forward(g.cache, ut, us, up, 1, g.kind), nb, 1, v)
		return g, nil
	case ctxg:
		pre, err := b.Prefix(nil, ModeNone)
		if err != nil {
			return nil, err
		}
		none, err := m.Compress(pre)
		if err != nil {
			return nil, err
		}
		g := &guidance{kind: ModeNone.MaskKind(), scale: o.ContextGuidance}
		if g.cache, g.logits, g.next, err = m.prefillQueries(b, none, queries); err != nil {
			return nil, err
		}
		return g, nil
	}
	return nil, nil
}

// mix returns u + scale·(c − u) for query i, u being the guidance logits.
func (g *guidance) mix(i int, c []float32) []float32 {
	u := g.logits[i]
	if len(g.mixed) != len(c) {
		g.mixed = make([]float32, len(c))
	}
	for j := range c {
		g.mixed[j] = u[j] + g.scale*(c[j]-u[j])
	}
	return g.mixed
}

// advance feeds the batch's chosen tokens to the guidance stream.
func (g *guidance) advance(m *Model, step, seg []int32) {
	g.logits = lastRows(m.Forward(g.cache, step, seg, g.next, 1, g.kind), len(step), 1, m.Cfg.Vocab.Size())
	for i := range g.next {
		g.next[i]++
	}
}

// pick chooses a token among ids with the given logits.
func pick(logits []float32, ids []int32, o SampleOptions, rng *core.RNG) int32 {
	if o.Temperature <= 0 {
		best := 0
		for i := range ids {
			if logits[ids[i]] > logits[ids[best]] {
				best = i
			}
		}
		return ids[best]
	}
	type cand struct {
		id int32
		p  float64
	}
	cs := make([]cand, len(ids))
	mx := math.Inf(-1)
	for i, id := range ids {
		cs[i] = cand{id, float64(logits[id]) / float64(o.Temperature)}
		mx = math.Max(mx, cs[i].p)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].p > cs[j].p })
	if o.TopK > 0 && o.TopK < len(cs) {
		cs = cs[:o.TopK]
	}
	var sum float64
	for i := range cs {
		cs[i].p = math.Exp(cs[i].p - mx)
		sum += cs[i].p
	}
	if o.TopP > 0 && o.TopP < 1 {
		acc := 0.0
		for i := range cs {
			acc += cs[i].p / sum
			if acc >= float64(o.TopP) {
				cs = cs[:i+1]
				break
			}
		}
		sum = 0
		for _, c := range cs {
			sum += c.p
		}
	}
	r := rng.Float64() * sum
	for _, c := range cs {
		r -= c.p
		if r <= 0 {
			return c.id
		}
	}
	return cs[len(cs)-1].id
}

// queryTokens lays out the open TD part of each query (ending in <boi> or
// <txt>), left-padded to a common length, with positions continuing from
// start.
func queryTokens(b *Builder, queries []Pair, start int32) (toks, seg, pos []int32, t int, err error) {
	var parts [][]int32
	for i, q := range queries {
		q.Output, q.OutputText = nil, ""
		s := &Sequence{}
		if err := b.AppendQuery(s, q); err != nil {
			return nil, nil, nil, 0, fmt.Errorf("query %d: %w", i, err)
		}
		parts = append(parts, s.Tokens)
		t = max(t, s.Len())
	}
	pad := b.Vocab.Tok(Pad)
	for _, p := range parts {
		n := len(p)
		for i := 0; i < t-n; i++ {
			toks, seg, pos = append(toks, pad), append(seg, core.SegPad), append(pos, 0)
		}
		for i, tok := range p {
			toks, seg, pos = append(toks, tok), append(seg, core.SegTD), append(pos, start+int32(i))
		}
	}
	return toks, seg, pos, t, nil
}

// lastRows returns the logits of the last position of each of b sequences.
func lastRows(logits *core.Tensor, b, t, v int) [][]float32 {
	out := make([][]float32, b)
	data := logits.HostData()
	for i := range out {
		out[i] = data[((i+1)*t-1)*v : (i+1)*t*v]
	}
	return out
}

// prefillQueries runs the open TD part of every query on top of the prompt
// and returns the batch's cache, the logits of each query's last token and
// the position of each query's next token.
func (m *Model) prefillQueries(b *Builder, cp *CompressedPrompt, queries []Pair) (*KVCache, [][]float32, []int32, error) {
	toks, seg, pos, t, err := queryTokens(b, queries, cp.NextPos)
	if err != nil {
		return nil, nil, nil, err
	}
	nb := len(queries)
	cache := cp.Cache.Repeat(nb)
	cond := lastRows(m.Forward(cache, toks, seg, pos, t, cp.Mode.MaskKind()), nb, t, m.Cfg.Vocab.Size())
	next := make([]int32, nb)
	for i := range next {
		next[i] = pos[(i+1)*t-1] + 1
	}
	return cache, cond, next, nil
}

// GenerateImages decodes one image of side×side codes for each query,
// continuing from the prompt cp (batched, with a KV cache). Decoding is
// constrained: after <boi> comes the size token, then rows of image codes
// each closed by <eol>, then <eoi>; only code tokens are ever sampled.
func (m *Model) GenerateImages(ctx context.Context, b *Builder, cp *CompressedPrompt, queries []Pair, side int, o SampleOptions) ([][]int32, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if len(queries) == 0 {
		return nil, nil
	}
	sz, err := b.Vocab.SizeToken(side)
	if err != nil {
		return nil, err
	}
	cache, cond, next, err := m.prefillQueries(b, cp, queries)
	if err != nil {
		return nil, err
	}
	nb, v := len(queries), m.Cfg.Vocab.Size()
	kind := cp.Mode.MaskKind()
	guide, err := m.newGuidance(b, queries, next, o)
	if err != nil {
		return nil, err
	}
	codeIDs := make([]int32, b.Vocab.Codes)
	for c := range codeIDs {
		codeIDs[c] = b.Vocab.Code(int32(c))
	}
	rng := core.NewRNG(o.Seed)
	out := make([][]int32, nb)
	plan := []int32{sz}
	for r := 0; r < side; r++ {
		for c := 0; c < side; c++ {
			plan = append(plan, -1) // a sampled code
		}
		plan = append(plan, b.Vocab.Tok(EOL))
	}
	plan = append(plan, b.Vocab.Tok(EOI))
	step := make([]int32, nb)
	stepSeg := make([]int32, nb)
	for i := range stepSeg {
		stepSeg[i] = core.SegTD
	}
	for _, forced := range plan {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i := 0; i < nb; i++ {
			if forced >= 0 {
				step[i] = forced
				continue
			}
			lg := cond[i]
			if guide != nil {
				lg = guide.mix(i, lg)
			}
			step[i] = pick(lg, codeIDs, o, rng)
			out[i] = append(out[i], b.Vocab.CodeOf(step[i]))
		}
		if forced == b.Vocab.Tok(EOI) {
			break
		}
		cond = lastRows(m.Forward(cache, step, stepSeg, next, 1, kind), nb, 1, v)
		if guide != nil {
			guide.advance(m, step, stepSeg)
		}
		for i := range next {
			next[i]++
		}
	}
	return out, nil
}

// GenerateText decodes a text target for each query (up to maxTokens text
// tokens or <eos>) and returns the decoded strings.
func (m *Model) GenerateText(ctx context.Context, b *Builder, cp *CompressedPrompt, queries []Pair, maxTokens int, o SampleOptions) ([]string, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	for i := range queries {
		queries[i].TextTarget = true
	}
	cache, cond, next, err := m.prefillQueries(b, cp, queries)
	if err != nil {
		return nil, err
	}
	nb, v := len(queries), m.Cfg.Vocab.Size()
	kind := cp.Mode.MaskKind()
	allowed := make([]int32, 0, b.Vocab.TextSize+1)
	for id := 0; id < b.Vocab.TextSize; id++ {
		allowed = append(allowed, int32(id))
	}
	eos := b.Vocab.Tok(EOS)
	allowed = append(allowed, eos)
	rng := core.NewRNG(o.Seed)
	ids := make([][]int, nb)
	done := make([]bool, nb)
	step, stepSeg := make([]int32, nb), make([]int32, nb)
	for k := 0; k < maxTokens; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		all := true
		for i := 0; i < nb; i++ {
			stepSeg[i] = core.SegTD
			if done[i] {
				step[i] = eos
				continue
			}
			step[i] = pick(cond[i], allowed, o, rng)
			if step[i] == eos {
				done[i] = true
			} else {
				ids[i] = append(ids[i], int(step[i]))
				all = false
			}
		}
		if all {
			break
		}
		cond = lastRows(m.Forward(cache, step, stepSeg, next, 1, kind), nb, 1, v)
		for i := range next {
			next[i]++
		}
	}
	out := make([]string, nb)
	for i := range out {
		out[i] = b.Text.Decode(ids[i])
	}
	return out, nil
}
