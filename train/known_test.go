package train

import (
	"context"
	"slices"
	"testing"

	"xprompt/core"
	"xprompt/data"
)

// TestRunKnown: a run's Known holds the text ids of the sequences it
// trained on — drawn again here from a twin stream — and keeps them through
// a checkpoint, a resume and an init from it.
func TestRunKnown(t *testing.T) {
	r := tinyRun(t)
	if r.Known != nil {
		t.Fatal("a fresh run claims to know text before training")
	}
	const steps = 3
	if err := r.Train(context.Background(), steps, nil); err != nil {
		t.Fatal(err)
	}
	twin := tinyRun(t)
	rng := core.NewRNG(twin.Opts.Seed ^ 0x5eed) // the run's data stream (newRun)
	v := twin.Model.Cfg.Vocab
	want := make([]bool, v.TextSize)
	for range steps {
		seqs, err := twin.Pipe.Sequences(rng.Rand(), twin.Opts.Batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range seqs {
			for _, id := range s.Tokens {
				if id >= 0 && int(id) < v.TextSize {
					want[id] = true
				}
			}
		}
	}
	if !slices.Equal(r.Known, want) || !slices.Contains(want, true) {
		t.Fatalf("run knows %d text ids, its sequences hold %d", count(r.Known), count(want))
	}
	resumed := saveAndResume(t, r)
	if !slices.Equal(resumed.Known, want) {
		t.Fatal("the known text ids were lost in a resume")
	}
	ck, err := r.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions("tiny")
	o.Batch, o.Steps = 2, 5
	o.Data.Families = []string{"flip_h"}
	o.Data.CaptionWeight, o.Data.DifferenceWeight, o.Data.TextToImageWeight = 0, 0, 0
	next, err := InitFrom(o, ck, data.PatchCodec{F: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := next.Train(context.Background(), 1, nil); err != nil {
		t.Fatal(err)
	}
	for id, ok := range want {
		if ok && !next.Known[id] {
			t.Fatalf("text id %d known before the init is unknown after it", id)
		}
	}
	if &next.Known[0] == &ck.Known[0] {
		t.Fatal("the run marks the checkpoint's own set")
	}
}

func count(known []bool) int {
	n := 0
	for _, ok := range known {
		if ok {
			n++
		}
	}
	return n
}
