package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"xprompt/img"
	"xprompt/model"
	"xprompt/tasks"
	"xprompt/text"
)

// ImageCodec turns images into code grids and back (the VQ tokenizer).
type ImageCodec interface {
	Encode(imgs []*img.Image) [][]int32
	Decode(codes [][]int32) []*img.Image
}

// Config says what the training stream holds.
type Config struct {
	// ImageWeight, CaptionWeight, DifferenceWeight and TextToImageWeight mix
	// the image → image families with the three text tasks.
	ImageWeight, CaptionWeight, DifferenceWeight, TextToImageWeight float64
	// PaletteWeight is the weight of random palette permutations (a new task
	// each time, learnable only from context) within the image families.
	PaletteWeight float64
	// CurveWeight is the weight of random tone curves v → clip(a·v^e)
	// (tasks.ToneCurveFamily, a new curve each time) among the image
	// families that are not palette permutations.
	CurveWeight float64
	// SeededWeight is the weight, among the image families that are neither
	// palette permutations nor tone curves, of the example-only families of
	// the held-out kinds (tasks.OverlayFamily, StampFamily, DenseFamily, a
	// new task each time, the three kinds equally often).
	SeededWeight float64
	// SeededKinds restricts the example-only families to these kinds
	// ("overlay", "stamp", "dense"); empty means all three.
	SeededKinds []string
	// Reverse trains every pair in both directions (x → y and y → x).
	Reverse bool
	// HideInstruction is the probability that a query of an image family
	// comes without its instruction, so that only the in-context example
	// says what to do (as for a task whose name the model never read).
	HideInstruction float64
	// HideExampleInstruction is the probability that the in-context
	// examples of an image family come without their instructions, so that
	// the task must be read from the example images (as for a novel task,
	// whose instruction words mean nothing to the model).
	HideExampleInstruction float64
	// HideDeterminedOnly withholds query instructions (HideInstruction)
	// only for sequences whose example shows the query's operation
	// (Determined: tasks.Family.Parameterised false, or bound by
	// SharedParams): a recolour, move or amount drawn anew for the query is
	// not in its example, and without its instruction the query has no
	// single answer.
	HideDeterminedOnly bool `json:",omitempty"`
	// SharedParams is the probability that a sequence's examples and query
	// share what the instruction names (tasks.Family.Bind: the same object,
	// colour, place or amount), so that the example shows the query's own
	// edit on another scene. Families that are not bindable ignore it.
	SharedParams float64 `json:",omitempty"`
	// PaletteShared is the probability that a palette permutation's
	// examples and query hold objects of the same colours (tasks.Family.Bind),
	// so that the example shows where every colour of the query goes; drawn
	// independently, an example shows the mapping of a third of them.
	PaletteShared float64 `json:",omitempty"`
	// StampShared is the probability that a stamp's examples and query put
	// it in the same region (tasks.Family.Bind), so that the example shows
	// where the query's goes; drawn apart, it shows only what the stamp is.
	StampShared float64 `json:",omitempty"`
	// DropWords is the probability that each instruction token is laid out
	// as model.UnknownText instead (word dropout): the model learns to do
	// what the rest of the instruction and the example say when a word is
	// missing, as a held-out instruction's words mean nothing it was taught.
	DropWords float64 `json:",omitempty"`
	// ForeignInstruction is the probability that a sequence whose example
	// shows its query's operation (see Determined) carries, on every
	// example and the query, the instructions of a seen family of another
	// kind (geometry gets an edit's words, an edit a dense map's), so
	// that the words point elsewhere and only the example's images say what
	// to do: as for a held-out task, whose instruction reads like a seen
	// one ("put a magenta triangle on the left" reads like a move).
	ForeignInstruction float64 `json:",omitempty"`
	// ExampleOnlyForeign is the probability that a sequence of an
	// example-only task (a palette permutation, tone curve or seeded
	// family, whose own words name nothing the model could know) carries,
	// on every example and the query, the instructions of a seen family of
	// any kind. Unlike ForeignInstruction the seen families keep their
	// words: the words stay true where the example agrees with them, and
	// only an example that shows something else (as a held-out task's does)
	// overrules them. Where above 0, it alone decides the words of the
	// example-only tasks (ForeignInstruction then leaves them).
	ExampleOnlyForeign float64 `json:",omitempty"`
	// Examples is the number of in-context examples per sequence.
	Examples int
	// Mode lays out sequences with X-Prompt tokens or the causal baseline.
	Mode model.Mode
	// Families restricts image families to these names (default: all seen).
	Families []string
	// FamilyWeights weighs the draw of the image families named (either
	// direction of a reverse pair names the pair); the others weigh 1.
	// Palette permutations, tone curves and example-only families keep their
	// own shares. Nil: every family equally often.
	FamilyWeights map[string]float64
	// Include adds these held-out families (and, with Reverse, their
	// reverses) to the image families, whatever Families says: the "full
	// training" comparison of the novel-task table (families.go).
	Include []string
}

