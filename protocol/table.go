package protocol

import (
	"encoding/json"
	"fmt"
	"strings"

	"xprompt/metrics"
)

// Diff is a paired difference between two methods over the same queries,
// with its cluster-robust error, and on how many queries the first scored
// higher.
type Diff struct {
	metrics.Estimate
	Higher int
}

// MarshalJSON writes the estimate's fields and "higher".
func (d Diff) MarshalJSON() ([]byte, error) {
	f := d.Estimate.JSONFields()
	f["higher"] = d.Higher
	return json.Marshal(f)
}

// Comparison is a difference the table reports: A − B.
type Comparison struct {
	Name string
	A, B Method
}

// Comparisons are the paired differences of the table.
var Comparisons = []Comparison{
	{"xprompt-no_context", XPrompt, NoContext},
	{"xprompt-wrong_example", XPrompt, WrongExample},
	{"xprompt-causal_trained", XPrompt, CausalTrained},
}

// Title is the comparison's column heading.
func (c Comparison) Title() string { return c.A.Title() + " − " + c.B.Title() }

// Row is one line of the table: a family's scores over the whole image or
// inside the changed region, or a group's mean over its families.
type Row struct {
	Group string `json:"group"`
	// Family is "" for a group's mean.
	Family string `json:"family"`
	// Scope is "image" or "changed region".
	Scope string                      `json:"scope"`
	Note  string                      `json:"note,omitempty"`
	Cells map[Method]metrics.Estimate `json:"psnr"`
	Diffs map[string]Diff             `json:"diffs"`
}

// The scopes of a row.
const (
	ScopeImage  = "image"
	ScopeRegion = "changed region"
)

// Table is the outcome of Run: how it was made, a row per family (and per
// edit family's changed region) and group, and every query's scores.
type Table struct {
	XPromptModel string `json:"xprompt_model"`
	CausalModel  string `json:"causal_model,omitempty"`
	Split        string `json:"split"`
	// FirstSeed and LastSeed bound the prompt seeds (prompt i of every
	// family: FirstSeed + i).
	FirstSeed       uint64            `json:"first_seed"`
	LastSeed        uint64            `json:"last_seed"`
	Prompts         int               `json:"prompts_per_family"`
	Queries         int               `json:"queries_per_prompt"`
	Examples        int               `json:"examples_per_prompt"`
	HideInstruction bool              `json:"hide_instruction"`
	SharedParams    bool              `json:"shared_params,omitempty"`
	Decoding        string            `json:"decoding"`
	Methods         []Method          `json:"methods"`
	Omitted         map[Method]string `json:"omitted,omitempty"`
	Rows            []Row             `json:"rows"`
	Scores          []QueryScore      `json:"queries"`
	Comparisons     []string          `json:"comparisons"`
	// PromptKV is the mean size in bytes of the prompt's KV cache over the
	// prompts, per in-context method and UncompressedKV.
	PromptKV map[string]float64 `json:"mean_prompt_kv_bytes,omitempty"`
	notes    map[string]string  // family → caveat
}

// tabulate aggregates the query scores into rows.
func tabulate(m Models, o Options, methods []Method, omitted map[Method]string, scores []QueryScore) *Table {
	t := &Table{XPromptModel: m.XPromptName, CausalModel: m.CausalName, Split: o.Split.String(),
		FirstSeed: o.Split.PromptSeed(o.FirstPrompt), LastSeed: o.Split.PromptSeed(o.FirstPrompt + o.Prompts - 1),
		Prompts: o.Prompts, Queries: o.Queries, Examples: o.Examples, HideInstruction: o.HideInstruction,
		SharedParams: o.SharedParams, Decoding: decoding(o), Methods: methods, Omitted: omitted, Scores: scores}
	for _, c := range Comparisons {
		if t.has(c.A) && t.has(c.B) {
			t.Comparisons = append(t.Comparisons, c.Name)
		}
	}
	t.PromptKV = meanPromptKV(scores)
	var all []Row
	for _, g := range o.Groups {
		var image, region []Row
		for _, fam := range g.Families {
			var qs []QueryScore
			for _, s := range scores {
				if s.Family == fam {
					qs = append(qs, s)
				}
			}
			r := t.row(g.Name, fam, ScopeImage, qs, func(s QueryScore) map[Method]float64 { return s.PSNR })
			r.Note = familyNote(fam, o.HideInstruction, o.SharedParams)
			image = append(image, r)
			t.Rows = append(t.Rows, r)
			if isEdit(fam) {
				rr := t.row(g.Name, fam, ScopeRegion, qs, func(s QueryScore) map[Method]float64 { return s.Region })
				region = append(region, rr)
				t.Rows = append(t.Rows, rr)
			}
		}
		all = append(all, image...)
		if len(image) > 1 {
			t.Rows = append(t.Rows, t.mean(g.Name, ScopeImage, image))
		}
		if len(region) > 1 {
			t.Rows = append(t.Rows, t.mean(g.Name, ScopeRegion, region))
		}
	}
	if len(o.Groups) > 1 {
		t.Rows = append(t.Rows, t.mean("all", ScopeImage, all))
	}
	return t
}

