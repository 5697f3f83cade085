// Command xprompt-reliability runs the reliability suite (package
// reliability) and prints its table of figures. Run from the repository
// root:
//
//	go run ./reliability/cmd/xprompt-reliability -cells 10000 -reconnects 100 -restarts 100 -kills 200 -fuzztime 30s
//
// It exits 1 if anything was lost: a cell unanswered, a hostile frame
// executed, a file that did not load after a kill, a fuzz failure, or RSS
// growth over -max-rss-growth.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"xprompt/reliability"
)

func main() {
	cells := flag.Int("cells", 300, "cells of the soak (0: no soak)")
	reconnects := flag.Int("reconnects", 10, "client reconnects after the soak")
	restarts := flag.Int("restarts", 3, "kernel restarts after the soak")
	kills := flag.Int("kills", 20, "kill -9 during saves (0: none)")
	fuzztime := flag.Duration("fuzztime", 0, "time per fuzz target (0: no fuzzing)")
	maxGrowth := flag.Int64("max-rss-growth", 50<<20, "largest RSS growth after warm-up, in bytes")
	crashWriter := flag.String("crash-writer", "", "internal: run the crash writer on this directory")
	flag.Parse()
	if flag.NArg() > 0 || *cells < 0 || *reconnects < 0 || *restarts < 0 || *kills < 0 || *fuzztime < 0 {
		fmt.Fprintln(os.Stderr, "usage: xprompt-reliability [-cells N] [-reconnects N] [-restarts N] [-kills N] [-fuzztime D]")
		os.Exit(2)
	}
	if *crashWriter != "" {
		if err := reliability.CrashWriter(*crashWriter, false); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "xprompt-reliability-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	tw := tabwriter.NewWriter(os.Stdout, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "check\tcount\tlost\tdetail\t")
	failed := false
	row := func(check string, count, lost int64, detail string) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t\n", check, count, lost, detail)
		if lost > 0 {
			failed = true
		}
	}

	if *cells > 0 {
		start := time.Now()
		r, err := reliability.Soak(dir, *cells, *reconnects, *restarts, 3*time.Hour)
		if err != nil {
			fatal(err)
		}
		growth := r.RSSGrowth()
		row("soak cells answered", int64(r.Cells), int64(r.Cells-r.Answered+len(r.Unexpected)),
			fmt.Sprintf("%d ok, %d errors as expected; %.0f s (%.1f ms/cell)", r.OK, r.Error, r.SoakSeconds, 1e3*r.SoakSeconds/float64(max(r.Cells, 1))))
		var over int64
		if growth > *maxGrowth {
			over = 1
		}
		row("soak RSS growth (bytes)", growth, over, fmt.Sprintf("%.1f → %.1f MB after %d warm-up cells", float64(r.RSSWarm)/1e6, float64(r.RSSEnd)/1e6, r.WarmupCells))
		row("reconnects", int64(*reconnects), int64(*reconnects-r.Reconnects), "")
		row("restarts", int64(*restarts), int64(*restarts-r.Restarts), "")
		alive := "kernel alive after them"
		var dead int64
		if !r.Alive {
			alive, dead = "kernel NOT alive after them", 1
		}
		row("hostile frames", int64(r.Hostile), int64(r.HostileExecuted)+dead, "none executed; "+alive)
		if len(r.Unexpected) > 0 {
			fmt.Fprintf(os.Stderr, "unexpected statuses: %v\n", r.Unexpected)
		}
		fmt.Fprintf(os.Stderr, "soak, reconnects, restarts and hostile frames: %.0f s\n", time.Since(start).Seconds())
	}

	if *kills > 0 {
		cdir, err := os.MkdirTemp(dir, "crash-")
		if err != nil {
			fatal(err)
		}
		if err := reliability.CrashWriter(cdir, true); err != nil {
			fatal(err)
		}
		self, err := os.Executable()
		if err != nil {
			fatal(err)
		}
		r, err := reliability.Kill9(cdir, *kills, func() *exec.Cmd { return exec.Command(self, "-crash-writer", cdir) })
		if err != nil {
			fatal(err)
		}
		row("kill -9 during saves", int64(r.Kills), int64(r.Kills-r.Loaded), fmt.Sprintf("%d hit a writer at work; checkpoint, tokenizer, PNG", r.Rewritten))
		for _, f := range r.Failures {
			fmt.Fprintln(os.Stderr, "after a kill:", f)
		}
	}

	if *fuzztime > 0 {
		targets, err := reliability.FuzzTargets(".")
		if err != nil {
			fatal(err)
		}
		var total, bad int64
		var names []string
		for _, t := range targets {
			n, err := reliability.Fuzz(t, *fuzztime)
			total += n
			names = append(names, fmt.Sprintf("%s %d", t.Name, n))
			if err != nil {
				bad++
				fmt.Fprintln(os.Stderr, err)
			}
		}
		row("fuzz executions", total, bad, fmt.Sprintf("%d targets × %v: %s", len(targets), *fuzztime, strings.Join(names, ", ")))
	}
	tw.Flush()
	if failed {
		os.RemoveAll(dir)
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "xprompt-reliability:", err)
	os.Exit(1)
}