// DefaultConfig is the data mix of the presets.
func DefaultConfig() Config {
	return Config{ImageWeight: 1, CaptionWeight: 0.1, DifferenceWeight: 0.1, TextToImageWeight: 0.1,
		PaletteWeight: 0.15, Reverse: true, Examples: 1, Mode: model.ModeXPrompt}
}

// paletteSeedLimit bounds the palette permutations and tone curves seen in
// training; seeds at or above it are reserved for evaluation.
const paletteSeedLimit = 1 << 20

// Pipeline turns task families into token sequences.
type Pipeline struct {
	Cfg     Config
	Size    int // image size in pixels
	Side    int // code grid side
	Builder *model.Builder
	Images  ImageCodec

	primaries []*tasks.Family                   // image families, one direction of each reverse pair
	cumWeight []float64                         // cumulative FamilyWeights over primaries; nil: uniform
	seeded    []func(seed uint64) *tasks.Family // the example-only kinds drawn
}

// SeededKindNames are the kinds of example-only families, in draw order;
// seededKindFamilies holds their constructors in the same order.
var (
	SeededKindNames    = []string{"overlay", "stamp", "dense"}
	seededKindFamilies = []func(seed uint64) *tasks.Family{tasks.OverlayFamily, tasks.StampFamily, tasks.DenseFamily}
)

// seededKinds returns the constructors of the example-only kinds named
// (all three when none is), or an error naming an unknown kind.
func seededKinds(names []string) ([]func(uint64) *tasks.Family, error) {
	if len(names) == 0 {
		return seededKindFamilies, nil
	}
	var out []func(uint64) *tasks.Family
	seen := map[string]bool{}
	for _, n := range names {
		i := slices.Index(SeededKindNames, n)
		if i < 0 {
			return nil, fmt.Errorf("unknown example-only kind %q (want one of %s)", n, strings.Join(SeededKindNames, ", "))
		}
		if !seen[n] {
			out = append(out, seededKindFamilies[i])
			seen[n] = true
		}
	}
	return out, nil
}

// NewPipeline returns a pipeline for the given data config and tokenizers.
func NewPipeline(cfg Config, mcfg model.Config, tok *text.Tokenizer, codec ImageCodec, exampleWeight float32) (*Pipeline, error) {
	p := &Pipeline{Cfg: cfg, Size: mcfg.ImageSize, Side: mcfg.ImageSide, Images: codec,
		Builder: &model.Builder{Vocab: mcfg.Vocab, Text: tok, XP: mcfg.XP, ExampleWeight: exampleWeight}}
	if tok.VocabSize() > mcfg.Vocab.TextSize {
		return nil, fmt.Errorf("text tokenizer has %d tokens, the model has room for %d", tok.VocabSize(), mcfg.Vocab.TextSize)
	}
	allowed := map[string]bool{}
	for _, n := range cfg.Families {
		f, err := tasks.ByName(n)
		if err != nil {
			return nil, err
		}
		allowed[f.Name] = true
	}
	fams, err := cfg.trainFamilies()
	if err != nil {
		return nil, err
	}
	seenAsReverse := map[string]bool{}
	for _, f := range fams {
		if f.Kind == tasks.KindText || seenAsReverse[f.Name] || (len(allowed) > 0 && !allowed[f.Name] && !f.HeldOut) {
			continue
		}
		p.primaries = append(p.primaries, f)
		if f.Reverse != "" && f.Reverse != f.Name {
			seenAsReverse[f.Reverse] = true
		}
	}
	if len(p.primaries) == 0 && cfg.ImageWeight > 0 {
		return nil, fmt.Errorf("no image families to train on")
	}
	if err := p.setWeights(cfg.FamilyWeights); err != nil {
		return nil, err
	}
	if p.seeded, err = seededKinds(cfg.SeededKinds); err != nil {
		return nil, err
	}
	return p, nil
}