// meanPromptKV averages the prompts' KV cache sizes (each prompt once: its
// first query).
func meanPromptKV(scores []QueryScore) map[string]float64 {
	sum, n := map[string]float64{}, map[string]int{}
	for _, s := range scores {
		if s.Query != 0 {
			continue
		}
		for k, v := range s.PromptKV {
			sum[k] += float64(v)
			n[k]++
		}
	}
	if len(sum) == 0 {
		return nil
	}
	for k := range sum {
		sum[k] /= float64(n[k])
	}
	return sum
}

// has reports whether the table computed the method.
func (t *Table) has(m Method) bool {
	for _, x := range t.Methods {
		if x == m {
			return true
		}
	}
	return false
}

// row aggregates one family's query scores, clustered by prompt.
func (t *Table) row(group, fam, scope string, qs []QueryScore, get func(QueryScore) map[Method]float64) Row {
	r := Row{Group: group, Family: fam, Scope: scope, Cells: map[Method]metrics.Estimate{}, Diffs: map[string]Diff{}}
	cluster := make([]int, len(qs))
	for i, s := range qs {
		cluster[i] = s.Prompt
	}
	column := func(m Method) []float64 {
		v := make([]float64, len(qs))
		for i, s := range qs {
			v[i] = get(s)[m]
		}
		return v
	}
	for _, m := range t.Methods {
		r.Cells[m] = metrics.ClusterMean(column(m), cluster)
	}
	for _, c := range Comparisons {
		if !t.has(c.A) || !t.has(c.B) {
			continue
		}
		a, b := column(c.A), column(c.B)
		d := Diff{Estimate: metrics.PairedClusterMean(a, b, cluster)}
		for i := range a {
			if a[i] > b[i] {
				d.Higher++
			}
		}
		r.Diffs[c.Name] = d
	}
	return r
}

// mean is the unweighted mean of family rows, errors combined as
// independent.
func (t *Table) mean(group, scope string, rows []Row) Row {
	r := Row{Group: group, Scope: scope, Cells: map[Method]metrics.Estimate{}, Diffs: map[string]Diff{}}
	for _, m := range t.Methods {
		es := make([]metrics.Estimate, len(rows))
		for i, x := range rows {
			es[i] = x.Cells[m]
		}
		r.Cells[m] = metrics.MeanOfEstimates(es)
	}
	for _, name := range t.Comparisons {
		es := make([]metrics.Estimate, len(rows))
		higher := 0
		for i, x := range rows {
			es[i] = x.Diffs[name].Estimate
			higher += x.Diffs[name].Higher
		}
		r.Diffs[name] = Diff{Estimate: metrics.MeanOfEstimates(es), Higher: higher}
	}
	return r
}

// decoding describes the sampling options.
func decoding(o Options) string {
	s := o.Sample
	var parts []string
	if s.Temperature == 0 {
		parts = append(parts, "greedy")
	} else {
		parts = append(parts, fmt.Sprintf("temperature %g, top-k %d, top-p %g, seed %d", s.Temperature, s.TopK, s.TopP, s.Seed))
	}
	if s.CFG != 0 && s.CFG != 1 {
		parts = append(parts, fmt.Sprintf("CFG %g", s.CFG))
	}
	if s.ContextGuidance != 0 && s.ContextGuidance != 1 {
		parts = append(parts, fmt.Sprintf("context guidance %g", s.ContextGuidance))
	}
	return strings.Join(parts, ", ")
}

// JSON returns the table as indented JSON, every query's scores included.
func (t *Table) JSON() ([]byte, error) { return json.MarshalIndent(t, "", "  ") }
