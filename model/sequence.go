package model

import (
	"fmt"

	"xprompt/core"
)

// IgnoreTarget marks positions without a loss target (ops.IgnoreIndex).
const IgnoreTarget int32 = -100

// Pair is one instruction with its input and output, already tokenised:
// images are row-major grids of VQ codes of side Side. Input is nil for
// text-to-image (the instruction carries the prompt); Output is nil when the
// target is text (OutputText).
type Pair struct {
	Instruction string
	Input       []int32
	// Input2 is a second input image (pair → text tasks), or nil.
	Input2     []int32
	Output     []int32
	OutputText string
	// TextTarget marks a query whose (unknown) target is text.
	TextTarget bool
	Side       int
}

// Mode selects how in-context examples enter a sequence.
type Mode int

const (
	// ModeXPrompt: [BOS][IE][XP][TD] under the X-Prompt mask.
	ModeXPrompt Mode = iota
	// ModeCausal: [BOS][IE][TD] under a plain causal mask (no X-Prompt tokens).
	ModeCausal
	// ModeNone: [BOS][TD], no in-context example.
	ModeNone
)

func (m Mode) String() string {
	switch m {
	case ModeXPrompt:
		return "xprompt"
	case ModeCausal:
		return "causal"
	case ModeNone:
		return "none"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses "xprompt", "causal" or "none".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "xprompt":
		return ModeXPrompt, nil
	case "causal":
		return ModeCausal, nil
	case "none":
		return ModeNone, nil
	}
	return 0, fmt.Errorf("unknown mode %q (want xprompt, causal or none)", s)
}

// MaskKind returns the attention mask a mode trains and infers with.
func (m Mode) MaskKind() core.MaskKind {
	if m == ModeXPrompt {
		return core.MaskXPrompt
	}
	return core.MaskCausal
}

// Span names a range [Start, End) of a sequence, for display.
type Span struct {
	Name       string
	Start, End int
	Seg        int32
}

// Sequence is a laid-out training or inference sequence. Targets[i] is the
// token to predict at position i (the next token) or IgnoreTarget; XP tokens
// have Tokens[i] = −1−slot (they are embeddings, not vocabulary entries).
type Sequence struct {
	Tokens  []int32
	Seg     []int32
	Targets []int32
	Weights []float32
	Spans   []Span
	Mode    Mode
	// TargetStart is the position of the first token of the TD target (the
	// <boi> of the output image, or <txt>); generation starts after it.
	TargetStart int
}

// Len returns the number of tokens.
func (s *Sequence) Len() int { return len(s.Tokens) }

// Count returns the number of tokens in a segment.
func (s *Sequence) Count(seg int32) int {
	n := 0
	for _, g := range s.Seg {
		if g == seg {
			n++
		}
	}
	return n
}

// Mask returns the attention mask of the sequence for its mode.
func (s *Sequence) Mask() *core.Mask {
	return &core.Mask{Kind: s.Mode.MaskKind(), QSeg: s.Seg, KSeg: s.Seg}
}

// Builder lays out sequences.
type Builder struct {
	Vocab Vocab
	Text  TextCodec
	// XP is the number of X-Prompt tokens S.
	XP int
	// ExampleWeight is the loss weight of in-context examples' outputs
	// (0 trains only the TD target).
	ExampleWeight float32
	// TextWeight multiplies the loss weight of text targets.
	TextWeight float32
	// ChangedWeight multiplies the loss weight of the output image codes
	// that differ from the input image's code at the same place (0 or 1:
	// no change), so that an edit of a few codes is not drowned by the
	// codes a copy of the input gets right.
	ChangedWeight float32
	// DropWord, when not nil, is asked for every instruction token and
	// replaces it by UnknownText when it returns true: word dropout in
	// training (data.Config.DropWords).
	DropWord func() bool
}

// Build lays out [BOS][IE][XP][TD] (per mode) for the examples and the query.
// The query's output, when present, becomes the loss target; at inference it
// may be nil/empty and the sequence ends after the target's opening tokens.
func (b *Builder) Build(examples []Pair, query Pair, mode Mode) (*Sequence, error) {
	s, err := b.Prefix(examples, mode)
	if err != nil {
		return nil, err
	}
	if err := b.AppendQuery(s, query); err != nil {
		return nil, err
	}
	return s, nil
}