// setWeights checks the family weights and accumulates them over the
// primaries.
func (p *Pipeline) setWeights(w map[string]float64) error {
	if len(w) == 0 {
		return nil
	}
	weight := make([]float64, len(p.primaries))
	for i := range weight {
		weight[i] = 1
	}
	for name, v := range w {
		if !(v > 0 && v < math.Inf(1)) {
			return fmt.Errorf("family weight %s=%v: want a positive finite number", name, v)
		}
		i := slices.IndexFunc(p.primaries, func(f *tasks.Family) bool { return f.Name == name || f.Reverse == name })
		if i < 0 {
			if _, err := tasks.ByName(name); err != nil {
				return fmt.Errorf("family weight: %w", err)
			}
			return fmt.Errorf("family weight %s: the family is not in the training stream", name)
		}
		weight[i] = v
	}
	p.cumWeight = make([]float64, len(weight))
	sum := 0.0
	for i, v := range weight {
		sum += v
		p.cumWeight[i] = sum
	}
	return nil
}

// pickPrimary draws an image family: uniformly, or by FamilyWeights.
func (p *Pipeline) pickPrimary(rng *rand.Rand) *tasks.Family {
	if p.cumWeight == nil {
		return p.primaries[rng.IntN(len(p.primaries))]
	}
	r := rng.Float64() * p.cumWeight[len(p.cumWeight)-1]
	i := slices.IndexFunc(p.cumWeight, func(c float64) bool { return r < c })
	if i < 0 { // r rounded up to the total
		i = len(p.primaries) - 1
	}
	return p.primaries[i]
}

// pickFamily draws the family of the next sequence, whether to reverse it
// and whether it is an example-only task (palette permutation, tone curve,
// seeded family).
func (p *Pipeline) pickFamily(rng *rand.Rand) (f *tasks.Family, rev, exampleOnly bool, err error) {
	c := p.Cfg
	total := c.ImageWeight + c.CaptionWeight + c.DifferenceWeight + c.TextToImageWeight
	r := rng.Float64() * total
	name := ""
	switch {
	case r < c.ImageWeight:
		if rng.Float64() < c.PaletteWeight {
			f := tasks.PalettePermutation(uint64(rng.IntN(paletteSeedLimit)))
			return f, c.Reverse && rng.IntN(2) == 0, true, nil
		}
		if c.CurveWeight > 0 && rng.Float64() < c.CurveWeight {
			f := tasks.ToneCurveFamily(uint64(rng.IntN(paletteSeedLimit)))
			return f, c.Reverse && rng.IntN(2) == 0, true, nil
		}
		if c.SeededWeight > 0 && rng.Float64() < c.SeededWeight {
			seed := uint64(rng.IntN(paletteSeedLimit))
			f := p.seeded[rng.IntN(len(p.seeded))](seed)
			return f, c.Reverse && f.Reverse != "" && rng.IntN(2) == 0, true, nil
		}
		f := p.pickPrimary(rng)
		return f, c.Reverse && f.Reverse != "" && rng.IntN(2) == 0, false, nil
	case r < c.ImageWeight+c.CaptionWeight:
		name = "caption"
	case r < c.ImageWeight+c.CaptionWeight+c.DifferenceWeight:
		name = "describe_difference"
	default:
		name = "text_to_image"
	}
	f, err = tasks.ByName(name)
	return f, false, false, err
}

