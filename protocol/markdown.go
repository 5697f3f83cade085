package protocol

import (
	"fmt"
	"sort"
	"strings"
)

// Markdown renders the table: how it was made, a row per family and group
// mean, and the notes (omitted rows, caveats).
func (t *Table) Markdown() string {
	var b strings.Builder
	instr := "queries and examples keep their instructions"
	if t.HideInstruction {
		instr = "instructions withheld from queries and examples"
	}
	if t.SharedParams {
		instr += "; each prompt's examples make the queries' own edit (same object, colour, place or amount) on other scenes"
	}
	fmt.Fprintf(&b, "Model %s", orDash(t.XPromptModel))
	if t.has(CausalTrained) {
		fmt.Fprintf(&b, "; causal-trained model %s", orDash(t.CausalModel))
	}
	fmt.Fprintf(&b, ". %d prompts × %d queries per family, %d in-context example(s) per prompt; %s seeds %d…%d; %s decoding; %s.\n\n",
		t.Prompts, t.Queries, t.Examples, t.Split, t.FirstSeed, t.LastSeed, t.Decoding, instr)
	if t.Prompts < MinPrompts {
		fmt.Fprintf(&b, "Fewer than %d prompts per family: the standard errors are rough; do not quote these numbers.\n\n", MinPrompts)
	}
	b.WriteString("Mean PSNR (dB) ± standard error clustered by prompt (per-prompt means, SE over prompts); " +
		"differences are paired per query, \"higher\" counts queries where the first scores higher; " +
		"group means weigh families equally (SE √(Σ SE²)/K). Changed region: pixels where the query's input and truth differ, dilated by one pixel.\n\n")
	head := []string{"family"}
	for _, m := range t.Methods {
		head = append(head, m.Title())
	}
	for _, name := range t.Comparisons {
		c := comparison(name)
		head = append(head, c.Title(), "higher")
	}
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for i := range head {
		if i == 0 {
			b.WriteString(" --- |")
		} else {
			b.WriteString(" ---: |")
		}
	}
	b.WriteString("\n")
	notes := map[string]string{}
	for _, r := range t.Rows {
		label := rowLabel(r.Group, r.Family, r.Scope)
		if r.Note != "" && r.Scope == ScopeImage {
			label += " †"
			notes[r.Family] = r.Note
		}
		cells := []string{label}
		for _, m := range t.Methods {
			cells = append(cells, r.Cells[m].String())
		}
		for _, name := range t.Comparisons {
			d := r.Diffs[name]
			cells = append(cells, signed(d), fmt.Sprintf("%d/%d", d.Higher, d.N))
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	var fams []string
	for f := range notes {
		fams = append(fams, f)
	}
	sort.Strings(fams)
	if len(fams) > 0 || len(t.Omitted) > 0 || len(t.PromptKV) > 0 {
		b.WriteString("\n")
	}
	for _, f := range fams {
		fmt.Fprintf(&b, "† %s: %s.\n", f, notes[f])
	}
	if line := t.kvLine(); line != "" {
		b.WriteString(line)
	}
	for _, m := range Methods {
		if why, ok := t.Omitted[m]; ok {
			fmt.Fprintf(&b, "%s: omitted — %s.\n", m.Title(), why)
		}
	}
	return b.String()
}

// comparison returns the comparison called name.
func comparison(name string) Comparison {
	for _, c := range Comparisons {
		if c.Name == name {
			return c
		}
	}
	panic("protocol: unknown comparison " + name)
}

// rowLabel names a table row: the family, or the group's mean in bold, with
// the scope when it is the changed region.
func rowLabel(group, family, scope string) string {
	label := family
	if label == "" {
		label = "**" + group + " mean**"
	}
	if scope == ScopeRegion {
		label += " (changed region)"
	}
	return label
}

// signed formats a difference with its sign.
func signed(d Diff) string {
	s := d.Estimate.String()
	if d.Mean >= 0 {
		s = "+" + s
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// kvLine says how much KV cache the in-context prompts keep: X-Prompt's
// against its uncompressed prompt and against the causal-trained model's.
func (t *Table) kvLine() string {
	xp, full := t.PromptKV[string(XPrompt)], t.PromptKV[UncompressedKV]
	if xp == 0 || full == 0 {
		return ""
	}
	s := fmt.Sprintf("Prompt KV cache, mean over prompts: X-Prompt %.0f bytes, %.1f %% of its uncompressed prompt (%.0f bytes)", xp, 100*xp/full, full)
	if c := t.PromptKV[string(CausalTrained)]; c > 0 {
		s += fmt.Sprintf("; the causal-trained model keeps its whole prompt, %.0f bytes: X-Prompt holds %.1f %% of it", c, 100*xp/c)
	}
	return s + ".\n"
}
