package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"xprompt/bench/peers"
	"xprompt/core"
	"xprompt/cuda"
	"xprompt/gemm"
	"xprompt/model"
	"xprompt/ops"
	"xprompt/train"
)

func init() {
	register("bench", "benchmark GEMM, attention, a training step or generation (gemm|attention|train|gen)", runBench)
}

func runBench(args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("%w: want 'xprompt bench gemm|attention|train|gen [flags]'", errUsage)
	}
	what, args := args[0], args[1:]
	switch what {
	case "gemm":
		return benchGemm(args)
	case "attention":
		return benchAttention(args)
	case "train":
		return benchTrain(args)
	case "gen":
		return benchGen(args)
	}
	return fmt.Errorf("%w: unknown benchmark %q (want gemm, attention, train or gen)", errUsage, what)
}

// emit prints one result: a JSON object per line, or a readable line.
func emit(asJSON bool, v any, human string) {
	if asJSON {
		b, _ := json.Marshal(v)
		fmt.Println(string(b))
		return
	}
	fmt.Println(human)
}

// timeIt runs f until at least minTime has passed (at least twice) and
// returns the fastest run.
func timeIt(minTime time.Duration, f func()) time.Duration {
	f() // warm up
	best := time.Duration(1 << 62)
	start := time.Now()
	for n := 0; n < 2 || time.Since(start) < minTime; n++ {
		t := time.Now()
		f()
		best = min(best, time.Since(t))
	}
	return best
}

func parseShapes(s string) ([][3]int, error) {
	var out [][3]int
	for _, part := range strings.Split(s, ",") {
		dims := strings.Split(part, "x")
		if len(dims) != 3 {
			return nil, fmt.Errorf("%w: shape %q is not MxKxN", errUsage, part)
		}
		var v [3]int
		for i, d := range dims {
			n, err := strconv.Atoi(d)
			if err != nil || n <= 0 || n > 1<<14 {
				return nil, fmt.Errorf("%w: bad dimension %q in %q", errUsage, d, part)
			}
			v[i] = n
		}
		out = append(out, v)
	}
	return out, nil
}

func benchGemm(args []string) error {
	fs := newFlags("bench gemm", "[--shapes MxKxN,...] [--threads N] [--peer gonum|none] [--device D] [--json]")
	shapes := fs.String("shapes", "1024x1024x1024,2688x256x768", "comma-separated M×K×N shapes")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "threads")
	peer := fs.String("peer", "gonum", "also time gonum's Sgemm (gonum) or not (none)")
	minTime := fs.Duration("time", time.Second, "minimum time per measurement")
	asJSON := fs.Bool("json", false, "print one JSON object per result")
	device := fs.String("device", "cpu", deviceNames)
	if err := parseFlags(fs, args, inRange("threads", 1, 4096), inRange("time", 0.001, 3600)); err != nil {
		return err
	}
	list, err := parseShapes(*shapes)
	if err != nil {
		return err
	}
	if dev, err := resolveDevice(*device); err != nil {
		return err
	} else if dev != core.CPU {
		return benchGemmOn(dev, list, *asJSON)
	}
	gemm.SetThreads(*threads)
	rng := core.NewRNG(1)
	for _, s := range list {
		m, k, n := s[0], s[1], s[2]
		a, b, c := rng.Randn(1, m*k).Data, rng.Randn(1, k*n).Data, make([]float32, m*n)
		d := timeIt(*minTime, func() { gemm.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n) })
		ours := gemm.GFLOPS(m, n, k, d)
		res := map[string]any{"bench": "gemm", "m": m, "n": n, "k": k, "threads": *threads, "kernel": gemm.Kernel(), "gflops": round(ours)}
		human := fmt.Sprintf("gemm %dx%dx%d threads=%d kernel=%s: %.1f GFLOP/s", m, k, n, *threads, gemm.Kernel(), ours)
		if *peer == "gonum" {
			impl := gonum.Implementation{}
			pd := timeIt(*minTime, func() { impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n) })
			theirs := gemm.GFLOPS(m, n, k, pd)
			res["gonum_gflops"], res["ratio"] = round(theirs), round(ours/theirs)
			human += fmt.Sprintf("; gonum %.1f GFLOP/s; ratio %.1f×", theirs, ours/theirs)
		}
		emit(*asJSON, res, human)
	}
	return nil
}

