package protocol

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"xprompt/metrics"
)

// Versus pairs two evaluations of the same queries (two models, or one
// model under two settings): per family and group, one method's score in
// each, their difference B − A paired per query with its error clustered by
// prompt, and each side's in-context gain (X-Prompt − no context).
type Versus struct {
	A      string `json:"a"` // the X-Prompt models of the two tables
	B      string `json:"b"`
	Method Method `json:"method"`
	// Setup describes how both tables drew their queries.
	Setup string      `json:"setup"`
	Rows  []VersusRow `json:"rows"`
}

// VersusRow is one family's (or one group mean's) comparison.
type VersusRow struct {
	Group  string `json:"group"`
	Family string `json:"family"` // "" for a group's mean
	Scope  string `json:"scope"`
	// A and B are the method's scores in each table.
	A metrics.Estimate `json:"a"`
	B metrics.Estimate `json:"b"`
	// Diff is B − A; Diff.Higher counts the queries where B scores
	// higher, Lower those where it scores lower (the rest are ties).
	Diff  Diff `json:"b_minus_a"`
	Lower int  `json:"lower"`
	// GainA and GainB are X-Prompt − no context in each table; nil when a
	// table lacks either method.
	GainA *metrics.Estimate `json:"gain_a,omitempty"`
	GainB *metrics.Estimate `json:"gain_b,omitempty"`
}

// ReadTable loads an evaluation written by `xprompt evaluate --out DIR`:
// DIR/evaluation.json, or the JSON file itself.
func ReadTable(path string) (*Table, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "evaluation.json")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t Table
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("%s: not an evaluation table: %w", path, err)
	}
	if len(t.Scores) == 0 {
		return nil, fmt.Errorf("%s: an evaluation table with no queries", path)
	}
	return &t, nil
}

// queryKey names a query across tables drawn alike.
type queryKey struct {
	family        string
	prompt, query int
}

// Compare pairs the queries of a and b and compares method m between them.
// Both tables must have drawn the same queries: the same split, seeds,
// prompts, queries, examples and instruction and binding settings, and the
// same families; otherwise it says what differs.
func Compare(a, b *Table, m Method) (*Versus, error) {
	if err := sameDraw(a, b); err != nil {
		return nil, err
	}
	if !a.has(m) || !b.has(m) {
		return nil, fmt.Errorf("method %q is not in both tables (%v; %v)", m, a.Methods, b.Methods)
	}
	byKey := map[queryKey]QueryScore{}
	for _, s := range b.Scores {
		byKey[queryKey{s.Family, s.Prompt, s.Query}] = s
	}
	v := &Versus{A: a.XPromptModel, B: b.XPromptModel, Method: m, Setup: setup(a)}
	families, groupOf := a.families()
	pairs := map[string][][2]QueryScore{}
	for _, s := range a.Scores {
		t, ok := byKey[queryKey{s.Family, s.Prompt, s.Query}]
		if !ok || t.Seed != s.Seed {
			return nil, fmt.Errorf("%s prompt %d query %d (seed %d) has no match in the second table", s.Family, s.Prompt, s.Query, s.Seed)
		}
		_, okA := s.PSNR[m]
		_, okB := t.PSNR[m]
		if !okA || !okB {
			which := "first"
			if okA {
				which = "second"
			}
			return nil, fmt.Errorf("%s prompt %d query %d has no %s score in the %s table", s.Family, s.Prompt, s.Query, m, which)
		}
		pairs[s.Family] = append(pairs[s.Family], [2]QueryScore{s, t})
	}
	if len(a.Scores) != len(b.Scores) {
		return nil, fmt.Errorf("%d queries against %d", len(a.Scores), len(b.Scores))
	}
	var group string
	var image, region, all []VersusRow
	flush := func() {
		if len(image) > 1 {
			v.Rows = append(v.Rows, meanRow(group, ScopeImage, image))
		}
		if len(region) > 1 {
			v.Rows = append(v.Rows, meanRow(group, ScopeRegion, region))
		}
		all = append(all, image...)
		image, region = nil, nil
	}
	for _, fam := range families {
		if len(pairs[fam]) == 0 {
			return nil, fmt.Errorf("family %s has a row but no queries", fam)
		}
		if groupOf[fam] != group {
			flush()
			group = groupOf[fam]
		}
		ps := pairs[fam]
		r := versusRow(group, fam, ScopeImage, ps, m, func(s QueryScore) map[Method]float64 { return s.PSNR })
		v.Rows = append(v.Rows, r)
		image = append(image, r)
		if hasRegion(ps, m) {
			rr := versusRow(group, fam, ScopeRegion, ps, m, func(s QueryScore) map[Method]float64 { return s.Region })
			v.Rows = append(v.Rows, rr)
			region = append(region, rr)
		}
	}
	flush()
	if groups := map[string]bool{}; len(all) > 1 {
		for _, g := range groupOf {
			groups[g] = true
		}
		if len(groups) > 1 {
			v.Rows = append(v.Rows, meanRow("all", ScopeImage, all))
		}
	}
	return v, nil
}

// hasRegion reports whether both sides scored the method inside the
// changed region (edit families).
func hasRegion(ps [][2]QueryScore, m Method) bool {
	if len(ps) == 0 {
		return false
	}
	_, a := ps[0][0].Region[m]
	_, b := ps[0][1].Region[m]
	return a && b
}

