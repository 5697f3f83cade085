package infer

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"xprompt/protocol"
)

var updateHeadline = flag.Bool("update-headline", false, "rewrite testdata/headline.json from the embedded model")

// headlineFile pins the embedded model's group means under the protocol.
const headlineFile = "testdata/headline.json"

// headlineTolerance is how far (dB) a pinned group mean may move: far more
// than a greedy token flipping between machines moves a mean of 8 or more
// queries (about 0.1 dB), far less than a broken model loses.
const headlineTolerance = 0.75

// headline is what is pinned: per group, the mean PSNR of each method.
type headline struct {
	Command string                        `json:"command"`
	Groups  map[string]map[string]float64 `json:"groups"`
}

// TestEmbeddedModelHeadline runs the protocol on a fixed small seed set
// (every group, development prompts 1 and 2, two queries each, greedy) and
// compares the group means with those recorded when the model was
// embedded, so that a regression of the model or of the code that runs it
// cannot pass silently. After embedding a new model:
//
//	go test ./infer -run TestEmbeddedModelHeadline -update-headline
func TestEmbeddedModelHeadline(t *testing.T) {
	e, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	groups, err := protocol.Groups("all")
	if err != nil {
		t.Fatal(err)
	}
	o := protocol.Options{Groups: groups, Prompts: 2, Queries: 2, Examples: 1}
	tab, err := protocol.Run(context.Background(), protocol.Models{XPrompt: e, XPromptName: "default"}, o)
	if err != nil {
		t.Fatal(err)
	}
	got := headline{Command: "go test ./infer -run TestEmbeddedModelHeadline -update-headline", Groups: map[string]map[string]float64{}}
	for _, r := range tab.Rows {
		if r.Family != "" || r.Scope != protocol.ScopeImage {
			continue
		}
		g := map[string]float64{}
		for _, m := range []protocol.Method{protocol.CopyInput, protocol.NoContext, protocol.XPrompt, protocol.WrongExample} {
			g[string(m)] = math.Round(r.Cells[m].Mean*100) / 100
		}
		got.Groups[r.Group] = g
	}
	if *updateHeadline {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.MkdirAll(filepath.Dir(headlineFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(headlineFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", headlineFile)
		return
	}
	b, err := os.ReadFile(headlineFile)
	if err != nil {
		t.Fatal(err)
	}
	var want headline
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", headlineFile, err)
	}
	if len(want.Groups) != len(got.Groups) {
		t.Fatalf("groups %v, pinned %v", keys(got.Groups), keys(want.Groups))
	}
	for g, ms := range want.Groups {
		for m, w := range ms {
			v, ok := got.Groups[g][m]
			if !ok || math.Abs(v-w) > headlineTolerance {
				t.Errorf("%s, %s: %.2f dB, pinned %.2f ± %.2f", g, m, v, w, headlineTolerance)
			}
		}
	}
	t.Logf("group means: %s", fmt.Sprint(got.Groups))
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