func benchAttention(args []string) error {
	fs := newFlags("bench attention", "[--t T] [--heads H] [--hd D] [--batch B] [--mask xprompt|causal] [--json]")
	t := fs.Int("t", 1024, "sequence length")
	heads := fs.Int("heads", 8, "heads")
	hd := fs.Int("hd", 32, "head dimension")
	batch := fs.Int("batch", 1, "batch size")
	maskName := fs.String("mask", "xprompt", "mask: xprompt or causal")
	iters := fs.Int("iters", 5, "timed iterations")
	asJSON := fs.Bool("json", false, "print one JSON object per result")
	device := fs.String("device", "cpu", deviceNames)
	if err := parseFlags(fs, args, atLeast("t", 9), atLeast("heads", 1), atLeast("hd", 2), atLeast("batch", 1), atLeast("iters", 1)); err != nil {
		return err
	}
	dev, err := resolveDevice(*device)
	if err != nil {
		return err
	}
	kind := core.MaskXPrompt
	switch *maskName {
	case "xprompt":
	case "causal":
		kind = core.MaskCausal
	default:
		return fmt.Errorf("%w: unknown mask %q", errUsage, *maskName)
	}
	if *t < 9 || *heads < 1 || *hd < 2 || *batch < 1 || *iters < 1 {
		return fmt.Errorf("%w: sizes must be positive (t ≥ 9)", errUsage)
	}
	var d time.Duration
	if dev == core.CPU {
		d = ops.BenchAttention(*batch, *heads, *t, *hd, kind, *iters)
	} else {
		be, err := core.BackendFor(dev)
		if err != nil {
			return err
		}
		if d, err = cuda.BenchAttention(be, *batch, *heads, *t, *hd, kind, *iters); err != nil {
			return err
		}
	}
	ms := float64(d.Microseconds()) / 1e3
	emit(*asJSON, map[string]any{"bench": "attention", "device": string(dev), "t": *t, "heads": *heads, "hd": *hd, "batch": *batch,
		"mask": *maskName, "threads": runtime.GOMAXPROCS(0), "ms_fwd_bwd": round(ms)},
		fmt.Sprintf("attention device=%s t=%d heads=%d hd=%d batch=%d mask=%s: %.2f ms forward+backward", dev, *t, *heads, *hd, *batch, *maskName, ms))
	return nil
}

func benchTrain(args []string) error {
	fs := newFlags("bench train", "[--preset P] [--steps N] [--threads N] [--device D] [--peer torch] [--json]")
	preset := fs.String("preset", "small", "model preset: "+strings.Join(model.PresetNames(), ", "))
	steps := fs.Int("steps", 5, "timed steps")
	warmup := fs.Int("warmup", 1, "untimed warm-up steps")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "threads")
	batch := fs.Int("batch", 0, "sequences per step (default: the preset's)")
	device := fs.String("device", deviceDefault(), deviceNames)
	asJSON := fs.Bool("json", false, "print one JSON object per result")
	peer := fs.String("peer", "", "also run the PyTorch peer (torch) on the same preset and threads")
	if err := parseFlags(fs, args, atLeast("steps", 1), atLeast("warmup", 0), inRange("threads", 1, 4096), atLeast("batch", 0)); err != nil {
		return err
	}
	dev, err := resolveDevice(*device)
	if err != nil {
		return err
	}
	if err := checkPeer(*peer); err != nil {
		return err
	}
	cfg, err := model.Preset(*preset)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	presetBatch := map[string]int{"tiny": 8, "small": 8, "base": 16}[*preset] // DESIGN §4, as the peer
	b := *batch
	if b == 0 {
		b = presetBatch
	}
	gemm.SetThreads(*threads)
	r, err := train.BenchStepOn(dev, cfg, b, *warmup, *steps, *threads)
	if err != nil {
		return err
	}
	res := map[string]any{"bench": "train", "preset": r.Preset, "device": r.Device, "threads": r.Threads,
		"batch": b, "seq": cfg.SeqLen, "params": r.Params, "step_ms": round(r.StepMS), "tokens_per_s": round(r.TokensPerS), "gflops": round(r.GFLOPS)}
	human := fmt.Sprintf("train preset=%s device=%s threads=%d params=%d batch=%d×%d: %.0f ms/step, %.0f tokens/s, %.1f GFLOP/s",
		r.Preset, r.Device, r.Threads, r.Params, b, cfg.SeqLen, r.StepMS, r.TokensPerS, r.GFLOPS)
	if *peer != "" {
		if b != presetBatch {
			return fmt.Errorf("%w: --peer runs the preset's batch (%d), not --batch %d", errUsage, presetBatch, b)
		}
		pr, err := peers.Run(context.Background(), "torch_train_step.py", "--preset", *preset,
			"--threads", strconv.Itoa(*threads), "--steps", strconv.Itoa(max(*steps, 3)), "--warmup", strconv.Itoa(max(*warmup, 1)))
		if err != nil {
			return err
		}
		res["peer"] = pr
		if pt, ok := pr["tokens_per_s"].(float64); ok && pt > 0 {
			res["speedup"] = round(r.TokensPerS / pt)
			human += fmt.Sprintf("\n%s: %.0f ms/step, %.0f tokens/s → ours %.2f×", pr["peer"], pr["step_ms"], pt, r.TokensPerS/pt)
		}
	}
	emit(*asJSON, res, human)
	return nil
}

