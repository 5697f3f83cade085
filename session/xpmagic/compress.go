package xpmagic

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"xprompt/core"
	"xprompt/display"
	"xprompt/infer"
	"xprompt/model"
	"xprompt/session"
	"xprompt/view"
)

// compressStages is the number of stages of %compress: prefill [BOS][IE],
// prefill [XP], drop IE's cache, ready.
const compressStages = 4

// compressTolerance bounds the difference between the keys and values that
// %compress builds stage by stage and those of Model.Compress (one prefill):
// they differ only by float rounding.
const compressTolerance = 1e-3

// compression is %compress's progress on one prompt of one model.
type compression struct {
	eng    *infer.Engine
	p      *infer.Prompt
	stage  int             // stages done, 0…compressStages
	prefix *model.Sequence // [BOS][IE][XP]
	ieEnd  int             // tokens of [BOS][IE]; the XP tokens follow
	cache  *model.KVCache  // the full cache (stages 1 and 2)
	full   int64           // its bytes after stage 2
	kept   *model.KVCache  // BOS and XP only (stage 3)
	cp     *model.CompressedPrompt
}

// runCompress implements %compress [step|all].
func runCompress(_ context.Context, s *session.Session, args string, sink display.Sink) (*display.Bundle, error) {
	pos, err := parseArgs(s, "compress", args, newFlags("compress"))
	if err != nil {
		return nil, err
	}
	how := "all"
	if len(pos) == 1 {
		how = pos[0]
	}
	if len(pos) > 1 || (how != "step" && how != "all") {
		return nil, s.UsageError("compress", "want step or all, got %q", strings.Join(pos, " "))
	}
	e, p, err := currentPrompt(s)
	if err != nil {
		return nil, err
	}
	c := models(s).comp
	if c == nil || c.eng != e || c.p != p || c.stage == compressStages {
		prefix, err := p.Prefix(model.ModeXPrompt)
		if err != nil {
			return nil, err
		}
		c = &compression{eng: e, p: p, prefix: prefix, ieEnd: prefix.Len() - prefix.Count(core.SegXP)}
		models(s).comp = c
	}
	var out []display.Bundle
	for c.stage < compressStages {
		bs, err := c.next(s)
		out = append(out, bs...)
		if err != nil {
			for _, b := range out {
				sink.Display(b, "", false)
			}
			return nil, err
		}
		if how == "step" {
			break
		}
	}
	for _, b := range out[:len(out)-1] {
		sink.Display(b, "", false)
	}
	return &out[len(out)-1], nil
}

// next runs the next stage and returns what it shows.
func (c *compression) next(s *session.Session) ([]display.Bundle, error) {
	m := c.eng.Model
	n := c.prefix.Len()
	c.stage++
	head := fmt.Sprintf("%%compress %d/%d: ", c.stage, compressStages)
	switch c.stage {
	case 1:
		c.cache = m.NewCache(1)
		m.Forward(c.cache, c.prefix.Tokens[:c.ieEnd], c.prefix.Seg[:c.ieEnd], positions(0, c.ieEnd), c.ieEnd, core.MaskXPrompt)
		return []display.Bundle{display.Text(head + fmt.Sprintf(
			"prefilled [BOS][IE] (%d tokens) into a KV cache: %d layers × keys and values %v float32 = %s bytes",
			c.ieEnd, len(c.cache.K), c.cache.K[0].Dims(), view.GroupDigits(c.cache.Bytes())))}, nil
	case 2:
		m.Forward(c.cache, c.prefix.Tokens[c.ieEnd:], c.prefix.Seg[c.ieEnd:], positions(c.ieEnd, n), n-c.ieEnd, core.MaskXPrompt)
		c.full = c.cache.Bytes()
		msg := display.Text(head + fmt.Sprintf(
			"prefilled the %d X-Prompt tokens on top: the cache holds %d tokens, %s bytes; XP reads the examples through attention:",
			n-c.ieEnd, c.cache.Tk, view.GroupDigits(c.full)))
		return append([]display.Bundle{msg}, c.xpAttention()...), nil
	case 3:
		var idx []int
		for i, g := range c.prefix.Seg {
			if g == core.SegBOS || g == core.SegXP {
				idx = append(idx, i)
			}
		}
		c.kept = c.cache.Keep(idx)
		return []display.Bundle{display.Text(head + fmt.Sprintf(
			"dropped the examples' keys and values: kept BOS + %d XP = %d of %d tokens, %s → %s bytes (%.1f%%)",
			len(idx)-1, c.kept.Tk, c.cache.Tk, view.GroupDigits(c.full), view.GroupDigits(c.kept.Bytes()),
			100*float64(c.kept.Bytes())/float64(max(c.full, 1))))}, nil
	}
	c.cp = &model.CompressedPrompt{Mode: model.ModeXPrompt, Cache: c.kept, NextPos: int32(n),
		FullBytes: c.full, Bytes: c.kept.Bytes(), PrefixTokens: n}
	b, err := c.check()
	if err != nil {
		return []display.Bundle{b}, err
	}
	if err := s.Bind("cp", c.cp); err != nil {
		return nil, err
	}
	return []display.Bundle{b}, nil
}

