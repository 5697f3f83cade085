package xpmagic

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"xprompt/core"
	"xprompt/display"
	"xprompt/img"
	"xprompt/infer"
	"xprompt/model"
	"xprompt/session"
	"xprompt/tasks"
	"xprompt/view"
)

// defaultPromptTask is the task of the prompt %mask makes when none is bound:
// a held-out family, so the mask shows X-Prompt at work on a novel task.
const defaultPromptTask = "derain"

// runTask implements %task [NAME] [--seed S].
func runTask(_ context.Context, s *session.Session, args string, sink display.Sink) (*display.Bundle, error) {
	fs := newFlags("task")
	seed := fs.Uint64("seed", 0, "")
	pos, err := parseArgs(s, "task", args, fs)
	if err != nil {
		return nil, err
	}
	if len(pos) > 1 {
		return nil, s.UsageError("task", "one task NAME expected, got %q", pos)
	}
	if len(pos) == 0 {
		b := familyTable().Display()
		return &b, nil
	}
	f, err := tasks.ByName(pos[0])
	if err != nil {
		return nil, s.UsageError("task", "NAME: %v", err)
	}
	seedSet := false
	fs.Visit(func(fl *flag.Flag) { seedSet = seedSet || fl.Name == "seed" })
	if !seedSet {
		models(s).draws++
		*seed = models(s).draws
	}
	size := 32
	if e, err := engine(s); err == nil {
		size = e.ImageSize()
	}
	ex := f.Sample(tasks.NewRand(*seed), size)
	if err := s.Bind("ex", ex); err != nil {
		return nil, err
	}
	if ex.Input != nil || ex.Output != nil || ex.SecondInput != nil {
		sheet := view.ImageBundle(tasks.Sheet([]tasks.Example{ex}, 4))
		sheet.Data[display.MIMEText] = "ex: " + sheetCaption(ex)
		sink.Display(sheet, "", false)
	}
	t := view.NewTable("field", "value")
	t.Title = fmt.Sprintf("ex: %s (seed %d)", f, *seed)
	t.Add("instruction", ex.Instruction)
	if ex.Description != "" {
		t.Add("description", ex.Description)
	}
	if ex.Text != "" {
		t.Add("text", ex.Text)
	}
	if f.Reverse != "" {
		t.Add("reverse task", f.Reverse)
	}
	b := t.Display()
	return &b, nil
}

// sheetCaption names the columns of tasks.Sheet for one example.
func sheetCaption(ex tasks.Example) string {
	var cols []string
	if ex.Input != nil {
		cols = append(cols, "input")
	}
	if ex.SecondInput != nil {
		cols = append(cols, "second input")
	}
	if ex.Output != nil {
		cols = append(cols, "output")
	}
	return strings.Join(cols, " | ")
}

// familyTable lists the task families, seen ones first.
func familyTable() *view.Table {
	t := view.NewTable("task", "kind", "split", "reverse", "instruction (one template)")
	var seen, held int
	for _, pass := range []bool{false, true} {
		for _, f := range tasks.All() {
			if f.HeldOut != pass {
				continue
			}
			split := "seen"
			if f.HeldOut {
				split, held = "held out", held+1
			} else {
				seen++
			}
			tmpl := ""
			if len(f.Templates) > 0 {
				tmpl = f.Templates[0]
			}
			t.Add(f.Name, f.Kind, split, f.Reverse, tmpl)
		}
	}
	t.Title = fmt.Sprintf("Task families: %d seen in training, %d held out (also palette_perm_SEED: a new task per seed)", seen, held)
	return t
}

