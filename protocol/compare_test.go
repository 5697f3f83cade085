package protocol

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// versusTables returns two tables of the same draw: groups "g1" (families
// f1 and the edit f2, whose scores carry a changed region) and "g2" (f3),
// 2 prompts × 2 queries each. In B, X-Prompt is A's plus shift(family,
// prompt, query); no context is the same in both.
func versusTables(shift func(fam string, p, q int) float64) (*Table, *Table) {
	mk := func(b bool) *Table {
		t := &Table{XPromptModel: "a", Split: "development", FirstSeed: 1, LastSeed: 2, Prompts: 2, Queries: 2, Examples: 1,
			Methods: []Method{CopyInput, NoContext, XPrompt}}
		if b {
			t.XPromptModel = "b"
		}
		for _, g := range []struct{ group, fam string }{{"g1", "f1"}, {"g1", "f2"}, {"g2", "f3"}} {
			t.Rows = append(t.Rows, Row{Group: g.group, Family: g.fam, Scope: ScopeImage})
			for p := range 2 {
				for q := range 2 {
					x := 10 + float64(p) + 0.5*float64(q)
					if b {
						x += shift(g.fam, p, q)
					}
					s := QueryScore{Family: g.fam, Prompt: p, Seed: uint64(1 + p), Query: q,
						PSNR: map[Method]float64{CopyInput: 9, NoContext: 8, XPrompt: x}}
					if g.fam == "f2" {
						s.Region = map[Method]float64{CopyInput: 5, NoContext: 5, XPrompt: x - 4}
					}
					t.Scores = append(t.Scores, s)
				}
			}
		}
		return t
	}
	return mk(false), mk(true)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// TestCompare checks the paired differences, their clustered errors, the
// higher/lower counts, the group and overall means and the in-context gains
// against values worked out by hand.
func TestCompare(t *testing.T) {
	// f1: prompt 0 gains 1 on both queries, prompt 1 gains 3 and 1 (mean 2):
	// per-prompt means 1 and 2 → mean 1.5, SE sd(1, 2)/√2 = 0.5.
	// f2: +1 everywhere (SE 0); f3: −1 on prompt 0, ties on prompt 1.
	shift := func(fam string, p, q int) float64 {
		switch fam {
		case "f1":
			if p == 1 && q == 0 {
				return 3
			}
			return 1
		case "f2":
			return 1
		}
		if p == 0 {
			return -1
		}
		return 0
	}
	a, b := versusTables(shift)
	v, err := Compare(a, b, XPrompt)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]VersusRow{}
	for _, r := range v.Rows {
		rows[r.Group+"/"+r.Family+"/"+r.Scope] = r
	}
	// f1, f2, f2's changed region, g1's mean, f3, the mean of all: a group
	// mean needs two families (g1 has one changed region, g2 one family).
	var keys []string
	for _, r := range v.Rows {
		keys = append(keys, r.Group+"/"+r.Family+"/"+r.Scope)
	}
	if want := "g1/f1/image g1/f2/image g1/f2/changed region g1//image g2/f3/image all//image"; strings.Join(keys, " ") != want {
		t.Fatalf("rows %q, want %q", strings.Join(keys, " "), want)
	}
	f1 := rows["g1/f1/image"]
	if !near(f1.Diff.Mean, 1.5) || !near(f1.Diff.SE, 0.5) || f1.Diff.Higher != 4 || f1.Lower != 0 {
		t.Errorf("f1: B − A %v, higher %d lower %d; want 1.5 ± 0.5, 4 and 0", f1.Diff.Estimate, f1.Diff.Higher, f1.Lower)
	}
	if !near(f1.A.Mean, 10.75) || !near(f1.B.Mean, 12.25) {
		t.Errorf("f1: A %v B %v, want 10.75 and 12.25", f1.A, f1.B)
	}
	if f1.GainA == nil || !near(f1.GainA.Mean, 2.75) || !near(f1.GainB.Mean, 4.25) {
		t.Errorf("f1 gains %v %v, want 2.75 and 4.25", f1.GainA, f1.GainB)
	}
	f3 := rows["g2/f3/image"]
	if !near(f3.Diff.Mean, -0.5) || !near(f3.Diff.SE, 0.5) || f3.Diff.Higher != 0 || f3.Lower != 2 {
		t.Errorf("f3: B − A %v, higher %d lower %d; want −0.5 ± 0.5, 0 and 2", f3.Diff.Estimate, f3.Diff.Higher, f3.Lower)
	}
	if r, ok := rows["g1/f2/"+ScopeRegion]; !ok || !near(r.Diff.Mean, 1) || !near(r.A.Mean, 6.75) {
		t.Errorf("f2's changed region: %+v (present %v), want B − A 1 and A 6.75", r, ok)
	}
	// g1: the mean of f1 (1.5 ± 0.5) and f2 (1 ± 0): 1.25 ± √(0.25)/2.
	g1 := rows["g1//image"]
	if !near(g1.Diff.Mean, 1.25) || !near(g1.Diff.SE, 0.25) || g1.Diff.Higher != 8 {
		t.Errorf("g1 mean: %v higher %d, want 1.25 ± 0.25 and 8", g1.Diff.Estimate, g1.Diff.Higher)
	}
	all := rows["all//image"]
	if !near(all.Diff.Mean, (1.5+1-0.5)/3) || all.Lower != 2 {
		t.Errorf("all: %v lower %d, want %v and 2", all.Diff.Estimate, all.Lower, (1.5+1-0.5)/3)
	}
	md := v.Markdown()
	for _, want := range []string{"| f1 | 10.75 ± 0.50 | 12.25 ± 1.00 | +1.50 ± 0.50 | 4 / 0 of 4 |", "**all mean**", "f2 (changed region)"} {
		if !strings.Contains(md, want) {
			t.Errorf("the markdown lacks %q:\n%s", want, md)
		}
	}
	// Without no context in B, its gains are absent, not zero.
	b.Methods = []Method{CopyInput, XPrompt}
	for i := range b.Scores {
		delete(b.Scores[i].PSNR, NoContext)
	}
	v, err = Compare(a, b, XPrompt)
	if err != nil {
		t.Fatal(err)
	}
	if v.Rows[0].GainB != nil || v.Rows[0].GainA == nil || !strings.Contains(v.Markdown(), "| — |") {
		t.Errorf("gains with no context missing from B: A %v B %v", v.Rows[0].GainA, v.Rows[0].GainB)
	}
}

