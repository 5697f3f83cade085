package lab

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmokeSuite runs every table at the smallest size with an untrained
// tokenizer: all tables, rows and metrics must come out finite, the report
// must be written, and rerunning a row from the cache must train nothing and
// reproduce its numbers exactly.
func TestSmokeSuite(t *testing.T) {
	start := time.Now()
	cache := t.TempDir()
	cfg := SmokeConfig()
	cfg.VQ, cfg.Trainer = testVQ(), testTrainer
	cfg.Cache = cache
	reg, err := NewRegistry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Models = reg
	var streamed []string
	tables, err := Run(context.Background(), cfg, nil, func(tb *Table) { streamed = append(streamed, tb.Name) })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(streamed, ","), strings.Join(TableNames(), ","); got != want {
		t.Fatalf("tables %s, want %s", got, want)
	}
	for _, tb := range tables {
		if len(tb.Rows) == 0 {
			t.Errorf("table %s has no rows", tb.Name)
		}
		for _, r := range tb.Rows {
			for _, c := range tb.Columns {
				v, ok := r.Metrics[c.Name]
				if !ok && tb.Name == "raie" && r.Name == "no example" && (c.Name == "similarity" || c.Name == "same family") {
					continue // no example, nothing to compare
				}
				if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%s / %s / %s = %v (present %v): want a finite number", tb.Name, r.Name, c.Name, v, ok)
				}
			}
			if r.Seed == 0 || !strings.Contains(r.Command, "--table "+tb.Name) {
				t.Errorf("%s / %s: seed %d, command %q", tb.Name, r.Name, r.Seed, r.Command)
			}
		}
	}
	// The compression sweep keeps BOS + S tokens of every prompt.
	sweep := tables[len(tables)-2]
	if sweep.Name != "compression_sweep" {
		t.Fatalf("table %s where the sweep was expected", sweep.Name)
	}
	for _, r := range sweep.Rows {
		if !(r.Metrics["prompt KV bytes"] < r.Metrics["uncompressed KV bytes"]) {
			t.Errorf("%s: prompt %v bytes not below uncompressed %v", r.Name, r.Metrics["prompt KV bytes"], r.Metrics["uncompressed KV bytes"])
		}
	}
	s2, s4 := sweep.Row("S=2"), sweep.Row("S=4")
	if s2 == nil || s4 == nil || !(s2.Metrics["prompt KV bytes"] < s4.Metrics["prompt KV bytes"]) {
		t.Errorf("sweep rows S=2 %v, S=4 %v: fewer tokens must keep fewer bytes", s2, s4)
	}

	// Report files.
	out := t.TempDir()
	rep := &Report{Title: "smoke", Command: "go test", Config: cfg, Tables: tables, Models: reg.Trained(), Elapsed: time.Since(start)}
	paths, err := rep.Write(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"report.md", "report.json", "loss_curves.png", "compression_sweep.png", "compression_kv.png", "novel_tasks.png"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("report file %s: %v", name, err)
		}
	}
	if len(paths) < 6 {
		t.Errorf("Write returned %d paths", len(paths))
	}
	var rj struct {
		Rows []struct {
			Table, Row string
			Metrics    map[string]*float64
		}
	}
	data, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if err := json.Unmarshal(data, &rj); err != nil {
		t.Fatal(err)
	}
	nrows := 0
	for _, tb := range tables {
		nrows += len(tb.Rows)
	}
	if len(rj.Rows) != nrows {
		t.Errorf("report.json has %d rows, the tables %d", len(rj.Rows), nrows)
	}

	// Rerun one row from the cache with a fresh registry.
	cfg2 := cfg
	if cfg2.Models, err = NewRegistry(cfg); err != nil {
		t.Fatal(err)
	}
	cfg2.Rows = []string{"X-Prompt in-context"}
	again, err := NovelTasks(context.Background(), cfg2)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Rows) != 1 {
		t.Fatalf("rerun: %d rows, want 1", len(again.Rows))
	}
	for _, m := range cfg2.Models.Trained() {
		if m.Seconds != 0 {
			t.Errorf("rerun trained %s for %.1f s; want it loaded from the cache", m.Name, m.Seconds)
		}
	}
	first := tables[0].Row("X-Prompt in-context")
	for k, v := range first.Metrics {
		if again.Rows[0].Metrics[k] != v {
			t.Errorf("rerun %s = %v, first run %v", k, again.Rows[0].Metrics[k], v)
		}
	}
	t.Logf("smoke suite and rerun: %v", time.Since(start))
}
