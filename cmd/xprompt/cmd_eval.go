package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"xprompt/lab"
	"xprompt/lab/labtrain"
)

func init() {
	register("eval", "reproduce the paper's tables at toy scale (quick, full or smoke suite)", runEval)
}

func runEval(args []string) error {
	fs := newFlags("eval", "--suite quick|full|smoke [--json] [--out DIR] [--model FILE] [--steps N] [--recipe embedded|plain] [--table T,…] [--row NAME]")
	suite := fs.String("suite", "quick", "quick (tiny preset, minutes), full (small preset, hours), smoke (seconds; numbers meaningless)")
	asJSON := fs.Bool("json", false, "print one JSON object per row")
	out := fs.String("out", "", "write report.md, report.json and PNG plots here; trained models are cached in OUT/models")
	cache := fs.String("cache", "", "checkpoint cache folder (default: OUT/models with --out, none without)")
	modelPath := fs.String("model", "", "use this checkpoint (or default, the embedded model) as the base X-Prompt model instead of training it")
	steps := fs.Int("steps", 0, "training steps per model (default: the suite's)")
	queries := fs.Int("queries", 0, "queries per task family (default: the suite's)")
	seed := fs.Uint64("seed", 1, "seed of the trainings and of the evaluation sets")
	tableFlag := fs.String("table", "", "comma list of tables (default: all): "+strings.Join(lab.TableNames(), ", "))
	rowFlag := fs.String("row", "", "compute only the rows of this name (as printed with each row)")
	recipe := fs.String("recipe", "embedded", "data mix and layout of every trained model: embedded (the embedded model's: hidden instructions, tone curves, 2-D image positions) or plain (the preset's defaults)")
	vqPath := fs.String("vq", "", "image tokenizer file (default: the embedded one)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args, atLeast("steps", 0), atLeast("queries", 0)); err != nil {
		return err
	}
	cfg, err := lab.SuiteConfig(*suite)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *steps < 0 || *queries < 0 {
		return fmt.Errorf("%w: --steps and --queries must be positive", errUsage)
	}
	var tables []string
	if *tableFlag != "" {
		tables = strings.Split(*tableFlag, ",")
		for _, t := range tables {
			if !contains(lab.TableNames(), t) {
				return fmt.Errorf("%w: unknown table %q (have %s)", errUsage, t, strings.Join(lab.TableNames(), ", "))
			}
		}
	}
	// The command that reproduces this configuration; each row appends
	// --table and --row to it.
	base := fmt.Sprintf("xprompt eval --suite %s --seed %d", *suite, *seed)
	cfg.Seed = *seed
	if cfg.Recipe, err = lab.RecipeByName(*recipe); err != nil {
		return fmt.Errorf("%w: --recipe: %v", errUsage, err)
	}
	if *recipe != "embedded" {
		base += " --recipe " + *recipe
	}
	if *steps > 0 {
		cfg.Steps = *steps
		base += fmt.Sprintf(" --steps %d", *steps)
	}
	if *queries > 0 {
		cfg.Queries = *queries
		base += fmt.Sprintf(" --queries %d", *queries)
	}
	if *modelPath != "" {
		cfg.Model = *modelPath
		base += " --model " + lab.ShellQuote(*modelPath)
	}
	if *vqPath != "" {
		base += " --vq " + lab.ShellQuote(*vqPath)
	}
	cfg.Cache = *cache
	if cfg.Cache == "" && *out != "" {
		cfg.Cache = filepath.Join(*out, "models")
	}
	if cfg.Cache != "" {
		base += " --cache " + lab.ShellQuote(cfg.Cache)
	}
	cfg.Command = base
	if *rowFlag != "" {
		cfg.Rows = []string{*rowFlag}
	}
	if cfg.VQ, _, err = loadVQ(*vqPath); err != nil {
		return err
	}
	if !*quiet {
		cfg.Progress = newEvalProgress(os.Stderr).event
	}
	cfg.Trainer = labtrain.Trainer{}
	if cfg.Models, err = lab.NewRegistry(cfg); err != nil {
		return err
	}
	ctx, stop := interruptContext()
	defer stop()
	start := time.Now()
	done, runErr := lab.Run(ctx, cfg, tables, func(t *lab.Table) {
		if *asJSON {
			fmt.Print(t.JSON())
		} else {
			fmt.Println(t.String())
		}
	})
	if *out != "" && len(done) > 0 {
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = lab.ShellQuote(a)
		}
		rep := &lab.Report{Title: "xprompt lab report: " + *suite + " suite", Command: strings.TrimSpace("xprompt eval " + strings.Join(quoted, " ")),
			Config: cfg, Tables: done, Models: cfg.Models.Trained(), Elapsed: time.Since(start)}
		if runErr != nil {
			rep.Note = "Incomplete: " + runErr.Error()
		}
		paths, err := rep.Write(*out)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", strings.Join(paths, ", "))
	}
	if errors.Is(runErr, context.Canceled) {
		return fmt.Errorf("interrupted; rerun the same command to resume (finished trainings are cached in %s)", orNone(cfg.Cache))
	}
	return runErr
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func orNone(dir string) string {
	if dir == "" {
		return "no folder: pass --out or --cache"
	}
	return dir
}

// evalProgress prints stage messages on their own lines and training steps
// on one updating line.
type evalProgress struct {
	w    *os.File
	last time.Time
	line bool
}

func newEvalProgress(w *os.File) *evalProgress { return &evalProgress{w: w} }

func (p *evalProgress) event(e lab.Event) {
	if e.Message != "" {
		if p.line {
			fmt.Fprintln(p.w)
			p.line = false
		}
		fmt.Fprintf(p.w, "[%s] %s\n", time.Now().Format("15:04:05"), e.Message)
		return
	}
	if time.Since(p.last) < 500*time.Millisecond && e.Step != e.Total {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r  %-12s step %5d/%d  loss %.4f ", e.Model, e.Step, e.Total, e.Loss)
	p.line = true
	if e.Step == e.Total {
		fmt.Fprintln(p.w)
		p.line = false
	}
}