// sameDraw says how two tables' queries were drawn differently, if they were.
func sameDraw(a, b *Table) error {
	type draw struct {
		Split                     string
		First, Last               uint64
		Prompts, Queries, Example int
		Hidden, Shared            bool
	}
	da := draw{a.Split, a.FirstSeed, a.LastSeed, a.Prompts, a.Queries, a.Examples, a.HideInstruction, a.SharedParams}
	db := draw{b.Split, b.FirstSeed, b.LastSeed, b.Prompts, b.Queries, b.Examples, b.HideInstruction, b.SharedParams}
	if da != db {
		return fmt.Errorf("the tables drew different queries: %s against %s", setup(a), setup(b))
	}
	fa, _ := a.families()
	fb, _ := b.families()
	if strings.Join(fa, ",") != strings.Join(fb, ",") {
		return fmt.Errorf("different families: %s against %s", strings.Join(fa, ","), strings.Join(fb, ","))
	}
	return nil
}

// setup describes how a table drew its queries.
func setup(t *Table) string {
	s := fmt.Sprintf("%s seeds %d…%d, %d prompts × %d queries, %d example(s)", t.Split, t.FirstSeed, t.LastSeed, t.Prompts, t.Queries, t.Examples)
	if t.HideInstruction {
		s += ", instructions withheld"
	}
	if t.SharedParams {
		s += ", shared parameters"
	}
	return s
}

// families lists the table's families in row order, with their groups.
func (t *Table) families() ([]string, map[string]string) {
	var fams []string
	group := map[string]string{}
	for _, r := range t.Rows {
		if r.Family == "" || r.Scope != ScopeImage {
			continue
		}
		if _, seen := group[r.Family]; !seen {
			fams = append(fams, r.Family)
		}
		group[r.Family] = r.Group
	}
	return fams, group
}

// versusRow compares one family's paired queries under one scope.
func versusRow(group, fam, scope string, ps [][2]QueryScore, m Method, get func(QueryScore) map[Method]float64) VersusRow {
	r := VersusRow{Group: group, Family: fam, Scope: scope}
	cluster := make([]int, len(ps))
	a, b := make([]float64, len(ps)), make([]float64, len(ps))
	for i, p := range ps {
		cluster[i] = p[0].Prompt
		a[i], b[i] = get(p[0])[m], get(p[1])[m]
		switch {
		case b[i] > a[i]:
			r.Diff.Higher++
		case b[i] < a[i]:
			r.Lower++
		}
	}
	r.A, r.B = metrics.ClusterMean(a, cluster), metrics.ClusterMean(b, cluster)
	r.Diff.Estimate = metrics.PairedClusterMean(b, a, cluster)
	gain := func(side int) *metrics.Estimate {
		x, n := make([]float64, len(ps)), make([]float64, len(ps))
		for i, p := range ps {
			s := get(p[side])
			xv, okx := s[XPrompt]
			nv, okn := s[NoContext]
			if !okx || !okn {
				return nil
			}
			x[i], n[i] = xv, nv
		}
		e := metrics.PairedClusterMean(x, n, cluster)
		return &e
	}
	r.GainA, r.GainB = gain(0), gain(1)
	return r
}

// meanRow is the unweighted mean of family rows, errors combined as
// independent (as the evaluation table's group means).
func meanRow(group, scope string, rows []VersusRow) VersusRow {
	r := VersusRow{Group: group, Scope: scope}
	pick := func(f func(VersusRow) metrics.Estimate) metrics.Estimate {
		es := make([]metrics.Estimate, len(rows))
		for i, x := range rows {
			es[i] = f(x)
		}
		return metrics.MeanOfEstimates(es)
	}
	r.A = pick(func(x VersusRow) metrics.Estimate { return x.A })
	r.B = pick(func(x VersusRow) metrics.Estimate { return x.B })
	r.Diff.Estimate = pick(func(x VersusRow) metrics.Estimate { return x.Diff.Estimate })
	r.GainA, r.GainB = meanGain(rows, 0), meanGain(rows, 1)
	for _, x := range rows {
		r.Diff.Higher += x.Diff.Higher
		r.Lower += x.Lower
	}
	return r
}

// meanGain is the mean of the rows' in-context gains on one side; nil
// when a row lacks it.
func meanGain(rows []VersusRow, side int) *metrics.Estimate {
	es := make([]metrics.Estimate, len(rows))
	for i, x := range rows {
		g := x.GainA
		if side == 1 {
			g = x.GainB
		}
		if g == nil {
			return nil
		}
		es[i] = *g
	}
	e := metrics.MeanOfEstimates(es)
	return &e
}

// Markdown renders the comparison as a table.
func (v *Versus) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "A = %s, B = %s; %s; %s PSNR (dB) ± standard error clustered by prompt; "+
		"B − A paired per query; B higher / lower: how many queries (the rest tie); group means weigh families equally (SE √(Σ SE²)/K); "+
		"gain = X-Prompt − no context within each table.\n\n", orDash(v.A), orDash(v.B), v.Setup, v.Method.Title())
	b.WriteString("| family | A | B | B − A | B higher / lower | gain A | gain B |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range v.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d / %d of %d | %s | %s |\n", rowLabel(r.Group, r.Family, r.Scope), r.A, r.B, signed(r.Diff), r.Diff.Higher, r.Lower, r.A.N,
			gainString(r.GainA), gainString(r.GainB))
	}
	return b.String()
}

// gainString prints an in-context gain, or a dash when a table lacks it.
func gainString(e *metrics.Estimate) string {
	if e == nil {
		return "—"
	}
	return signed(Diff{Estimate: *e})
}