// Prefix lays out the context part [BOS][IE][XP] (per mode): what Compress
// prefills.
func (b *Builder) Prefix(examples []Pair, mode Mode) (*Sequence, error) {
	s := &Sequence{Mode: mode}
	s.push(b.Vocab.Tok(BOS), core.SegBOS)
	s.Spans = append(s.Spans, Span{Name: "BOS", Start: 0, End: 1, Seg: core.SegBOS})
	if mode != ModeNone {
		for i, ex := range examples {
			start := s.Len()
			if err := b.pair(s, ex, core.SegIE, b.ExampleWeight, true); err != nil {
				return nil, fmt.Errorf("example %d: %w", i, err)
			}
			s.Spans = append(s.Spans, Span{Name: fmt.Sprintf("IE[%d]", i), Start: start, End: s.Len(), Seg: core.SegIE})
		}
	}
	if mode == ModeXPrompt {
		start := s.Len()
		for i := 0; i < b.XP; i++ {
			s.push(int32(-1-i), core.SegXP)
		}
		s.Spans = append(s.Spans, Span{Name: "XP", Start: start, End: s.Len(), Seg: core.SegXP})
	}
	return s, nil
}

// AppendQuery appends the TD part for query to s.
func (b *Builder) AppendQuery(s *Sequence, query Pair) error {
	start := s.Len()
	if err := b.pair(s, query, core.SegTD, 1, query.Output != nil || query.OutputText != ""); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	s.Spans = append(s.Spans, Span{Name: "TD", Start: start, End: s.Len(), Seg: core.SegTD})
	return nil
}

func (s *Sequence) push(tok, seg int32) {
	s.Tokens = append(s.Tokens, tok)
	s.Seg = append(s.Seg, seg)
	s.Targets = append(s.Targets, IgnoreTarget)
	s.Weights = append(s.Weights, 0)
}

// pushTarget appends tok and makes it the prediction target of the previous
// position with weight w.
func (s *Sequence) pushTarget(tok, seg int32, w float32) {
	n := s.Len()
	s.push(tok, seg)
	if w > 0 && n > 0 {
		s.Targets[n-1] = tok
		s.Weights[n-1] = w
	}
}

func (b *Builder) text(s *Sequence, txt string, seg int32, w float32) {
	for _, id := range b.Text.Encode(txt) {
		if w > 0 {
			s.pushTarget(int32(id), seg, w)
		} else {
			s.push(int32(id), seg)
		}
	}
}

// instruction appends the tokens of an instruction, each token DropWord
// chooses replaced by UnknownText.
func (b *Builder) instruction(s *Sequence, txt string, seg int32) {
	for _, id := range b.Text.Encode(txt) {
		if b.DropWord != nil && b.DropWord() {
			id = int(UnknownText)
		}
		s.push(int32(id), seg)
	}
}

// image appends <boi> <sizeN> rows… <eoi>; with w > 0 every token after
// <boi> is a target.
func (b *Builder) image(s *Sequence, codes []int32, side int, seg int32, w float32) error {
	if side <= 0 || len(codes) != side*side {
		return fmt.Errorf("image of %d codes is not a %d×%d grid", len(codes), side, side)
	}
	sz, err := b.Vocab.SizeToken(side)
	if err != nil {
		return err
	}
	for _, c := range codes {
		if c < 0 || int(c) >= b.Vocab.Codes {
			return fmt.Errorf("image code %d outside [0,%d)", c, b.Vocab.Codes)
		}
	}
	s.push(b.Vocab.Tok(BOI), seg)
	s.pushTarget(sz, seg, w)
	for r := 0; r < side; r++ {
		for _, c := range codes[r*side : (r+1)*side] {
			s.pushTarget(b.Vocab.Code(c), seg, w)
		}
		s.pushTarget(b.Vocab.Tok(EOL), seg, w)
	}
	s.pushTarget(b.Vocab.Tok(EOI), seg, w)
	return nil
}

