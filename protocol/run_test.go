package protocol_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"xprompt/data"
	"xprompt/infer"
	"xprompt/metrics"
	"xprompt/model"
	"xprompt/protocol"
	"xprompt/tasks"
	"xprompt/vq"
)

// tinyEngine is an untrained tiny model with fresh tokenizers: the protocol's
// plumbing is under test, not the model.
func tinyEngine(t *testing.T, seed uint64) *infer.Engine {
	t.Helper()
	m, err := model.New(model.Presets["tiny"], seed)
	if err != nil {
		t.Fatal(err)
	}
	e, err := infer.New(m, data.NewTextTokenizer(1, 512), vq.New(vq.DefaultConfig, 1), "tiny")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRunProducesEveryColumn(t *testing.T) {
	x, c := tinyEngine(t, 1), tinyEngine(t, 2)
	o := protocol.Options{Groups: []protocol.Group{{"g", []string{"invert", "add_object"}}}, Prompts: 2, Queries: 2, Examples: 1}
	calls := 0
	o.Progress = func(done, total int, _ string) {
		calls++
		if done != calls || total != 4 {
			t.Errorf("progress %d/%d at call %d", done, total, calls)
		}
	}
	tab, err := protocol.Run(context.Background(), protocol.Models{XPrompt: x, Causal: c, XPromptName: "x", CausalName: "c"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 4 {
		t.Fatalf("%d progress calls, want 4 (2 families × 2 prompts)", calls)
	}
	// Rows: invert, add_object, add_object (changed region), the group mean.
	if len(tab.Rows) != 4 || tab.Rows[2].Scope != protocol.ScopeRegion || tab.Rows[3].Family != "" {
		t.Fatalf("rows %+v", tab.Rows)
	}
	for _, r := range tab.Rows {
		for _, m := range protocol.Methods {
			e, ok := r.Cells[m]
			if !ok || math.IsNaN(e.Mean) || math.IsNaN(e.SE) || e.Mean <= 0 {
				t.Fatalf("row %s/%s: %s = %+v (present %v), want a finite mean and SE", r.Family, r.Scope, m, e, ok)
			}
		}
		for _, cmp := range protocol.Comparisons {
			if d, ok := r.Diffs[cmp.Name]; !ok || math.IsNaN(d.SE) || d.N == 0 {
				t.Fatalf("row %s/%s: %s = %+v", r.Family, r.Scope, cmp.Name, d)
			}
		}
	}
	if len(tab.Scores) != 8 {
		t.Fatalf("%d query scores, want 8", len(tab.Scores))
	}
	// The copy-input baseline is the mean of metrics.PSNR(input, truth)
	// over the queries, drawn here independently of Run.
	for ri, fam := range []string{"invert", "add_object"} {
		want := copyInputMean(t, protocol.Draw, fam, 2, 2)
		if got := tab.Rows[ri].Cells[protocol.CopyInput].Mean; math.Abs(got-want) > 1e-9 {
			t.Fatalf("%s: copy input %v, want mean metrics.PSNR %v", fam, got, want)
		}
	}
	// The prompt KV sizes are the means over the four prompts of the caches
	// the two models build from the drawn examples, compressed here again.
	want := map[string]float64{}
	for _, fam := range []string{"invert", "add_object"} {
		for p := 0; p < 2; p++ {
			set, err := protocol.Draw(fam, protocol.Development.PromptSeed(p), 1, 2, 32)
			if err != nil {
				t.Fatal(err)
			}
			xp, err := x.Compress(set.Examples, model.ModeXPrompt)
			if err != nil {
				t.Fatal(err)
			}
			cc, err := c.Compress(set.Examples, model.ModeCausal)
			if err != nil {
				t.Fatal(err)
			}
			want["xprompt"] += float64(xp.Bytes) / 4
			want[protocol.UncompressedKV] += float64(xp.FullBytes) / 4
			want["causal_trained"] += float64(cc.Bytes) / 4
		}
	}
	for k, v := range want {
		if got := tab.PromptKV[k]; math.Abs(got-v) > 1e-6 {
			t.Errorf("mean prompt KV %s = %v, want %v", k, got, v)
		}
	}
	if !(want["xprompt"] < want[protocol.UncompressedKV] && want["xprompt"] < want["causal_trained"]) {
		t.Errorf("prompt KV: X-Prompt %v, uncompressed %v, causal %v", want["xprompt"], want[protocol.UncompressedKV], want["causal_trained"])
	}
	md := tab.Markdown()
	t.Log("\n" + md)
	for _, want := range []string{"Prompt KV cache", "X-Prompt holds", "copy input", "input via tokenizer", "tokenizer ceiling", "no context", "X-Prompt", "wrong example",
		"causal-trained", "X-Prompt − no context", "add_object (changed region)", "**g mean**", "development seeds 1…2"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	js, err := tab.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Rows []struct {
			Family string                                 `json:"family"`
			PSNR   map[string]struct{ Mean, SE *float64 } `json:"psnr"`
			Diffs  map[string]struct{ Higher *int }       `json:"diffs"`
		} `json:"rows"`
		Queries []json.RawMessage `json:"queries"`
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Rows) != 4 || len(back.Queries) != 8 || back.Rows[0].PSNR["causal_trained"].SE == nil || back.Rows[0].Diffs["xprompt-no_context"].Higher == nil {
		t.Fatalf("JSON round trip lost fields:\n%s", js[:min(len(js), 2000)])
	}
}

func TestRunWithoutCausalModelOmitsTheRow(t *testing.T) {
	x := tinyEngine(t, 1)
	o := protocol.Options{Groups: []protocol.Group{{"g", []string{"flip_h"}}}, Prompts: 2, Queries: 1, Examples: 1, HideInstruction: true}
	tab, err := protocol.Run(context.Background(), protocol.Models{XPrompt: x}, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tab.Rows[0].Cells[protocol.CausalTrained]; ok {
		t.Fatal("a causal row without a causal-trained model")
	}
	md := tab.Markdown()
	if strings.Contains(md, "| causal-trained") || !strings.Contains(md, "causal-trained: omitted") || !strings.Contains(md, "instructions withheld") ||
		!strings.Contains(md, "Fewer than 10 prompts") {
		t.Fatalf("Markdown should omit the causal column and say why:\n%s", md)
	}
	// A causal model that was trained with the X-Prompt mask is refused, as
	// is an X-Prompt model trained causal.
	c := tinyEngine(t, 2)
	c.Trained, c.TrainedKnown = model.ModeXPrompt, true
	if _, err := protocol.Run(context.Background(), protocol.Models{XPrompt: x, Causal: c}, o); err == nil || !strings.Contains(err.Error(), "causal model was trained with the xprompt mask") {
		t.Fatalf("X-Prompt-trained causal model: %v", err)
	}
	x.Trained, x.TrainedKnown = model.ModeCausal, true
	if _, err := protocol.Run(context.Background(), protocol.Models{XPrompt: x}, o); err == nil {
		t.Fatal("a causal-trained model ran as the X-Prompt model")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	x.TrainedKnown = false
	if _, err := protocol.Run(ctx, protocol.Models{XPrompt: x}, o); err == nil {
		t.Fatal("a cancelled run returned no error")
	}
	for _, bad := range []protocol.Options{{Groups: o.Groups, Prompts: 0, Queries: 1, Examples: 1},
		{Groups: []protocol.Group{{"g", []string{"caption"}}}, Prompts: 1, Queries: 1, Examples: 1}} {
		if _, err := protocol.Run(context.Background(), protocol.Models{XPrompt: x}, bad); err == nil {
			t.Fatalf("options %+v ran", bad)
		}
	}
}

func TestGroupsAndWrongFamilies(t *testing.T) {
	for _, g := range protocol.HeldOutGroups {
		for _, name := range g.Families {
			if f, err := tasks.ByName(name); err != nil || !f.HeldOut {
				t.Errorf("held-out group lists %s (held out: %v, %v)", name, f != nil && f.HeldOut, err)
			}
		}
	}
	for _, g := range protocol.SeenGroups {
		for _, name := range g.Families {
			f, err := tasks.ByName(name)
			if err != nil || f.HeldOut {
				t.Errorf("seen group %s lists %s (%v)", g.Name, name, err)
				continue
			}
			for i := 0; i < 8; i++ {
				if w := protocol.WrongFamily(name, i); w == f.Name || w == f.Reverse {
					t.Errorf("wrong example of %s at prompt %d is %s", name, i, w)
				}
			}
		}
	}
	if all, err := protocol.Groups("all"); err != nil || len(all) != 5 {
		t.Fatalf("Groups(all) = %d groups, %v", len(all), err)
	}
	if _, err := protocol.Groups("derain,nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("Groups with an unknown family: %v", err)
	}
}

// TestRunSharedParams checks that a run with shared parameters scores the
// bound queries (DrawShared) and says so in its table.
func TestRunSharedParams(t *testing.T) {
	o := protocol.Options{Groups: []protocol.Group{{"g", []string{"add_object"}}}, Prompts: 2, Queries: 2, Examples: 1, SharedParams: true}
	tab, err := protocol.Run(context.Background(), protocol.Models{XPrompt: tinyEngine(t, 1), XPromptName: "x"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tab.Rows[0].Cells[protocol.CopyInput].Mean, copyInputMean(t, protocol.DrawShared, "add_object", 2, 2); math.Abs(got-want) > 1e-9 {
		t.Fatalf("copy input %v, want the bound queries' %v", got, want)
	}
	if !tab.SharedParams || !strings.Contains(tab.Markdown(), "own edit") {
		t.Fatalf("the table does not say the examples shared the queries' parameters:\n%s", tab.Markdown())
	}
}

// copyInputMean is the mean of metrics.PSNR(input, truth) over the queries
// of the family's first development prompts, drawn by draw independently of
// Run.
func copyInputMean(t *testing.T, draw func(string, uint64, int, int, int) (protocol.Set, error), fam string, prompts, queries int) float64 {
	t.Helper()
	sum, n := 0.0, 0
	for p := 0; p < prompts; p++ {
		set, err := draw(fam, protocol.Development.PromptSeed(p), 1, queries, 32)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range set.Queries {
			v, err := metrics.PSNR(q.Input, q.Output)
			if err != nil {
				t.Fatal(err)
			}
			sum += v
			n++
		}
	}
	return sum / float64(n)
}
