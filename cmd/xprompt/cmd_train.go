package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"xprompt/core"

	"xprompt/data"
	"xprompt/model"
	"xprompt/train"
	"xprompt/vq"
)

func init() {
	register("train", "train an X-Prompt model (resumable, interruptible)", runTrain)
}

// loadVQ returns the image tokenizer at path, or the embedded default when
// path is empty, with its serialisation for checkpoints.
func loadVQ(path string) (*vq.Model, []byte, error) {
	var m *vq.Model
	var err error
	if path == "" {
		m, err = vq.Default()
	} else {
		var f *os.File
		if f, err = os.Open(path); err != nil {
			return nil, nil, fmt.Errorf("image tokenizer: %w", err)
		}
		defer f.Close()
		m, err = vq.Load(f)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("image tokenizer %s: %w", orDefault(path), err)
	}
	var buf bytes.Buffer
	if err := m.SaveFloat16(&buf); err != nil {
		return nil, nil, err
	}
	return m, buf.Bytes(), nil
}

// trainVQ returns the image tokenizer of a run: the file given, else the one
// stored in the checkpoint the run starts from (a model must keep the
// tokenizer it was trained with), else the embedded default.
func trainVQ(path string, ck *model.Checkpoint) (*vq.Model, []byte, error) {
	if path != "" || ck == nil || len(ck.VQ) == 0 {
		return loadVQ(path)
	}
	m, err := vq.Load(bytes.NewReader(ck.VQ))
	if err != nil {
		return nil, nil, fmt.Errorf("the checkpoint's image tokenizer: %w", err)
	}
	return m, ck.VQ, nil
}

// retokenize moves the model of ck from its own image tokenizer onto vqm
// (train.Retokenize), says so and returns true, unless the two are the same
// tokenizer (compared as float16, the precision checkpoints store, so one
// tokenizer saved at two precisions counts once). vqBlob is vqm in float16.
func retokenize(ck *model.Checkpoint, vqm *vq.Model, vqBlob []byte) (bool, error) {
	if len(ck.VQ) == 0 {
		return false, fmt.Errorf("the checkpoint holds no image tokenizer to move from")
	}
	old, err := vq.Load(bytes.NewReader(ck.VQ))
	if err != nil {
		return false, fmt.Errorf("the checkpoint's image tokenizer: %w", err)
	}
	var half bytes.Buffer
	if err := old.SaveFloat16(&half); err != nil {
		return false, err
	}
	if bytes.Equal(half.Bytes(), vqBlob) {
		return false, nil
	}
	if err := ck.Model.Cfg.CheckImageTokenizer(old.Config.Resolution, old.Config.Grid(), old.Config.Codes); err != nil {
		return false, err
	}
	rep, err := train.Retokenize(ck.Model, old, vqm)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(os.Stderr, "moved the image code embeddings onto the new tokenizer (%v)\n", rep)
	return true, nil
}

func orDefault(p string) string {
	if p == "" {
		return "(embedded default)"
	}
	return p
}

// interruptContext returns a context cancelled by the first Ctrl-C or
// SIGTERM (what a scheduler or "kill" sends: the run saves and stops as for
// Ctrl-C); a second signal exits at once.
func interruptContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		s, ok := <-ch
		if !ok {
			return
		}
		fmt.Fprintf(os.Stderr, "\n%v: stopping at the next step boundary (again to quit now)\n", s)
		cancel()
		if _, ok := <-ch; ok {
			os.Exit(130)
		}
	}()
	return ctx, func() { signal.Stop(ch); close(ch); cancel() }
}

