package protocol

import (
	"context"
	"fmt"

	"xprompt/img"
	"xprompt/model"
	"xprompt/tasks"
)

// Generator is a model with its tokenizers: infer.Engine implements it.
type Generator interface {
	// ImageSize is the side of the images the model takes.
	ImageSize() int
	// Compress builds and compresses the in-context prompt of the examples.
	Compress(examples []tasks.Example, mode model.Mode) (*model.CompressedPrompt, error)
	// Generate answers every query (its target withheld) from the prompt.
	Generate(ctx context.Context, cp *model.CompressedPrompt, queries []tasks.Example, o model.SampleOptions) ([]*img.Image, error)
	// Reconstruct encodes and decodes images with the image tokenizer.
	Reconstruct(imgs []*img.Image) []*img.Image
}

// TrainedModer is implemented by generators that know the mask they were
// trained with (known false when the checkpoint does not say).
type TrainedModer interface {
	TrainedMode() (mode model.Mode, known bool)
}

// Models are the models a table compares.
type Models struct {
	// XPrompt is the model under test, trained with the X-Prompt mask; it
	// also answers the no-context and wrong-example rows, and its image
	// tokenizer gives the tokenizer rows.
	XPrompt Generator
	// Causal, if not nil, is a model trained with the plain causal mask,
	// run in context without X-Prompt tokens. Without it the causal row is
	// omitted.
	Causal Generator
	// Names say where the models came from, for the table.
	XPromptName, CausalName string
}

// Options configures a run of the protocol.
type Options struct {
	// Groups are the families to evaluate (HeldOutGroups, SeenGroups,
	// Groups("…")).
	Groups []Group
	// Prompts per family (≥ 10 for errors worth quoting), each with
	// Examples in-context examples and Queries queries.
	Prompts, Queries, Examples int
	// Split picks the prompt seeds: Development (default) or Reserved, for
	// final numbers only. FirstPrompt skips the split's first prompts.
	Split       Split
	FirstPrompt int
	// HideInstruction withholds the instructions of the queries and of the
	// in-context examples: only the example images say what the task is.
	HideInstruction bool
	// SharedParams draws each prompt's examples and queries from the family
	// bound by the prompt's seed (DrawShared): the example makes the
	// query's own edit (object, colour, place, amount) on another scene.
	SharedParams bool
	// Sample is the decoding (zero value: greedy).
	Sample model.SampleOptions
	// Progress, if set, is called after each prompt with the prompts done,
	// their total and the family.
	Progress func(done, total int, family string)
}

// MinPrompts is the fewest prompts per family whose clustered standard
// errors are worth quoting; tables with fewer say so.
const MinPrompts = 10

// DefaultOptions are the held-out families, 10 prompts of one example and
// 4 queries, development seeds, greedy decoding.
func DefaultOptions() Options {
	return Options{Groups: HeldOutGroups, Prompts: 10, Queries: 4, Examples: 1}
}

// validate checks the options.
func (o Options) validate() error {
	if o.Prompts < 1 || o.Queries < 1 || o.Examples < 1 || o.FirstPrompt < 0 {
		return fmt.Errorf("protocol: %d prompts of %d examples and %d queries from prompt %d (want ≥ 1 each, first ≥ 0)",
			o.Prompts, o.Examples, o.Queries, o.FirstPrompt)
	}
	if err := o.Sample.Validate(); err != nil {
		return fmt.Errorf("protocol: %w", err)
	}
	return checkGroups(o.Groups)
}

// Method names a row of answers to the queries.
type Method string

// The methods, in table order.
const (
	CopyInput      Method = "copy_input"
	InputTokenized Method = "input_via_tokenizer"
	Ceiling        Method = "tokenizer_ceiling"
	NoContext      Method = "no_context"
	XPrompt        Method = "xprompt"
	WrongExample   Method = "wrong_example"
	CausalTrained  Method = "causal_trained"
)

// Methods lists every method in table order.
var Methods = []Method{CopyInput, InputTokenized, Ceiling, NoContext, XPrompt, WrongExample, CausalTrained}

// Title is the method's column heading.
func (m Method) Title() string {
	switch m {
	case CopyInput:
		return "copy input"
	case InputTokenized:
		return "input via tokenizer"
	case Ceiling:
		return "tokenizer ceiling"
	case NoContext:
		return "no context"
	case XPrompt:
		return "X-Prompt"
	case WrongExample:
		return "wrong example"
	case CausalTrained:
		return "causal-trained"
	}
	return string(m)
}

// QueryScore is one query's scores under every method.
type QueryScore struct {
	Family string `json:"family"`
	Prompt int    `json:"prompt"` // index within the run: the cluster
	Seed   uint64 `json:"seed"`
	Query  int    `json:"query"`
	// Wrong is the family of the wrong example.
	Wrong string `json:"wrong_family"`
	// PSNR is the whole-image PSNR per method; Region the PSNR inside the
	// changed region (edit families only).
	PSNR   map[Method]float64 `json:"psnr"`
	Region map[Method]float64 `json:"region_psnr,omitempty"`
	// PromptKV is the size in bytes of the prompt's KV cache per in-context
	// method (after compression for X-Prompt), and of the uncompressed
	// X-Prompt prompt under "uncompressed".
	PromptKV map[string]int64 `json:"prompt_kv_bytes,omitempty"`
}