// TestCompareRefusesDifferentDraws: tables of other seeds, settings or
// queries, or without the method, are not compared.
func TestCompareRefusesDifferentDraws(t *testing.T) {
	same := func(string, int, int) float64 { return 0 }
	for name, spoil := range map[string]func(b *Table){
		"seeds":        func(b *Table) { b.FirstSeed, b.LastSeed = 3, 4 },
		"instructions": func(b *Table) { b.HideInstruction = true },
		"families":     func(b *Table) { b.Rows = b.Rows[:2] },
		"query seed":   func(b *Table) { b.Scores[3].Seed = 99 },
		"extra query":  func(b *Table) { b.Scores = append(b.Scores, b.Scores[0]) },
		"method":       func(b *Table) { b.Methods = []Method{CopyInput, NoContext} },
		"no score":     func(b *Table) { delete(b.Scores[2].PSNR, XPrompt) },
	} {
		a, b := versusTables(same)
		spoil(b)
		if _, err := Compare(a, b, XPrompt); err == nil {
			t.Errorf("%s: two tables drawn differently were compared", name)
		}
	}
	// A family row without queries (a hand-edited table) is an error, not a panic.
	a, b := versusTables(same)
	for _, x := range []*Table{a, b} {
		x.Rows = append(x.Rows, Row{Group: "g2", Family: "f4", Scope: ScopeImage})
	}
	if _, err := Compare(a, b, XPrompt); err == nil || !strings.Contains(err.Error(), "f4") {
		t.Errorf("a family without queries: %v", err)
	}
}

// TestReadTable reads back what evaluate writes and names a bad file.
func TestReadTable(t *testing.T) {
	a, _ := versusTables(func(string, int, int) float64 { return 0 })
	dir := t.TempDir()
	js, err := a.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "evaluation.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := ReadTable(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Scores) != len(a.Scores) || back.Scores[5].PSNR[XPrompt] != a.Scores[5].PSNR[XPrompt] || back.FirstSeed != 1 {
		t.Errorf("read back %d queries, first seed %d", len(back.Scores), back.FirstSeed)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"queries": "no"}`), 0o644)
	if _, err := ReadTable(bad); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("a malformed table: %v", err)
	}
	empty := filepath.Join(dir, "empty.json")
	os.WriteFile(empty, []byte(`{}`), 0o644)
	if _, err := ReadTable(empty); err == nil {
		t.Error("a table with no queries was read")
	}
	if _, err := ReadTable(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file was read")
	}
}
