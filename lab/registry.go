package lab

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"xprompt/data"
	"xprompt/infer"
	"xprompt/model"
	"xprompt/text"
)

// The model variants the tables train. Each is the suite's base options
// with one change.
const (
	VariantBase      = "base"       // X-Prompt, text tasks, reverse augmentation
	VariantCausal    = "causal"     // in-context without X-Prompt (--ablate no-xprompt)
	VariantFull      = "full"       // held-out families included in training
	VariantNoText    = "no-text"    // no caption, difference or text-to-image tasks
	VariantNoReverse = "no-reverse" // no reverse-task augmentation
)

// Trained is a model the lab trained (or loaded), with what it took.
type Trained struct {
	Name    string // variant: "base", "causal", "xp8", …
	Opts    TrainOptions
	Engine  *infer.Engine
	History []float32 // training loss per step (empty for a model loaded without history)
	// Source is the checkpoint the model was loaded from or saved to, or
	// "memory".
	Source string
	// Seconds is the training time spent in this process.
	Seconds float64
	// Loaded marks a model given by Config.Model rather than trained here.
	Loaded bool
	// defaults are the preset's training options, for TrainCommand.
	defaults TrainOptions
}

// TrainCommand returns the xprompt train command line equivalent to the
// model's training (flags differing from the preset's defaults).
func (t *Trained) TrainCommand() string {
	if t.Loaded {
		return "(loaded from " + t.Source + ")"
	}
	return trainCommand(t.Opts, t.defaults)
}

// trainCommand returns the xprompt train command line of options o, whose
// preset defaults are d.
func trainCommand(o TrainOptions, d TrainOptions) string {
	s := fmt.Sprintf("xprompt train --preset %s --steps %d --seed %d", o.Preset, o.Steps, o.Seed)
	if o.Batch != d.Batch {
		s += fmt.Sprintf(" --batch %d", o.Batch)
	}
	s += recipeFlags(o, d)
	switch {
	case o.Data.Mode == model.ModeCausal:
		s += " --ablate no-xprompt"
	case o.Data.TextToImageWeight == 0 && o.Data.CaptionWeight == 0:
		s += " --ablate no-text"
	case !o.Data.Reverse:
		s += " --ablate no-reverse"
	}
	if o.XP > 0 {
		s += fmt.Sprintf(" --xp %d", o.XP)
	}
	if o.Layers > 0 {
		s += fmt.Sprintf(" --layers %d", o.Layers)
	}
	if len(o.Data.Include) > 0 {
		s += " # with held-out families " + strings.Join(o.Data.Include, ",")
	}
	return s
}

// Registry trains each model variant once and shares it between tables,
// keeping checkpoints in a cache folder keyed by the training options.
type Registry struct {
	cfg    Config
	vqBlob []byte
	vqHash string
	texts  map[uint64]*text.Tokenizer
	models map[string]*Trained
	order  []*Trained
	// SaveEvery is the number of steps between checkpoints while training
	// into a cache folder.
	SaveEvery int
}