// UncompressedKV is the PromptKV key of the X-Prompt prompt's cache before
// compression.
const UncompressedKV = "uncompressed"

// Run evaluates the models on the options' families and returns the table.
// It stops between prompts when ctx is cancelled.
func Run(ctx context.Context, m Models, o Options) (*Table, error) {
	if m.XPrompt == nil {
		return nil, fmt.Errorf("protocol: no X-Prompt model")
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	if err := checkTrained(m.XPrompt, model.ModeXPrompt, "the X-Prompt model"); err != nil {
		return nil, err
	}
	methods := Methods
	omitted := map[Method]string{}
	if m.Causal == nil {
		methods = Methods[:len(Methods)-1]
		omitted[CausalTrained] = "no causal-trained model was given (--causal-model / Models.Causal); the X-Prompt model is never run under a causal mask it did not train on"
	} else if err := checkTrained(m.Causal, model.ModeCausal, "the causal model"); err != nil {
		return nil, err
	}
	none, err := m.XPrompt.Compress(nil, model.ModeNone)
	if err != nil {
		return nil, err
	}
	var scores []QueryScore
	total, done := len(familiesOf(o.Groups))*o.Prompts, 0
	for _, fam := range familiesOf(o.Groups) {
		for p := 0; p < o.Prompts; p++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			qs, err := runPrompt(ctx, m, none, o, fam, p)
			if err != nil {
				return nil, fmt.Errorf("protocol: %s prompt %d: %w", fam, p, err)
			}
			scores = append(scores, qs...)
			done++
			if o.Progress != nil {
				o.Progress(done, total, fam)
			}
		}
	}
	return tabulate(m, o, methods, omitted, scores), nil
}

// checkTrained returns an error if g says it was trained with a mask other
// than want.
func checkTrained(g Generator, want model.Mode, what string) error {
	if t, ok := g.(TrainedModer); ok {
		if mode, known := t.TrainedMode(); known && mode != want {
			return fmt.Errorf("protocol: %s was trained with the %s mask, not %s", what, mode, want)
		}
	}
	return nil
}

// familiesOf lists the groups' families in order.
func familiesOf(gs []Group) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Families...)
	}
	return out
}

// runPrompt draws prompt p of the family and scores its queries under
// every method.
func runPrompt(ctx context.Context, m Models, none *model.CompressedPrompt, o Options, fam string, p int) ([]QueryScore, error) {
	size := m.XPrompt.ImageSize()
	seed := o.Split.PromptSeed(o.FirstPrompt + p)
	drawSet := Draw
	if o.SharedParams {
		drawSet = DrawShared
	}
	set, err := drawSet(fam, seed, o.Examples, o.Queries, size)
	if err != nil {
		return nil, err
	}
	wrongFam := WrongFamily(fam, o.FirstPrompt+p)
	wrong, err := Draw(wrongFam, seed, o.Examples, 0, size)
	if err != nil {
		return nil, err
	}
	if o.HideInstruction {
		set.HideInstructions()
		wrong.HideInstructions()
	}
	outs := map[Method][]*img.Image{
		CopyInput:      set.Inputs(),
		InputTokenized: m.XPrompt.Reconstruct(set.Inputs()),
		Ceiling:        m.XPrompt.Reconstruct(set.Truths()),
	}
	kv := map[string]int64{}
	gen := func(g Generator, cp *model.CompressedPrompt) ([]*img.Image, error) {
		return g.Generate(ctx, cp, set.Queries, o.Sample)
	}
	if outs[NoContext], err = gen(m.XPrompt, none); err != nil {
		return nil, err
	}
	for _, r := range []struct {
		method Method
		g      Generator
		exs    []tasks.Example
		mode   model.Mode
	}{
		{XPrompt, m.XPrompt, set.Examples, model.ModeXPrompt},
		{WrongExample, m.XPrompt, wrong.Examples, model.ModeXPrompt},
		{CausalTrained, m.Causal, set.Examples, model.ModeCausal},
	} {
		if r.g == nil {
			continue
		}
		cp, err := r.g.Compress(r.exs, r.mode)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.method.Title(), err)
		}
		kv[string(r.method)] = cp.Bytes
		if r.method == XPrompt {
			kv[UncompressedKV] = cp.FullBytes
		}
		if outs[r.method], err = gen(r.g, cp); err != nil {
			return nil, fmt.Errorf("%s: %w", r.method.Title(), err)
		}
	}
	out := make([]QueryScore, len(set.Queries))
	for i, q := range set.Queries {
		s := QueryScore{Family: fam, Prompt: p, Seed: seed, Query: i, Wrong: wrongFam, PSNR: map[Method]float64{}, PromptKV: kv}
		var mask []bool
		if isEdit(fam) {
			if mask, err = RegionMask(q.Input, q.Output); err != nil {
				return nil, err
			}
			if mask == nil {
				return nil, fmt.Errorf("query %d: the edit changed no pixel", i)
			}
			s.Region = map[Method]float64{}
		}
		for method, imgs := range outs {
			sc, err := ScoreImage(imgs[i], q.Output)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", method.Title(), err)
			}
			s.PSNR[method] = sc.PSNR
			if mask != nil {
				if s.Region[method], err = RegionPSNR(imgs[i], q.Output, mask); err != nil {
					return nil, err
				}
			}
		}
		out[i] = s
	}
	return out, nil
}