// checkPeer accepts no peer or torch.
func checkPeer(name string) error {
	if name != "" && name != "torch" {
		return fmt.Errorf("%w: unknown peer %q (want torch)", errUsage, name)
	}
	return nil
}

func benchGen(args []string) error {
	fs := newFlags("bench gen", "[--preset P] [--tokens N] [--threads N] [--peer torch] [--json]")
	preset := fs.String("preset", "small", "model preset: "+strings.Join(model.PresetNames(), ", "))
	tokens := fs.Int("tokens", 64, "tokens decoded per sequence (64: one image)")
	reps := fs.Int("reps", 3, "repetitions of the prompt compression (median)")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "threads")
	asJSON := fs.Bool("json", false, "print one JSON object")
	peer := fs.String("peer", "", "also run the PyTorch peer (torch) on the same preset and threads")
	if err := parseFlags(fs, args, atLeast("tokens", 1), atLeast("reps", 1), inRange("threads", 1, 4096)); err != nil {
		return err
	}
	if err := checkPeer(*peer); err != nil {
		return err
	}
	cfg, err := model.Preset(*preset)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *tokens <= 0 || *tokens > cfg.SeqLen || *reps <= 0 || *threads <= 0 {
		return fmt.Errorf("%w: --tokens must be in 1…%d, --reps and --threads positive", errUsage, cfg.SeqLen)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*threads))
	gemm.SetThreads(*threads)
	r, err := model.BenchDecode(cfg, []int{1, 8}, *tokens, *reps)
	if err != nil {
		return err
	}
	res := map[string]any{"bench": "gen", "preset": r.Preset, "threads": *threads, "prefix_tokens": r.PrefixTokens,
		"kept": r.Kept, "new_tokens": r.NewTokens, "compress_ms": round(r.CompressMS), "decode": r.Decode}
	human := fmt.Sprintf("gen preset=%s threads=%d: compress %d→%d tokens %.1f ms;", r.Preset, *threads, r.PrefixTokens, r.Kept, r.CompressMS)
	for _, d := range r.Decode {
		human += fmt.Sprintf(" batch %d %.0f tokens/s;", d.Batch, d.TokensPerS)
	}
	if *peer != "" {
		pr, err := peers.Run(context.Background(), "torch_decode.py", "--preset", *preset,
			"--threads", strconv.Itoa(*threads), "--tokens", strconv.Itoa(*tokens), "--reps", strconv.Itoa(*reps))
		if err != nil {
			return err
		}
		res["peer"] = pr
		human += fmt.Sprintf("\n%s: compress %v ms; decode %v", pr["peer"], pr["compress_ms"], pr["decode"])
	}
	emit(*asJSON, res, human)
	return nil
}

func round(v float64) float64 { return math.Round(v*100) / 100 }

// deviceDefault returns $XPROMPT_DEVICE or "auto".
func deviceDefault() string {
	if d := os.Getenv(core.DeviceEnv); d != "" {
		return d
	}
	return "auto"
}

// benchGemmOn times the device's GEMM kernel at each M×K×N shape.
func benchGemmOn(dev core.Device, shapes [][3]int, asJSON bool) error {
	be, err := core.BackendFor(dev)
	if err != nil {
		return err
	}
	for _, s := range shapes {
		m, k, n := s[0], s[1], s[2]
		d := cuda.BenchGemm(be, m, k, n, 10)
		g := gemm.GFLOPS(m, n, k, d)
		emit(asJSON, map[string]any{"bench": "gemm", "device": string(dev), "m": m, "n": n, "k": k, "kernel": "gemm_tiled", "gflops": round(g)},
			fmt.Sprintf("gemm %dx%dx%d device=%s kernel=gemm_tiled: %.1f GFLOP/s", m, k, n, dev, g))
	}
	return nil
}
