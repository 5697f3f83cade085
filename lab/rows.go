package lab

import (
	"context"
	"fmt"
	"strings"

	"xprompt/img"
	"xprompt/model"
)

// rowSpec is a row computed by answering every family's queries with one
// model variant in one mode, or, with Variant "", a baseline that needs no
// model: the tokenizer's reconstruction of the ground truth (ceilingRow, the
// best any generated code grid can score) or the query's input returned
// unchanged (copyInputRow, the score of doing nothing).
type rowSpec struct {
	Name     string
	Variant  string
	Mode     model.Mode
	Examples int // in-context examples per prompt (0 means 1; ignored in ModeNone)
	// Timed repeats each generation to time it (generation.PerQuery).
	Timed bool
}

// ceilingRow and copyInputRow name the baseline rows of the tables.
const (
	ceilingRow   = "tokenizer ceiling"
	copyInputRow = "copy input"
)

// familySpec names a family and how it is scored.
type familySpec struct {
	Name string
	Kind metricKind
}

// drawSets draws the evaluation sets of the families: k examples and the
// config's number of queries each.
func drawSets(cfg Config, fams []familySpec, k int) ([]evalSet, error) {
	sets := make([]evalSet, len(fams))
	for i, f := range fams {
		s, err := drawSet(f.Name, k, cfg.Queries, cfg.Seed, cfg.imageSize())
		if err != nil {
			return nil, err
		}
		sets[i] = s
	}
	return sets, nil
}

// runRow computes one row's generations for every set.
func runRow(ctx context.Context, cfg *Config, table string, spec rowSpec, sets []evalSet) ([]generation, error) {
	out := make([]generation, len(sets))
	if spec.Variant == "" {
		for i, s := range sets {
			if spec.Name == copyInputRow {
				out[i] = generation{Outputs: s.Inputs()}
			} else {
				out[i] = generation{Outputs: cfg.VQ.Reconstruct(s.Truths())}
			}
		}
		return out, nil
	}
	reg, err := cfg.models()
	if err != nil {
		return nil, err
	}
	tr, err := reg.Get(ctx, spec.Variant)
	if err != nil {
		return nil, err
	}
	k := max(spec.Examples, 1)
	for i, s := range sets {
		if k > len(s.Examples) && spec.Mode != model.ModeNone {
			panic(fmt.Sprintf("lab.runRow: row %q wants %d examples, the set of %s has %d", spec.Name, k, s.Family, len(s.Examples)))
		}
		cfg.say(table, "%s: %s (%s model, %s)", spec.Name, s.Family, spec.Variant, spec.Mode)
		runs := 1
		if spec.Timed {
			runs = 2
		}
		g, err := generate(ctx, tr.Engine, s.Examples[:min(k, len(s.Examples))], spec.Mode, s.Queries, cfg.Sample, runs)
		if err != nil {
			return nil, fmt.Errorf("%s, row %q, %s: %w", table, spec.Name, s.Family, err)
		}
		out[i] = g
	}
	return out, nil
}

// eachRow computes, for every spec the config wants, its generations on
// the sets, passes them to score with the spec's index and a fresh row to
// fill, and adds the row to t.
func eachRow(ctx context.Context, cfg *Config, t *Table, specs []rowSpec, sets []evalSet, score func(i int, row *Row, gens []generation) error) error {
	for i, spec := range specs {
		if !cfg.wants(spec.Name) {
			continue
		}
		gens, err := runRow(ctx, cfg, t.Name, spec, sets)
		if err != nil {
			return err
		}
		row := cfg.newRow(t.Name, spec.Name)
		if err := score(i, &row, gens); err != nil {
			return err
		}
		t.Add(row)
	}
	return nil
}

// familyTable computes a table with a row per spec and the family metrics
// as columns, and a figure with a line per family: the first query's input,
// the first example, each row's output and the truth.
func familyTable(ctx context.Context, cfg Config, t *Table, fams []familySpec, specs []rowSpec) (*Table, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	for _, f := range fams {
		t.Columns = append(t.Columns, columnsFor(f.Name, f.Kind)...)
	}
	sets, err := drawSets(cfg, fams, 1)
	if err != nil {
		return nil, err
	}
	firsts := make([][]*img.Image, len(fams)) // [family][row] first output
	err = eachRow(ctx, &cfg, t, specs, sets, func(_ int, row *Row, gens []generation) error {
		for i, f := range fams {
			if err := scoreInto(*row, f.Name, f.Kind, gens[i].Outputs, sets[i].Truths()); err != nil {
				return err
			}
			firsts[i] = append(firsts[i], gens[i].Outputs[0])
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	if len(t.Rows) > 0 {
		var lines [][]*img.Image
		for i, s := range sets {
			lines = append(lines, exampleStrip(s.Queries[0], &s.Examples[0], firsts[i], 2))
		}
		t.Figure = img.Grid(lines, 2)
		t.FigureCaption = "One line per family (" + strings.Join(familyNames(fams), ", ") + "), first query: input | in-context example input | example output | " +
			strings.Join(rowNames(specs, cfg), " | ") + " | ground truth."
	}
	return t, nil
}

// rowNames lists the names of the specs the config computes, for captions.
func rowNames(specs []rowSpec, cfg Config) []string {
	var out []string
	for _, s := range specs {
		if cfg.wants(s.Name) {
			out = append(out, s.Name)
		}
	}
	return out
}

// familyNames lists the families' names.
func familyNames(fams []familySpec) []string {
	out := make([]string, len(fams))
	for i, f := range fams {
		out[i] = f.Name
	}
	return out
}
