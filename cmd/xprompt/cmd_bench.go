package main

import (
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

	"xprompt/core"
	"xprompt/cuda"
	"xprompt/gemm"
	"xprompt/model"
	"xprompt/ops"
	"xprompt/train"
)

func init() {
	register("bench", "benchmark GEMM, attention or a training step (gemm|attention|train)", runBench)
}

func runBench(args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("%w: want 'xprompt bench gemm|attention|train [flags]'", errUsage)
	}
	what, args := args[0], args[1:]
	switch what {
	case "gemm":
		return benchGemm(args)
	case "attention":
		return benchAttention(args)
	case "train":
		return benchTrain(args)
	}
	return fmt.Errorf("%w: unknown benchmark %q (want gemm, attention or train)", errUsage, what)
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
	if err := parseFlags(fs, args); err != nil {
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
	if err := parseFlags(fs, args); err != nil {
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
	fs := newFlags("bench train", "[--preset P] [--steps N] [--threads N] [--device D] [--json]")
	preset := fs.String("preset", "small", "model preset: "+strings.Join(model.PresetNames(), ", "))
	steps := fs.Int("steps", 5, "timed steps")
	warmup := fs.Int("warmup", 1, "untimed warm-up steps")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "threads")
	batch := fs.Int("batch", 0, "sequences per step (default: the preset's)")
	device := fs.String("device", deviceDefault(), deviceNames)
	asJSON := fs.Bool("json", false, "print one JSON object per result")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dev, err := resolveDevice(*device)
	if err != nil {
		return err
	}
	cfg, err := model.Preset(*preset)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	b := *batch
	if b == 0 {
		b = map[string]int{"tiny": 8, "small": 8, "base": 16}[*preset]
	}
	gemm.SetThreads(*threads)
	r, err := train.BenchStepOn(dev, cfg, b, *warmup, *steps, *threads)
	if err != nil {
		return err
	}
	emit(*asJSON, map[string]any{"bench": "train", "preset": r.Preset, "device": r.Device, "threads": r.Threads,
		"batch": b, "seq": cfg.SeqLen, "params": r.Params, "step_ms": round(r.StepMS), "tokens_per_s": round(r.TokensPerS), "gflops": round(r.GFLOPS)},
		fmt.Sprintf("train preset=%s device=%s threads=%d params=%d batch=%d×%d: %.0f ms/step, %.0f tokens/s, %.1f GFLOP/s",
			r.Preset, r.Device, r.Threads, r.Params, b, cfg.SeqLen, r.StepMS, r.TokensPerS, r.GFLOPS))
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