// pair appends <inst> instruction [<in> image] <out> target <eos>. When
// withTarget is false the target is left open: the sequence ends with <out>
// <boi> (image targets) or <out> <txt> (text targets).
func (b *Builder) pair(s *Sequence, p Pair, seg int32, w float32, withTarget bool) error {
	s.push(b.Vocab.Tok(Inst), seg)
	b.instruction(s, p.Instruction, seg)
	if p.Input != nil {
		s.push(b.Vocab.Tok(In), seg)
		if err := b.image(s, p.Input, p.Side, seg, 0); err != nil {
			return fmt.Errorf("input: %w", err)
		}
	}
	if p.Input2 != nil {
		s.push(b.Vocab.Tok(In), seg)
		if err := b.image(s, p.Input2, p.Side, seg, 0); err != nil {
			return fmt.Errorf("second input: %w", err)
		}
	}
	s.push(b.Vocab.Tok(Out), seg)
	textTarget := p.TextTarget || (p.Output == nil && p.OutputText != "")
	if seg == core.SegTD {
		s.TargetStart = s.Len()
	}
	if !withTarget {
		if textTarget {
			s.push(b.Vocab.Tok(Txt), seg)
		} else {
			s.push(b.Vocab.Tok(BOI), seg)
		}
		return nil
	}
	if textTarget {
		tw := w * b.textWeight()
		s.push(b.Vocab.Tok(Txt), seg)
		b.text(s, p.OutputText, seg, tw)
		s.pushTarget(b.Vocab.Tok(EOS), seg, tw)
		return nil
	}
	if p.Output == nil {
		return fmt.Errorf("pair has neither an output image nor output text")
	}
	start := s.Len()
	if err := b.image(s, p.Output, p.Side, seg, w); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if w > 0 && b.ChangedWeight > 0 && b.ChangedWeight != 1 && len(p.Input) == len(p.Output) {
		weighChanged(s, start, p.Input, p.Output, p.Side, b.ChangedWeight)
	}
	s.pushTarget(b.Vocab.Tok(EOS), seg, w)
	return nil
}

// weighChanged multiplies by k the loss weights of the codes of the output
// image laid out from position start (<boi> <size> rows…) that differ from
// in's codes at the same place. A token's weight sits at the position before
// it, the position that predicts it.
func weighChanged(s *Sequence, start int, in, out []int32, side int, k float32) {
	for r := 0; r < side; r++ {
		for c := 0; c < side; c++ {
			if i := r*side + c; in[i] != out[i] {
				t := start + 2 + r*(side+1) + c
				s.Weights[t-1] *= k
			}
		}
	}
}

func (b *Builder) textWeight() float32 {
	if b.TextWeight == 0 {
		return 1
	}
	return b.TextWeight
}

// ImageTokens returns the number of tokens an image of the given side takes:
// <boi> <size> side·(side+1) <eoi>.
func ImageTokens(side int) int { return 3 + side*(side+1) }

// Batch is B sequences of T tokens, flattened row-major. Tokens of X-Prompt
// slots are −1−slot; padding has segment core.SegPad. Pos may be nil
// (positions 0…T−1).
type Batch struct {
	B, T    int
	Tokens  []int32
	Seg     []int32
	Pos     []int32
	Targets []int32   // per position, or IgnoreTarget
	Weights []float32 // per position loss weights
	Kind    core.MaskKind
}

// Mask returns the batch's attention mask.
func (b *Batch) Mask() *core.Mask {
	return &core.Mask{Kind: b.Kind, QSeg: b.Seg, KSeg: b.Seg, QPos: b.Pos, KPos: b.Pos}
}

// Collate pads sequences to a common length into a batch. Sequences longer
// than maxLen are an error (the message names the sequence and its length).
func Collate(seqs []*Sequence, maxLen int, pad int32) (*Batch, error) {
	if len(seqs) == 0 {
		return nil, fmt.Errorf("model.Collate: no sequences")
	}
	t := 0
	for i, s := range seqs {
		if s.Len() > maxLen {
			return nil, fmt.Errorf("model.Collate: sequence %d has %d tokens, longer than %d", i, s.Len(), maxLen)
		}
		t = max(t, s.Len())
	}
	b := &Batch{B: len(seqs), T: t, Kind: seqs[0].Mode.MaskKind()}
	for _, s := range seqs {
		n := s.Len()
		b.Tokens = append(b.Tokens, s.Tokens...)
		b.Seg = append(b.Seg, s.Seg...)
		b.Targets = append(b.Targets, s.Targets...)
		b.Weights = append(b.Weights, s.Weights...)
		for i := n; i < t; i++ {
			b.Tokens = append(b.Tokens, pad)
			b.Seg = append(b.Seg, core.SegPad)
			b.Targets = append(b.Targets, IgnoreTarget)
			b.Weights = append(b.Weights, 0)
		}
	}
	return b, nil
}