// positions returns the positions from, from+1, …, to-1.
func positions(from, to int) []int32 {
	p := make([]int32, to-from)
	for i := range p {
		p[i] = int32(from + i)
	}
	return p
}

// xpAttention shows the attention of the X-Prompt tokens over the examples
// in the last layer, averaged over heads: a heat map (XP rows × IE columns,
// example boundaries marked) and the attention mass of each XP token on
// BOS, each example and the XP tokens.
func (c *compression) xpAttention() []display.Bundle {
	m := c.eng.Model
	last := m.Cfg.Layers - 1
	w := m.AttentionMaps(c.prefix, last)[last] // (H, T, T)
	nh, t := w.Dim(0), w.Dim(1)
	xp, ie := t-c.ieEnd, c.ieEnd-1
	mean := func(i, j int) float32 { // mean over heads of w[·, i, j]
		var s float32
		for h := range nh {
			s += w.Data[(h*t+i)*t+j]
		}
		return s / float32(nh)
	}
	// The attention mass per XP token on each span.
	var spans []model.Span
	for _, sp := range c.prefix.Spans {
		if sp.End > sp.Start {
			spans = append(spans, sp)
		}
	}
	headers := []string{"XP token"}
	for _, sp := range spans {
		headers = append(headers, sp.Name)
	}
	tb := view.NewTable(headers...)
	tb.Title = fmt.Sprintf("attention mass of each X-Prompt token (layer %d, mean of %d heads; rows sum to 1)", last, nh)
	for k := range xp {
		row := []any{fmt.Sprintf("XP[%d]", k)}
		for _, sp := range spans {
			var mass float32
			for j := sp.Start; j < sp.End; j++ {
				mass += mean(c.ieEnd+k, j)
			}
			row = append(row, fmt.Sprintf("%.3f", mass))
		}
		tb.Add(row...)
	}
	if ie == 0 {
		return []display.Bundle{display.Text("(p has no in-context examples: XP attends to BOS and itself only)"), tb.Display()}
	}
	// The map: XP rows × IE columns, each row repeated rep times so that
	// it is drawn rep·cell pixels tall.
	cell := max(1, maskPixels/ie)
	rep := max(1, 16/cell)
	vals := make([]float32, 0, xp*rep*ie)
	for k := range xp {
		row := make([]float32, ie)
		for j := range ie {
			row[j] = mean(c.ieEnd+k, 1+j)
		}
		for range rep {
			vals = append(vals, row...)
		}
	}
	var bounds []int
	for _, sp := range c.prefix.Spans {
		if sp.Seg == core.SegIE && sp.Start > 1 {
			bounds = append(bounds, sp.Start-1)
		}
	}
	hm := view.Heatmap(vals, xp*rep, ie, view.HeatmapOptions{ColumnBoundaries: bounds, Min: 0, Max: max(maxOf(vals), 1e-30), Cell: cell})
	hm.Data[display.MIMEText] = fmt.Sprintf("XP attention over IE: %d X-Prompt rows × %d example tokens (layer %d, mean of %d heads; "+
		"viridis from 0 to the largest weight %.3g; red lines start each example)", xp, ie, last, nh, maxOf(vals))
	return []display.Bundle{hm, tb.Display()}
}