// runPrompt implements %prompt TASK [--examples N] [--seed S].
func runPrompt(_ context.Context, s *session.Session, args string, sink display.Sink) (*display.Bundle, error) {
	fs := newFlags("prompt")
	n := fs.Int("examples", 1, "")
	seed := fs.Uint64("seed", 1, "")
	pos, err := parseArgs(s, "prompt", args, fs)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, s.UsageError("prompt", "one TASK expected, got %q", pos)
	}
	if *n < 0 || *n > 8 {
		return nil, s.UsageError("prompt", "--examples %d: want 0 to 8 in-context examples", *n)
	}
	if _, err := tasks.ByName(pos[0]); err != nil {
		return nil, s.UsageError("prompt", "TASK: %v", err)
	}
	e, err := engine(s)
	if err != nil {
		return nil, err
	}
	p, err := e.NewPrompt(pos[0], *n, *seed)
	if err != nil {
		return nil, err
	}
	st := models(s)
	st.prompt, st.promptEng, st.comp = p, e, nil
	if err := s.Bind("p", p); err != nil {
		return nil, err
	}
	sheet := view.ImageBundle(tasks.Sheet(append(append([]tasks.Example(nil), p.Examples...), p.Query), 3))
	sheet.Data[display.MIMEText] = fmt.Sprintf("p: %d in-context example rows, then the query (its output is the ground truth)", len(p.Examples))
	sink.Display(sheet, "", false)
	b := layoutTable(p).Display()
	return &b, nil
}

// layoutTable lists the segments of the prompt's sequence with their spans,
// token counts and instructions.
func layoutTable(p *infer.Prompt) *view.Table {
	t := view.NewTable("segment", "span", "tokens", "content")
	t.Title = fmt.Sprintf("p: %s, %d in-context examples + query, %d tokens (X-Prompt layout)", p.Task, len(p.Examples), p.Seq.Len())
	for _, sp := range p.Seq.Spans {
		content := ""
		switch {
		case sp.Seg == core.SegXP:
			content = "learned X-Prompt embeddings"
		case strings.HasPrefix(sp.Name, "IE["):
			if i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(sp.Name, "IE["), "]")); err == nil && i < len(p.Examples) {
				content = p.Examples[i].Instruction
			}
		case sp.Seg == core.SegTD:
			content = p.Query.Instruction
		}
		t.Add(sp.Name, fmt.Sprintf("[%d, %d)", sp.Start, sp.End), sp.End-sp.Start, content)
		if sp.Seg == core.SegTD && p.Seq.TargetStart > sp.Start && p.Seq.TargetStart < sp.End {
			t.Add("  target", fmt.Sprintf("[%d, %d)", p.Seq.TargetStart, sp.End), sp.End-p.Seq.TargetStart, "the ground truth, predicted token by token")
		}
	}
	return t
}

// segmentBoundaries returns the first token of every span but the first.
func segmentBoundaries(spans []model.Span) []int {
	var b []int
	for _, sp := range spans {
		if sp.Start > 0 && (len(b) == 0 || b[len(b)-1] != sp.Start) {
			b = append(b, sp.Start)
		}
	}
	return b
}

// segmentCounts summarises a sequence: "BOS 1, IE 163, XP 4, TD 158".
func segmentCounts(seq *model.Sequence) string {
	var parts []string
	for _, g := range []int32{core.SegBOS, core.SegIE, core.SegXP, core.SegTD} {
		if n := seq.Count(g); n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", core.SegmentName(g), n))
		}
	}
	return strings.Join(parts, ", ")
}

// maskPixels is about the side in pixels of the pictures of %mask: each
// token takes max(1, maskPixels/T) pixels.
const maskPixels = 480