func runTrain(args []string) error {
	fs := newFlags("train", "--preset P [--steps N] [--out FILE] [--ablate no-xprompt|no-text|no-reverse] [--resume FILE]")
	preset := fs.String("preset", "small", "model preset: "+strings.Join(model.PresetNames(), ", "))
	steps := fs.Int("steps", 0, "total steps (default: the preset's)")
	out := fs.String("out", "", "checkpoint file (default: runs/PRESET.ckpt)")
	resume := fs.String("resume", "", "continue the run saved in this checkpoint")
	initFrom := fs.String("init", "", "start a new run (fresh optimizer and schedule) from the weights and tokenizers of this checkpoint")
	hide := fs.Float64("hide-instruction", 0, "probability that a query comes without its instruction (the example alone says what to do)")
	hideDet := fs.Bool("hide-determined-only", false, "withhold query instructions (--hide-instruction) only where the example shows the operation: not for recolour, move, amounts and other tasks whose instruction names a parameter, unless --shared-params bound the sequence")
	shared := fs.Float64("shared-params", 0, "probability that a sequence's example makes its query's own edit (the same object, colour, place or amount) on another scene, for the families that allow it (xprompt tasks: shareable)")
	foreign := fs.Float64("foreign-instruction", 0, "probability that a sequence whose example shows its query's operation carries another family's instructions, so only the example says what to do (as for a held-out task whose words read like a seen one)")
	foreignEO := fs.Float64("example-only-foreign", 0, "probability that an example-only task (palette permutation, tone curve, --seeded family) carries a seen family's instructions: the seen families keep their words, and only an example that shows something else overrules them")
	paletteShared := fs.Float64("palette-shared", 0, "probability that a palette permutation's example holds the query's colours, so it shows where each of them goes (drawn apart, an example shows about a third)")
	stampShared := fs.Float64("stamp-shared", 0, "probability that a stamp's example adds it in the region the query's goes (--seeded), so it shows where as well as what (drawn apart, only what)")
	dropWords := fs.Float64("drop-words", 0, "probability that each instruction token is replaced by the unknown-word token (word dropout), so the model learns to follow the other words and the example when a word means nothing to it, as a held-out instruction's may")
	hideEx := fs.Float64("hide-example-instruction", 0, "probability that the in-context examples come without their instructions (the task is read from the images)")
	palette := fs.Float64("palette", -1, "share of image sequences that are random palette permutations (default: the preset's)")
	curves := fs.Float64("curves", 0, "share of the other image sequences that are random tone curves v → clip(a·v^e), a new task each time")
	seeded := fs.Float64("seeded", 0, "share of the remaining image sequences that are example-only tasks of the held-out kinds (overlay, stamp, dense map), a new task each time")
	seededKinds := fs.String("seeded-kinds", "", "example-only kinds drawn under --seeded: comma-separated overlay, stamp, dense (default: all three)")
	changedWeight := fs.Float64("changed-weight", 0, "loss weight multiplier of output image codes that differ from the input's (edits that change few codes; 0 or 1: none)")
	ablate := fs.String("ablate", "", "ablation: no-xprompt (causal in-context), no-text (no text tasks), no-reverse")
	vqPath := fs.String("vq", "", "image tokenizer file (default: the embedded one; with --init, the checkpoint's — another one moves the model onto it)")
	batch := fs.Int("batch", 0, "sequences per step (default: the preset's)")
	lr := fs.Float64("lr", 0, "peak learning rate (default: the preset's)")
	minLR := fs.Float64("min-lr", 0, "learning rate the cosine schedule ends at (default: the preset's 1e-4, or --lr when that is lower)")
	ema := fs.Float64("ema", 0, "keep a moving average of the weights with this decay (e.g. 0.999), saved in the checkpoint; xprompt export --ema writes it out")
	seed := fs.Uint64("seed", 1, "seed of the weights and the data stream")
	every := fs.Int("checkpoint-every", 100, "save a checkpoint every N steps")
	examples := fs.Int("examples", 1, "in-context examples per training sequence")
	xp := fs.Int("xp", 0, "X-Prompt tokens S (default: the preset's; with --init: the checkpoint's, and another count starts the new tokens from the learned ones)")
	layers := fs.Int("layers", 0, "transformer layers (default: the preset's; with --init: the checkpoint's, and more add layers that start as copies of their neighbours with zero output, so the model begins where it was)")
	pos2d := fs.Bool("pos2d", false, "learned row and column embeddings for image tokens (with --init: added at zero)")
	families := fs.String("families", "", "comma-separated image families to train on (default: every seen family)")
	familyWeights := fs.String("family-weights", "", "weights of image families in the draw, NAME=W,… (either direction names a reverse pair; others weigh 1)")
	device := fs.String("device", deviceDefault(), deviceNames)
	quiet := fs.Bool("quiet", false, "no progress bar")
	const resumeWhy = "continues the run as saved (its preset, seed, data mix, batch, learning rate and tokenizers)"
	if err := parseFlags(fs, args,
		atLeast("steps", 0), atLeast("batch", 0), atLeast("lr", 0), atLeast("min-lr", 0), inRange("checkpoint-every", 1, 1e9), inRange("examples", 1, 8), inRange("xp", 0, 256), inRange("layers", 0, 64), inRange("changed-weight", 0, 100), inRange("ema", 0, 0.999999),
		excludes("resume", resumeWhy, "preset", "seed", "examples", "batch", "lr", "min-lr", "ablate", "vq", "init",
			"hide-instruction", "hide-example-instruction", "hide-determined-only", "shared-params", "foreign-instruction", "example-only-foreign", "palette", "palette-shared", "curves", "seeded", "seeded-kinds", "changed-weight", "family-weights", "ema", "drop-words"),
		excludes("init", "takes the preset of the checkpoint it starts from", "preset"),
	); err != nil {
		return err
	}
	dev, err := resolveDevice(*device)
	if err != nil {
		return err
	}
	if *resume != "" && *initFrom != "" {
		return fmt.Errorf("%w: --resume and --init exclude each other", errUsage)
	}
	if *resume != "" && (*hide != 0 || *hideEx != 0 || *palette >= 0 || *curves != 0 || *seeded != 0 || *pos2d || *xp != 0 || *layers != 0 || *families != "") {
		return fmt.Errorf("%w: --resume continues the run's own data mix and model; --hide-instruction(s), --palette, --curves, --seeded, --families, --pos2d, --xp and --layers start a new run (--init)", errUsage)
	}
	weights, err := parseFamilyWeights(*familyWeights)
	if err != nil {
		return fmt.Errorf("%w: --family-weights: %v", errUsage, err)
	}
	if *hideDet && *hide == 0 {
		return fmt.Errorf("%w: --hide-determined-only narrows --hide-instruction, which is 0", errUsage)
	}
	prob := func(v float64) bool { return v >= 0 && v <= 1 } // false for NaN
	if !(prob(*palette) || *palette == -1) || !prob(*curves) || !prob(*seeded) || !prob(*hide) || !prob(*hideEx) || !prob(*shared) || !prob(*foreign) || !prob(*foreignEO) || !prob(*paletteShared) || !prob(*stampShared) || !prob(*dropWords) {
		return fmt.Errorf("%w: --palette, --palette-shared, --stamp-shared, --drop-words, --curves, --seeded, --shared-params, --foreign-instruction, --example-only-foreign and --hide-instruction(s) are probabilities in [0,1]", errUsage)
	}
	var ck *model.Checkpoint
	if from := *resume + *initFrom; from != "" {
		if ck, err = model.Load(from); err != nil {
			return err
		}
	}
	vqm, vqBlob, err := trainVQ(*vqPath, ck)
	if err != nil {
		return err
	}
	if ck != nil {
		if err := ck.Model.Cfg.CheckImageTokenizer(vqm.Config.Resolution, vqm.Config.Grid(), vqm.Config.Codes); err != nil {
			return err
		}
	}
	var run *train.Run
	if *resume != "" {
		if run, err = train.Resume(ck, vqm); err != nil {
			return fmt.Errorf("resume %s: %w", *resume, err)
		}
		if *steps > 0 {
			run.SetSteps(*steps)
		}
		fmt.Fprintf(os.Stderr, "resuming %s at step %d of %d\n", *resume, run.Step, run.Opts.Steps)
	} else {
		if ck != nil {
			*preset = ck.Model.Cfg.Preset
		}
		o := train.DefaultOptions(*preset)
		if _, err := model.Preset(*preset); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		o.Seed = *seed
		o.Data.Examples = *examples
		o.Data.HideInstruction = *hide
		o.Data.HideExampleInstruction = *hideEx
		o.Data.HideDeterminedOnly = *hideDet
		o.Data.SharedParams = *shared
		o.Data.ForeignInstruction = *foreign
		o.Data.ExampleOnlyForeign = *foreignEO
		o.Data.PaletteShared = *paletteShared
		o.Data.StampShared = *stampShared
		o.Data.DropWords = *dropWords
		if *palette >= 0 {
			o.Data.PaletteWeight = *palette
		}
		o.Data.CurveWeight = *curves
		o.Data.SeededWeight = *seeded
		o.ChangedWeight = float32(*changedWeight)
		o.EMA = float32(*ema)
		if *seededKinds != "" {
			o.Data.SeededKinds = strings.Split(*seededKinds, ",")
			for _, k := range o.Data.SeededKinds {
				if !slices.Contains(data.SeededKindNames, k) {
					return fmt.Errorf("%w: --seeded-kinds: unknown kind %q (want %s)", errUsage, k, strings.Join(data.SeededKindNames, ", "))
				}
			}
		}
		o.ImagePos2D = *pos2d
		o.XP = *xp
		o.Layers = *layers
		if *families != "" {
			o.Data.Families = strings.Split(*families, ",")
		}
		o.Data.FamilyWeights = weights
		if *steps > 0 {
			o.Steps = *steps
		}
		if *batch > 0 {
			o.Batch = *batch
		}
		if *lr > 0 {
			o.LR = float32(*lr)
		}
		switch {
		case *minLR > 0 && float32(*minLR) > o.LR:
			return fmt.Errorf("%w: --min-lr %g is above the peak learning rate %g", errUsage, *minLR, o.LR)
		case *minLR > 0:
			o.MinLR = float32(*minLR)
		case o.MinLR > o.LR: // a peak below the preset's floor: the schedule stays at it
			o.MinLR = o.LR
		}
		if err := applyAblation(&o, *ablate); err != nil {
			return err
		}
		if ck != nil && *vqPath != "" {
			if _, err := retokenize(ck, vqm, vqBlob); err != nil {
				return fmt.Errorf("init %s with --vq %s: %w", *initFrom, *vqPath, err)
			}
		}
		if ck != nil {
			if run, err = train.InitFrom(o, ck, vqm, vqBlob); err != nil {
				err = fmt.Errorf("init %s: %w", *initFrom, err)
			}
		} else {
			run, err = train.NewRun(o, data.NewTextTokenizer(o.Seed, 512), vqm, vqBlob)
		}
		if err != nil {
			return err
		}
		cfg, from := run.Model.Cfg, ""
		if ck != nil {
			from = " from " + *initFrom
			if old := ck.Model.Cfg; old.Layers != cfg.Layers || old.XP != cfg.XP {
				from += fmt.Sprintf(", resized from %d layers and %d X-Prompt tokens", old.Layers, old.XP)
			}
		}
		fmt.Fprintf(os.Stderr, "training %s%s (%d layers, %d X-Prompt tokens, %d parameters) for %d steps, batch %d, ablation %q\n",
			cfg.Preset, from, cfg.Layers, cfg.XP, run.Model.Params.Count(), o.Steps, o.Batch, *ablate)
	}
	if dev != core.CPU {
		if err := run.MoveTo(dev); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "training on %s\n", dev)
	}
	if *out == "" {
		*out = *resume
		if *out == "" && *initFrom != "" {
			return fmt.Errorf("%w: --init needs --out (the checkpoint it starts from is kept)", errUsage)
		}
		if *out == "" {
			os.MkdirAll("runs", 0o755)
			*out = "runs/" + run.Opts.Preset + ".ckpt"
		}
	}
	saved := -1 // the step of the checkpoint at *out written by or before this run; -1: none
	if *out == *resume {
		saved = run.Step
	}
	ctx, stop := interruptContext()
	defer stop()
	bar := newProgressBar(os.Stderr, !*quiet)
	for run.Step < run.Opts.Steps {
		n := min(*every, run.Opts.Steps-run.Step)
		err := run.Train(ctx, n, func(p train.Progress) { bar.update(p) })
		bar.done()
		if err != nil && !errors.Is(err, context.Canceled) {
			if errors.Is(err, train.ErrNonFinite) {
				if saved < 0 {
					return fmt.Errorf("%v\nstopped before the first checkpoint", err)
				}
				return fmt.Errorf("%v\nstopped; the last good checkpoint is %s (step %d)", err, *out, saved)
			}
			return err
		}
		if serr := run.Save(*out); serr != nil {
			return serr
		}
		saved = run.Step
		fmt.Fprintf(os.Stderr, "saved %s at step %d\n", *out, run.Step)
		if err != nil {
			return fmt.Errorf("interrupted at step %d; resume with: xprompt train --resume %s", run.Step, *out)
		}
	}
	if run.Opts.EMA > 0 {
		fmt.Fprintf(os.Stderr, "the checkpoint keeps a moving average of the weights (decay %g); write it with: xprompt export --ema %s OUT.xpm\n", run.Opts.EMA, *out)
	}
	return nil
}