// Draw returns the query and in-context examples of one sequence: n+1
// examples of the same family (and direction), bound with probability
// SharedParams, and, where the example shows the query's operation, with
// another kind's instructions with probability ForeignInstruction (an
// example-only task: a seen family's, with probability ExampleOnlyForeign).
func (p *Pipeline) Draw(rng *rand.Rand) ([]tasks.Example, error) {
	exs, _, err := p.draw(rng)
	return exs, err
}

// draw is Draw, also reporting whether the examples show the query's
// operation (Determined).
func (p *Pipeline) draw(rng *rand.Rand) ([]tasks.Example, bool, error) {
	f, rev, exampleOnly, err := p.pickFamily(rng)
	if err != nil {
		return nil, false, err
	}
	if p.Cfg.SharedParams > 0 && rng.Float64() < p.Cfg.SharedParams { // no draw at 0: old seeds give the same data
		if seed := rng.Uint64(); !exampleOnly { // palette permutations bind under PaletteShared alone
			f = f.Bind(seed)
		}
	}
	if share := p.Cfg.PaletteShared; exampleOnly {
		if f.BindsPlace() {
			share = p.Cfg.StampShared
		}
		if _, bindable := f.Bindable(); share > 0 && bindable && rng.Float64() < share {
			f = f.Bind(rng.Uint64())
		}
	}
	exs := SampleExamples(f, rev, p.Cfg.Examples+1, rng, p.Size)
	determined := Determined(f, rev)
	switch { // no draw at 0: old seeds give the same data
	case p.Cfg.ExampleOnlyForeign > 0 && exampleOnly:
		if rng.Float64() < p.Cfg.ExampleOnlyForeign {
			p.foreignInstructions(exs, rng, func(*tasks.Family) bool { return true })
		}
	case p.Cfg.ForeignInstruction > 0 && determined:
		if rng.Float64() < p.Cfg.ForeignInstruction {
			p.foreignInstructions(exs, rng, func(g *tasks.Family) bool { return g.Kind != f.Kind })
		}
	}
	return exs, determined, nil
}

// Determined reports whether an example of image family f (reversed if
// rev) shows exactly what another example's instruction asks: the
// direction's instruction names nothing drawn per example, or f is bound
// (tasks.Family.Bind) and the direction is bindable.
func Determined(f *tasks.Family, rev bool) bool {
	if f.Kind == tasks.KindText {
		return false
	}
	d := f
	if rev && f.Reverse != "" {
		r, err := tasks.ByName(f.Reverse)
		if err != nil {
			return false
		}
		d = r
	}
	_, bindable := d.Bindable()
	return !d.Parameterised() || (f.Bound() && bindable)
}

// foreignInstructions gives the examples exs the instructions of examples
// of an image family of the stream that ok accepts (either direction), one
// per example; with no such family it leaves them. ForeignInstruction
// accepts only another kind than the sequence's, because within one the
// words would also mislead where the example cannot settle them: trained
// with flip_v's instructions on flips half the time, a model no longer
// tells flip_h from flip_v by their words.
func (p *Pipeline) foreignInstructions(exs []tasks.Example, rng *rand.Rand, ok func(*tasks.Family) bool) {
	var others []*tasks.Family
	for _, g := range p.primaries {
		if ok(g) {
			others = append(others, g)
		}
	}
	if len(others) == 0 {
		return
	}
	g := others[rng.IntN(len(others))]
	rev := g.Reverse != "" && rng.IntN(2) == 0
	for i, e := range SampleExamples(g, rev, len(exs), rng, p.Size) {
		exs[i].Instruction = e.Instruction
	}
}

// SampleExamples draws n examples of family f (reversed if rev).
func SampleExamples(f *tasks.Family, rev bool, n int, rng *rand.Rand, size int) []tasks.Example {
	out := make([]tasks.Example, 0, n)
	for len(out) < n {
		e := f.Sample(rng, size)
		if rev {
			if r, ok := e.Reversed(); ok {
				e = r
			}
		}
		out = append(out, e)
	}
	return out
}

