package lab

import (
	"context"
	"fmt"
	"strings"
)

// TableFunc computes one table.
type TableFunc func(ctx context.Context, cfg Config) (*Table, error)

// Entry is one table of the suite: its name (Table.Name, what --table
// selects), the paper's table it follows, and its function.
type Entry struct {
	Name, Paper string
	Run         TableFunc
}

// Tables lists the suite's tables in report order.
var Tables = []Entry{
	{"novel_tasks", "Table 4", NovelTasks},
	{"unified_text", "Tables 1 and 3", UnifiedText},
	{"raie", "RAIE", RAIE},
	{"dense_lowlevel", "Table 2", DenseLowLevel},
	{"tokenizer", "Table 5", Tokenizer},
	{"compression_sweep", "X-Prompt tokens and examples", CompressionSweep},
	{"reverse_ablation", "reverse-task augmentation", ReverseAblation},
}

// TableNames returns the names of Tables.
func TableNames() []string {
	out := make([]string, len(Tables))
	for i, e := range Tables {
		out[i] = e.Name
	}
	return out
}

// Run computes the named tables (all when names is empty) in report order,
// sharing trained models between them through cfg.Models (made here when
// nil). done, if set, is called with each table as it is finished. On an
// error or interruption Run returns the tables finished so far (and the
// partial table, if it has rows) with the error.
func Run(ctx context.Context, cfg Config, names []string, done func(*Table)) ([]*Table, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, n := range names {
		found := false
		for _, e := range Tables {
			found = found || e.Name == n
		}
		if !found {
			return nil, fmt.Errorf("lab: unknown table %q (have %s)", n, strings.Join(TableNames(), ", "))
		}
		want[n] = true
	}
	if _, err := cfg.models(); err != nil {
		return nil, err
	}
	var out []*Table
	for _, e := range Tables {
		if len(want) > 0 && !want[e.Name] {
			continue
		}
		cfg.say(e.Name, "computing %s (%s)", e.Name, e.Paper)
		t, err := e.Run(ctx, cfg)
		if t != nil && len(t.Rows) > 0 {
			out = append(out, t)
			if done != nil && err == nil {
				done(t)
			}
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", e.Name, err)
		}
	}
	return out, nil
}
