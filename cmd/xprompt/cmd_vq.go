package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"xprompt/atomicfile"

	"xprompt/img"
	"xprompt/model"
	"xprompt/vq"
)

func init() {
	register("vq", "train, evaluate or extract the VQ-VAE image tokenizer (vq train | vq eval | vq extract)", runVQ)
}

func runVQ(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: xprompt vq train|eval|extract [flags]", errUsage)
	}
	switch args[0] {
	case "train":
		return runVQTrain(args[1:])
	case "eval":
		return runVQEval(args[1:])
	case "extract":
		return runVQExtract(args[1:])
	}
	return fmt.Errorf("%w: unknown vq command %q (want train, eval or extract)", errUsage, args[0])
}

// runVQExtract implements `xprompt vq extract --out FILE CHECKPOINT`: it
// writes the image tokenizer a checkpoint carries (the one its model was
// trained with), byte for byte, as a tokenizer file for --vq.
func runVQExtract(args []string) error {
	fs := newFlags("vq extract", "[--out FILE] CHECKPOINT")
	out := fs.String("out", "tokenizer.vq", "file to write the tokenizer to")
	if err := parseFlags(fs, args, nArgs(1, 1, "'xprompt vq extract [--out FILE] CHECKPOINT'")); err != nil {
		return err
	}
	ck, err := model.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	if len(ck.VQ) == 0 {
		return fmt.Errorf("%s carries no image tokenizer", fs.Arg(0))
	}
	if _, err := vq.Load(bytes.NewReader(ck.VQ)); err != nil {
		return fmt.Errorf("%s: its image tokenizer: %w", fs.Arg(0), err)
	}
	if err := atomicfile.WriteFile(*out, ck.VQ, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d bytes), the image tokenizer of %s\n", *out, len(ck.VQ), fs.Arg(0))
	return nil
}