// Pairs tokenises task examples into model pairs, encoding all their images
// in one call.
func (p *Pipeline) Pairs(exs []tasks.Example) ([]model.Pair, error) {
	var imgs []*img.Image
	for _, e := range exs {
		for _, m := range []*img.Image{e.Input, e.SecondInput, e.Output} {
			if m != nil {
				if m.W != p.Size || m.H != p.Size {
					return nil, fmt.Errorf("family %s: %d×%d image, the model takes %d×%d", e.Family, m.W, m.H, p.Size, p.Size)
				}
				imgs = append(imgs, m)
			}
		}
	}
	codes := p.Images.Encode(imgs)
	next := func() []int32 { c := codes[0]; codes = codes[1:]; return c }
	out := make([]model.Pair, len(exs))
	for i, e := range exs {
		pr := model.Pair{Instruction: e.Instruction, Side: p.Side}
		if e.Input != nil {
			pr.Input = next()
		}
		if e.SecondInput != nil {
			pr.Input2 = next()
		}
		if e.Output != nil {
			pr.Output = next()
		} else {
			pr.OutputText = e.Text
			pr.TextTarget = true
		}
		out[i] = pr
	}
	return out, nil
}

// Sequences draws n training sequences.
func (p *Pipeline) Sequences(rng *rand.Rand, n int) ([]*model.Sequence, error) {
	var groups [][]tasks.Example
	var flat []tasks.Example
	var determined []bool
	for i := 0; i < n; i++ {
		g, det, err := p.draw(rng)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
		determined = append(determined, det)
		flat = append(flat, g...)
	}
	pairs, err := p.Pairs(flat)
	if err != nil {
		return nil, err
	}
	seqs := make([]*model.Sequence, n)
	for i, g := range groups {
		ps := pairs[:len(g)]
		pairs = pairs[len(g):]
		if p.Cfg.HideInstruction > 0 && len(ps) > 1 && !ps[0].TextTarget && rng.Float64() < p.Cfg.HideInstruction {
			// The draw above is made with or without HideDeterminedOnly, so
			// one seed gives the same sequences either way (a paired control).
			if !p.Cfg.HideDeterminedOnly || determined[i] {
				ps[0].Instruction = ""
			}
		}
		if p.Cfg.HideExampleInstruction > 0 && len(ps) > 1 && !ps[0].TextTarget && rng.Float64() < p.Cfg.HideExampleInstruction {
			for j := 1; j < len(ps); j++ {
				ps[j].Instruction = ""
			}
		}
		b := p.Builder
		if p.Cfg.DropWords > 0 { // no draw at 0: old seeds give the same data
			drop := *p.Builder
			drop.DropWord = func() bool { return rng.Float64() < p.Cfg.DropWords }
			b = &drop
		}
		s, err := b.Build(ps[1:], ps[0], p.Cfg.Mode)
		if err != nil {
			return nil, fmt.Errorf("family %s: %w", g[0].Family, err)
		}
		seqs[i] = s
	}
	return seqs, nil
}

// TextCorpus returns the instructions, captions and descriptions of n
// examples drawn from every family, the corpus the BPE tokenizer learns.
func TextCorpus(seed uint64, n, size int) []string {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	fams := tasks.All()
	var out []string
	for i := 0; i < n; i++ {
		f := fams[i%len(fams)]
		if i%7 == 0 {
			f = tasks.PalettePermutation(uint64(rng.IntN(1000)))
		}
		e := f.Sample(rng, size)
		out = append(out, e.Instruction, e.Text, e.Description)
		if r, ok := e.Reversed(); ok {
			out = append(out, r.Instruction, r.Description)
		}
	}
	for i := 0; i < 64; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

// NewTextTokenizer trains the BPE tokenizer of the given vocabulary size on
// the task corpus, deterministically from seed.
func NewTextTokenizer(seed uint64, vocab int) *text.Tokenizer {
	return text.Train(TextCorpus(seed, 6000, 16), vocab, nil)
}
