package train

import (
	"context"
	"math"
	"testing"

	"xprompt/data"
)

// TestWeightAverage follows the average through three steps against the
// recurrence computed here in float64 from the weights after each step,
// then checks that it survives Save and Resume: a resumed run ends with
// the same average as one that never stopped.
func TestWeightAverage(t *testing.T) {
	newRun := func() *Run {
		o := DefaultOptions("tiny")
		o.Batch, o.Steps, o.Warmup, o.EMA = 2, 40, 2, 0.5
		r, err := NewRun(o, data.NewTextTokenizer(1, 512), data.PatchCodec{F: 4}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := newRun()
	params := r.Model.Params.List()
	want := make([][]float64, len(params)) // the average, computed here
	for i, p := range params {
		for _, v := range p.Data {
			want[i] = append(want[i], float64(v))
		}
	}
	for step := 0; step < 3; step++ {
		if err := r.Train(context.Background(), 1, nil); err != nil {
			t.Fatal(err)
		}
		d := math.Min(0.5, float64(1+step)/float64(10+step)) // 0.1, 2/11, 0.25
		moved := false
		for i, p := range params {
			for j, v := range p.Data {
				want[i][j] = d*want[i][j] + (1-d)*float64(v)
				got := float64(r.avg.w[i].Data[j])
				if math.Abs(got-want[i][j]) > 1e-6*(1+math.Abs(want[i][j])) {
					t.Fatalf("step %d: average of %s[%d] = %g, want %g", step+1, p.Name(), j, got, want[i][j])
				}
				moved = moved || float64(v) != want[i][j]
			}
		}
		if !moved {
			t.Fatalf("step %d: the average equals the weights; the test cannot tell them apart", step+1)
		}
	}

	resumed := saveAndResume(t, r)
	for _, run := range []*Run{r, resumed} {
		if err := run.Train(context.Background(), 2, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i, a := range r.avg.w {
		for j, v := range a.Data {
			if resumed.avg.w[i].Data[j] != v {
				t.Fatalf("average of %s[%d]: %g straight, %g after resume", a.Name(), j, v, resumed.avg.w[i].Data[j])
			}
		}
	}

	o := DefaultOptions("tiny")
	o.EMA = 1
	if _, err := NewRun(o, data.NewTextTokenizer(1, 512), data.PatchCodec{F: 4}, nil); err == nil {
		t.Fatal("a decay of 1 (an average that never moves) was accepted")
	}
}