// runMask implements %mask [xprompt|causal|none].
func runMask(_ context.Context, s *session.Session, args string, sink display.Sink) (*display.Bundle, error) {
	pos, err := parseArgs(s, "mask", args, newFlags("mask"))
	if err != nil {
		return nil, err
	}
	if len(pos) > 1 {
		return nil, s.UsageError("mask", "one mode expected, got %q", pos)
	}
	mode := model.ModeXPrompt
	if len(pos) == 1 {
		if mode, err = model.ParseMode(pos[0]); err != nil {
			return nil, s.UsageError("mask", "%v", err)
		}
	}
	if _, bound := s.Global("p"); !bound {
		// No prompt yet: make the default one (a held-out task, one example)
		// so that %load then %mask shows something.
		e, err := engine(s)
		if err != nil {
			return nil, err
		}
		p, err := e.NewPrompt(defaultPromptTask, 1, 1)
		if err != nil {
			return nil, err
		}
		st := models(s)
		st.prompt, st.promptEng, st.comp = p, e, nil
		if err := s.Bind("p", p); err != nil {
			return nil, err
		}
		sink.Stream("stdout", fmt.Sprintf("p: no prompt yet, made %%prompt %s (one in-context example, seed 1)\n", defaultPromptTask))
	}
	_, p, err := currentPrompt(s)
	if err != nil {
		return nil, err
	}
	seq, err := p.Sequence(mode)
	if err != nil {
		return nil, err
	}
	t := seq.Len()
	kind := mode.MaskKind()
	m := model.MaskImage(seq.Seg, kind, max(1, maskPixels/t))
	mask := seq.Mask()
	allowed := 0
	for i := range t {
		for j := 0; j <= i; j++ {
			if mask.Allowed(0, i, j, t, t) {
				allowed++
			}
		}
	}
	alt := fmt.Sprintf("attention mask of p (%s layout, %s mask): %d tokens (%s); row i is a query, column j a key; "+
		"allowed cells take the key's segment colour, masked ones are dark; %d of %d pairs allowed",
		mode, kind, t, segmentCounts(seq), allowed, t*t)
	if mode == model.ModeXPrompt {
		alt += "; TD rows see IE only through XP"
	}
	b := view.PNGBundle(img.ToRGBA(m), alt)
	return &b, nil
}

// runAttn implements %attn LAYER HEAD.
func runAttn(_ context.Context, s *session.Session, args string, _ display.Sink) (*display.Bundle, error) {
	pos, err := parseArgs(s, "attn", args, newFlags("attn"))
	if err != nil {
		return nil, err
	}
	if len(pos) != 2 {
		return nil, s.UsageError("attn", "LAYER and HEAD expected, got %q", pos)
	}
	layer, err1 := strconv.Atoi(pos[0])
	head, err2 := strconv.Atoi(pos[1])
	if err1 != nil {
		return nil, s.UsageError("attn", "LAYER %q is not a number", pos[0])
	}
	if err2 != nil {
		return nil, s.UsageError("attn", "HEAD %q is not a number", pos[1])
	}
	e, p, err := currentPrompt(s)
	if err != nil {
		return nil, err
	}
	c := e.Model.Cfg
	if layer < 0 || layer >= c.Layers {
		return nil, s.UsageError("attn", "LAYER %d is outside [0, %d)", layer, c.Layers)
	}
	if head < 0 || head >= c.Heads {
		return nil, s.UsageError("attn", "HEAD %d is outside [0, %d)", head, c.Heads)
	}
	w := e.Model.AttentionMaps(p.Seq, layer)[layer] // (H, T, T)
	t := p.Seq.Len()
	if w == nil || w.Dim(1) != t {
		return nil, fmt.Errorf("no attention map for layer %d", layer)
	}
	data := w.Data[head*t*t : (head+1)*t*t]
	b := view.Heatmap(data, t, t, view.HeatmapOptions{
		Title:      fmt.Sprintf("p: attention weights, layer %d head %d (%s mask)", layer, head, p.Seq.Mode),
		Boundaries: segmentBoundaries(p.Seq.Spans),
		Min:        0, Max: maxOf(data),
	})
	b.Data[display.MIMEText] = fmt.Sprintf("%s; %s", b.PlainText(), segmentCounts(p.Seq))
	return &b, nil
}

// maxOf returns the largest value (at least the smallest positive float,
// so that a colour scale [0, max] is never empty).
func maxOf(v []float32) float32 {
	m := float32(1e-30)
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