// runVQTrain implements `xprompt vq train`: it trains a tokenizer on the
// synthetic world (vq.WorldImages), logs progress, evaluates it on the
// held-out clean scenes and saves it. Ctrl-C stops training and saves what
// has been learnt.
func runVQTrain(args []string) error {
	fs := newFlags("vq train", "[--steps N] [--seed S] [--out FILE] [architecture and optimiser flags]")
	steps := fs.Int("steps", 10000, "optimisation steps")
	seed := fs.Uint64("seed", 1, "seed of the initial weights and of the data order")
	out := fs.String("out", "tokenizer.vq", "file to write the trained tokenizer to")
	cfg := vq.DefaultConfig
	fs.IntVar(&cfg.Resolution, "resolution", cfg.Resolution, "image side in pixels")
	fs.IntVar(&cfg.Downsample, "downsample", cfg.Downsample, "pixels per code along each axis: 2, 4 or 8")
	fs.IntVar(&cfg.Channels, "channels", cfg.Channels, "encoder/decoder width at full resolution")
	fs.IntVar(&cfg.ResBlocks, "res-blocks", cfg.ResBlocks, "residual blocks per reduced resolution")
	fs.IntVar(&cfg.Codes, "codes", cfg.Codes, "codebook size")
	fs.IntVar(&cfg.CodeDim, "code-dim", cfg.CodeDim, "code dimension")
	var opts vq.TrainOptions
	fs.IntVar(&opts.Batch, "batch", 8, "images per step")
	lr := fs.Float64("lr", 2e-3, "peak learning rate")
	logEvery := fs.Int("log-every", 50, "print progress every N steps")
	saveEvery := fs.Int("save-every", 1000, "also save the model every N steps (0: only at the end)")
	half := fs.Bool("float16", false, "store the weights as float16 (half the file size)")
	initFile := fs.String("init", "", "continue training the tokenizer in this file (its architecture replaces the flags above) for --steps more steps")
	taskShare := fs.Float64("task-outputs", 0, "fraction of the images drawn from the output images of --families (the rest from the world's mix)")
	families := fs.String("families", "", "comma-separated task families whose outputs --task-outputs draws, uniformly over the list (a family named twice is drawn twice as often; default: every family with an image output)")
	if err := parseFlags(fs, args, atLeast("steps", 1), atLeast("log-every", 1), atLeast("batch", 1), atLeast("save-every", 0)); err != nil {
		return err
	}
	if *taskShare < 0 || *taskShare > 1 {
		return fmt.Errorf("%w: --task-outputs must be in [0, 1], got %g", errUsage, *taskShare)
	}
	if *families != "" && *taskShare == 0 {
		return fmt.Errorf("%w: --families names the task outputs of --task-outputs, which is 0", errUsage)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *steps < 1 || *logEvery < 1 || opts.Batch < 1 || *lr <= 0 || *saveEvery < 0 {
		return fmt.Errorf("%w: --steps, --log-every, --batch and --lr must be positive", errUsage)
	}
	opts.LR, opts.Seed = float32(*lr), *seed

	m := vq.New(cfg, *seed)
	if *initFile != "" {
		var err error
		if m, err = loadTokenizer(*initFile); err != nil {
			return err
		}
		cfg = m.Config
		fmt.Printf("vq train: continuing %s from step %d\n", *initFile, m.Steps)
	}
	fmt.Printf("vq train: %d×%d px → %d×%d codes of %d (dim %d), %d parameters, %d steps of %d images\n",
		cfg.Resolution, cfg.Resolution, cfg.Grid(), cfg.Grid(), cfg.Codes, cfg.CodeDim, m.Params.Count(), *steps, opts.Batch)
	data := vq.WorldImages(cfg.Resolution)
	if *taskShare > 0 {
		names := vq.ImageFamilies()
		if *families != "" {
			names = strings.Split(*families, ",")
		}
		outputs, err := vq.TaskOutputs(cfg.Resolution, names)
		if err != nil {
			return fmt.Errorf("%w: --families: %v", errUsage, err)
		}
		data = vq.Mix(data, outputs, *taskShare)
		fmt.Printf("vq train: %.0f%% of the images are outputs of %d task families\n", 100**taskShare, len(names))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	var sumLoss, sumPSNR float64
	var n int
	var saveErr error
	first, last := m.Steps, m.Steps+*steps
	err := m.Train(ctx, data, *steps, opts, func(step int, loss, psnr float64) {
		sumLoss, sumPSNR, n = sumLoss+loss, sumPSNR+psnr, n+1
		if (step-first)%*logEvery == 0 || step == last {
			fmt.Printf("step %6d  loss %.5f  batch PSNR %.2f dB  codes used %.2f  restarts %d  %s\n",
				step, sumLoss/float64(n), sumPSNR/float64(n), m.RecentUsage(100), m.Restarts(), time.Since(start).Round(time.Second))
			sumLoss, sumPSNR, n = 0, 0, 0
		}
		if *saveEvery > 0 && (step-first)%*saveEvery == 0 && step < last && saveErr == nil {
			saveErr = saveTokenizer(*out, m, *half)
		}
	})
	if saveErr != nil {
		return saveErr
	}
	if errors.Is(err, context.Canceled) {
		fmt.Printf("interrupted after %d steps; saving what was learnt\n", m.Steps)
	} else if err != nil {
		return err
	}
	stop()
	if err := saveTokenizer(*out, m, *half); err != nil {
		return err
	}
	fmt.Printf("saved %s (%d steps, %s)\n", *out, m.Steps, time.Since(start).Round(time.Second))
	rec, err := evalSet(m, "clean", nil, 256)
	if err != nil {
		return err
	}
	return printEval(os.Stdout, []evalRecord{rec}, false)
}

// saveTokenizer writes m to path atomically, so that an interrupted save
// never leaves a broken file behind.
func saveTokenizer(path string, m *vq.Model, half bool) error {
	save := m.Save
	if half {
		save = m.SaveFloat16
	}
	return atomicfile.Write(path, 0o644, save)
}

// evalRecord is one line of `xprompt vq eval --json`.
type evalRecord struct {
	Resolution int     `json:"resolution"`
	Downsample int     `json:"downsample"`
	Codes      int     `json:"codes"`
	Set        string  `json:"set"`
	Images     int     `json:"images"`
	PSNR       float64 `json:"psnr"`
	SSIM       float64 `json:"ssim"`
	Usage      float64 `json:"usage"`
}

// runVQEval implements `xprompt vq eval`: reconstruction quality and codebook
// usage of a tokenizer on the held-out clean and degraded scenes, or on the
// images of a folder.
func runVQEval(args []string) error {
	fs := newFlags("vq eval", "[--json] [--dir DIR | --families LIST] [--model FILE] [--n N]")
	asJSON := fs.Bool("json", false, "one JSON object per set and line")
	dir := fs.String("dir", "", "evaluate the PNG/JPEG images of DIR (centre-cropped and resized) instead of the synthetic sets")
	model := fs.String("model", "", "tokenizer file (default: the embedded tokenizer)")
	n := fs.Int("n", 256, "images per synthetic set")
	families := fs.String("families", "", "evaluate on the held-out output images of these task families (comma-separated, or \"all\"), one set each, instead of the scenes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir != "" && *families != "" {
		return fmt.Errorf("%w: --dir and --families name different sets; give one", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *n < 1 {
		return fmt.Errorf("%w: --n must be positive", errUsage)
	}
	m, err := loadTokenizer(*model)
	if err != nil {
		return err
	}
	var recs []evalRecord
	if *dir != "" {
		imgs, err := loadFolder(*dir, m.Config.Resolution)
		if err != nil {
			return err
		}
		rec, err := evalSet(m, *dir, imgs, 0)
		if err != nil {
			return err
		}
		recs = append(recs, rec)
	} else if *families != "" {
		names := strings.Split(*families, ",")
		if *families == "all" {
			names = vq.ImageFamilies()
		}
		sets := make([][]*img.Image, len(names))
		for i, name := range names {
			if sets[i], err = vq.TaskEvalSet(name, m.Config.Resolution, *n); err != nil {
				return fmt.Errorf("%w: --families: %v", errUsage, err)
			}
		}
		for i, name := range names {
			rec, err := evalSet(m, "outputs:"+name, sets[i], 0)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
	} else {
		for _, set := range []string{"clean", "degraded"} {
			rec, err := evalSet(m, set, nil, *n)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
	}
	return printEval(os.Stdout, recs, *asJSON)
}

func loadTokenizer(path string) (*vq.Model, error) {
	if path == "" {
		return vq.Default()
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := vq.Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// evalSet scores m on imgs, or on n images of the named synthetic set when
// imgs is nil.
func evalSet(m *vq.Model, set string, imgs []*img.Image, n int) (evalRecord, error) {
	if imgs == nil {
		var err error
		if imgs, err = vq.EvalSet(set, m.Config.Resolution, n); err != nil {
			return evalRecord{}, err
		}
	}
	s, err := m.Evaluate(imgs)
	if err != nil {
		return evalRecord{}, err
	}
	c := m.Config
	return evalRecord{Resolution: c.Resolution, Downsample: c.Downsample, Codes: c.Codes, Set: set,
		Images: len(imgs), PSNR: s.PSNR, SSIM: s.SSIM, Usage: s.Usage}, nil
}

// loadFolder reads every PNG or JPEG file of dir (not recursing), centre-crops
// it to a square and resizes it to size×size. Errors name the bad file.
func loadFolder(dir string, size int) ([]*img.Image, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg":
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no PNG or JPEG images", dir)
	}
	imgs := make([]*img.Image, len(names))
	for i, name := range names {
		im, err := img.LoadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		imgs[i] = img.Resize(img.CenterCrop(im), size, size)
	}
	return imgs, nil
}

func printEval(w io.Writer, recs []evalRecord, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range recs {
		fmt.Fprintf(w, "%-10s %d px, downsample %d, %d codes: PSNR %.2f dB  SSIM %.4f  codebook usage %.1f%% (%d images)\n",
			r.Set, r.Resolution, r.Downsample, r.Codes, r.PSNR, r.SSIM, 100*r.Usage, r.Images)
	}
	return nil
}