// NewRegistry returns a registry for cfg's preset, tokenizer and cache.
func NewRegistry(cfg Config) (*Registry, error) {
	if cfg.VQ == nil {
		return nil, fmt.Errorf("lab.NewRegistry: Config.VQ (the image tokenizer) is not set")
	}
	if cfg.Trainer == nil {
		return nil, fmt.Errorf("lab.NewRegistry: Config.Trainer (the training loop) is not set")
	}
	var buf bytes.Buffer
	if err := cfg.VQ.SaveFloat16(&buf); err != nil {
		return nil, fmt.Errorf("lab: image tokenizer: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	r := &Registry{cfg: cfg, vqBlob: buf.Bytes(), vqHash: hex.EncodeToString(sum[:]), texts: map[uint64]*text.Tokenizer{},
		models: map[string]*Trained{}, SaveEvery: 50}
	if cfg.Cache != "" {
		if err := os.MkdirAll(cfg.Cache, 0o755); err != nil {
			return nil, fmt.Errorf("lab: model cache: %w", err)
		}
		// Checkpoints are large and reproducible: keep them out of version control.
		ignore := filepath.Join(cfg.Cache, ".gitignore")
		if _, err := os.Stat(ignore); errors.Is(err, os.ErrNotExist) {
			os.WriteFile(ignore, []byte("*\n"), 0o644)
		}
	}
	return r, nil
}

// Options returns the training options of a variant: the preset's defaults
// with the config's recipe, steps, batch and seed, a warmup of at most a tenth of the
// steps, and the variant's change. Variant "xpS" sets S X-Prompt tokens.
func (r *Registry) Options(variant string) (TrainOptions, error) {
	c := r.cfg
	o := c.Trainer.Defaults(c.Preset)
	o.Steps, o.Seed = c.Steps, c.Seed
	o.Warmup = min(o.Warmup, max(c.Steps/10, 1))
	c.Recipe.apply(&o)
	if c.Batch > 0 {
		o.Batch = c.Batch
	}
	switch {
	case variant == VariantBase:
	case variant == VariantCausal:
		o.Data.Mode = model.ModeCausal
	case variant == VariantFull:
		o.Data.Include = heldOutPrimaries()
	case variant == VariantNoText:
		o.Data.CaptionWeight, o.Data.DifferenceWeight, o.Data.TextToImageWeight = 0, 0, 0
	case variant == VariantNoReverse:
		o.Data.Reverse = false
	case strings.HasPrefix(variant, "xp"):
		var s int
		if _, err := fmt.Sscanf(variant, "xp%d", &s); err != nil || s < 1 || s > 256 {
			return o, fmt.Errorf("lab: bad variant %q (want xpS with 1 ≤ S ≤ 256)", variant)
		}
		o.XP = s
	default:
		return o, fmt.Errorf("lab: unknown model variant %q", variant)
	}
	return o, nil
}

// heldOutPrimaries lists the held-out families of the novel-task table (their
// reverses come with reverse augmentation).
func heldOutPrimaries() []string { return append([]string(nil), NovelFamilies...) }

// XPVariant returns the variant with S X-Prompt tokens: the base model when
// S is the preset's.
func (r *Registry) XPVariant(s int) string {
	if p, err := model.Preset(r.cfg.Preset); err == nil && p.XP == s {
		return VariantBase
	}
	return fmt.Sprintf("xp%d", s)
}

// Trained returns the models obtained so far, in order of first use.
func (r *Registry) Trained() []*Trained { return append([]*Trained(nil), r.order...) }

// Get returns the variant's model, training it (or loading it from the
// cache) on first use. Cancelling ctx stops training at a step boundary;
// with a cache folder the run is saved first, so a later Get resumes it.
func (r *Registry) Get(ctx context.Context, variant string) (*Trained, error) {
	if t, ok := r.models[variant]; ok {
		return t, nil
	}
	var t *Trained
	var err error
	if variant == VariantBase && r.cfg.Model != "" {
		t, err = r.load(r.cfg.Model)
	} else {
		t, err = r.train(ctx, variant)
	}
	if err != nil {
		return nil, err
	}
	r.models[variant] = t
	r.order = append(r.order, t)
	return t, nil
}

// load returns the model of a checkpoint file (or the embedded default),
// with its loss history when the checkpoint holds one.
func (r *Registry) load(path string) (*Trained, error) {
	r.cfg.say("", "loading the base model from %s", path)
	if path == "default" {
		eng, err := infer.Default()
		if err != nil {
			return nil, err
		}
		d := r.cfg.Trainer.Defaults(eng.Model.Cfg.Preset)
		return &Trained{Name: VariantBase, Engine: eng, Source: "default", Opts: d, Loaded: true, defaults: d}, nil
	}
	ck, err := model.Load(path)
	if err != nil {
		return nil, err
	}
	eng, err := infer.FromCheckpoint(ck, path)
	if err != nil {
		return nil, err
	}
	d := r.cfg.Trainer.Defaults(eng.Model.Cfg.Preset)
	t := &Trained{Name: VariantBase, Engine: eng, Source: path, Opts: d, Loaded: true, defaults: d}
	if run, err := r.cfg.Trainer.Resume(ck, eng.VQ); err == nil {
		t.History, t.Opts = run.History(), run.Options()
	}
	return t, nil
}

// cachePath returns the checkpoint file of the options, named by preset,
// variant and a hash of the options and the image tokenizer.
func (r *Registry) cachePath(variant string, o TrainOptions) string {
	if r.cfg.Cache == "" {
		return ""
	}
	js, _ := json.Marshal(o)
	h := sha256.Sum256(append(js, r.vqHash...))
	return filepath.Join(r.cfg.Cache, fmt.Sprintf("%s-%s-%s.ckpt", o.Preset, variant, hex.EncodeToString(h[:6])))
}

// text returns the BPE tokenizer of a seed, training it once.
func (r *Registry) text(seed uint64) *text.Tokenizer {
	if t, ok := r.texts[seed]; ok {
		return t
	}
	t := data.NewTextTokenizer(seed, model.Presets[r.cfg.Preset].Vocab.TextSize)
	r.texts[seed] = t
	return t
}

// train trains a variant, resuming a cached checkpoint when there is one.
func (r *Registry) train(ctx context.Context, variant string) (*Trained, error) {
	o, err := r.Options(variant)
	if err != nil {
		return nil, err
	}
	path := r.cachePath(variant, o)
	var run TrainRun
	if path != "" {
		if ck, err := model.Load(path); err == nil {
			if run, err = r.cfg.Trainer.Resume(ck, r.cfg.VQ); err != nil {
				r.cfg.say("", "cached %s is unusable (%v); training again", path, err)
				run = nil
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			r.cfg.say("", "cached %s is unreadable (%v); training again", path, err)
		}
	}
	if run == nil {
		if run, err = r.cfg.Trainer.Start(o, r.text(o.Seed), r.cfg.VQ, r.vqBlob); err != nil {
			return nil, fmt.Errorf("lab: model %s: %w", variant, err)
		}
	}
	ro := run.Options()
	t := &Trained{Name: variant, Opts: ro, Source: "memory", defaults: r.cfg.Trainer.Defaults(ro.Preset)}
	if path != "" {
		t.Source = path
	}
	if run.Step() < ro.Steps {
		r.cfg.say("", "training %s: %s, steps %d to %d", variant, trainCommand(ro, t.defaults), run.Step()+1, ro.Steps)
	}
	start, resumedAt := time.Now(), run.Step()
	every := r.SaveEvery
	if path == "" || every < 1 {
		every = ro.Steps
	}
	for run.Step() < ro.Steps {
		n := min(every, ro.Steps-run.Step())
		terr := run.Train(ctx, n, func(step, total int, loss float64) {
			r.cfg.event(Event{Model: variant, Step: step, Total: total, Loss: loss})
		})
		if path != "" && (terr == nil || errors.Is(terr, context.Canceled) || errors.Is(terr, context.DeadlineExceeded)) {
			if err := r.save(run, path); err != nil {
				return nil, err
			}
		}
		if terr != nil {
			return nil, fmt.Errorf("lab: training %s: %w", variant, terr)
		}
	}
	if run.Step() > resumedAt {
		t.Seconds = time.Since(start).Seconds()
	}
	t.History = run.History()
	eng, err := infer.New(run.Model(), run.Text(), r.cfg.VQ, t.Source)
	if err != nil {
		return nil, err
	}
	t.Engine = eng
	return t, nil
}

// save writes the run's checkpoint; a finished run is saved without its
// optimizer state, which only resuming needs.
func (r *Registry) save(run TrainRun, path string) error {
	ck, err := run.Checkpoint()
	if err != nil {
		return err
	}
	if run.Step() >= run.Options().Steps {
		ck.Optim = nil
	}
	if err := ck.Save(path, false); err != nil {
		return fmt.Errorf("lab: saving %s: %w", path, err)
	}
	return nil
}

// NovelFamilies are the held-out families of the paper's Table 4.
var NovelFamilies = []string{"lowlight", "derain", "add_object", "remove_object", "depth"}