func applyAblation(o *train.Options, ablate string) error {
	switch ablate {
	case "":
	case "no-xprompt":
		o.Data.Mode = model.ModeCausal
	case "no-text":
		o.Data.CaptionWeight, o.Data.DifferenceWeight, o.Data.TextToImageWeight = 0, 0, 0
	case "no-reverse":
		o.Data.Reverse = false
	default:
		return fmt.Errorf("%w: unknown ablation %q (want no-xprompt, no-text or no-reverse)", errUsage, ablate)
	}
	return nil
}

// progressBar draws one updating line: step, bar, loss, tokens/s, ETA.
// When w is not a terminal it prints a plain line every 10 steps instead.
type progressBar struct {
	w    *os.File
	on   bool
	tty  bool
	last time.Time
	line bool
}

func newProgressBar(w *os.File, on bool) *progressBar {
	st, err := w.Stat()
	return &progressBar{w: w, on: on, tty: err == nil && st.Mode()&os.ModeCharDevice != 0}
}

func (b *progressBar) update(p train.Progress) {
	if !b.on {
		return
	}
	if !b.tty {
		if p.Step%10 == 0 || p.Step == p.Total {
			fmt.Fprintf(b.w, "step %d/%d loss %.4f lr %.2e grad %.2f %.0f tok/s %s\n", p.Step, p.Total, p.Loss, p.LR, p.GradNorm, p.TokensPerS, time.Now().Format("15:04:05"))
		}
		return
	}
	if time.Since(b.last) < 200*time.Millisecond && p.Step != p.Total {
		return
	}
	b.last = time.Now()
	const width = 24
	fill := width * p.Step / max(p.Total, 1)
	fmt.Fprintf(b.w, "\r%6d/%d [%s%s] loss %.4f lr %.2e %5.0f tok/s", p.Step, p.Total,
		strings.Repeat("█", fill), strings.Repeat("·", width-fill), p.Loss, p.LR, p.TokensPerS)
	b.line = true
}

func (b *progressBar) done() {
	if b.line {
		fmt.Fprintln(b.w)
		b.line = false
	}
}

// parseFamilyWeights reads NAME=W,… into a map (nil for ""); the pipeline
// checks the names and values.
func parseFamilyWeights(spec string) (map[string]float64, error) {
	if spec == "" {
		return nil, nil
	}
	w := map[string]float64{}
	for _, item := range strings.Split(spec, ",") {
		name, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		f, err := strconv.ParseFloat(v, 64)
		if !ok || name == "" || err != nil {
			return nil, fmt.Errorf("%q: want NAME=WEIGHT", item)
		}
		if _, dup := w[name]; dup {
			return nil, fmt.Errorf("%s given twice", name)
		}
		w[name] = f
	}
	return w, nil
}