// check compares the stepwise prompt with Model.Compress of the same prefix
// and returns a table of both; a difference beyond float rounding is an
// error.
func (c *compression) check() (display.Bundle, error) {
	ref, err := c.eng.Model.Compress(c.prefix)
	if err != nil {
		return display.Text(err.Error()), err
	}
	cp := c.cp
	var dk, dv float64
	for l := range cp.Cache.K {
		dk = max(dk, maxAbsDiff(cp.Cache.K[l], ref.Cache.K[l]))
		dv = max(dv, maxAbsDiff(cp.Cache.V[l], ref.Cache.V[l]))
	}
	t := view.NewTable("check", "stepwise", "m.Model.Compress(prefix)", "equal")
	t.Title = fmt.Sprintf("%%compress 4/4: ready, bound as cp: %s", cp)
	ok := true
	row := func(name string, a, b any, eq bool) {
		mark := "yes"
		if !eq {
			mark, ok = "NO", false
		}
		t.Add(name, a, b, mark)
	}
	row("kept tokens", cp.Kept(), ref.Kept(), cp.Kept() == ref.Kept())
	row("bytes", cp.Bytes, ref.Bytes, cp.Bytes == ref.Bytes)
	row("bytes before dropping IE", cp.FullBytes, ref.FullBytes, cp.FullBytes == ref.FullBytes)
	row("next position", cp.NextPos, ref.NextPos, cp.NextPos == ref.NextPos)
	row("kept segments and positions", fmt.Sprint(cp.Cache.Pos), fmt.Sprint(ref.Cache.Pos),
		slices.Equal(cp.Cache.Seg, ref.Cache.Seg) && slices.Equal(cp.Cache.Pos, ref.Cache.Pos))
	row("max |Δ| of keys, values", fmt.Sprintf("%.2g, %.2g", dk, dv), "", dk <= compressTolerance && dv <= compressTolerance)
	b := t.Display()
	if !ok {
		return b, fmt.Errorf("the stepwise prompt differs from Model.Compress (see the table)")
	}
	return b, nil
}

// maxAbsDiff returns max |a − b| over two tensors of the same shape (+Inf
// when the shapes differ).
func maxAbsDiff(a, b *core.Tensor) float64 {
	if a == nil || b == nil || a.Len() != b.Len() {
		return math.Inf(1)
	}
	var d float64
	for i := range a.Data {
		d = max(d, math.Abs(float64(a.Data[i]-b.Data[i])))
	}
	return d
}

// compressed returns the compressed prompt of p: the one %compress bound as
// cp when it is still cp and was made from p and m, else a fresh one, bound
// as cp.
func compressed(s *session.Session, e *infer.Engine, p *infer.Prompt, sink display.Sink) (*model.CompressedPrompt, error) {
	if c := models(s).comp; c != nil && c.eng == e && c.p == p && c.cp != nil {
		if v, ok := s.Global("cp"); ok && v == any(c.cp) {
			return c.cp, nil
		}
	}
	prefix, err := p.Prefix(model.ModeXPrompt)
	if err != nil {
		return nil, err
	}
	cp, err := e.Model.Compress(prefix)
	if err != nil {
		return nil, err
	}
	models(s).comp = &compression{eng: e, p: p, stage: compressStages, prefix: prefix, cp: cp}
	if err := s.Bind("cp", cp); err != nil {
		return nil, err
	}
	sink.Stream("stdout", "compressed p, bound as cp: "+cp.String()+"\n")
	return cp, nil
}
