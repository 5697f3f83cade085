package tasks

import (
	"strings"
	"testing"
)

func TestStreamNeverYieldsHeldOut(t *testing.T) {
	s, err := Stream(1, StreamOptions{ReverseProb: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]bool{}
	for _, f := range HeldOut() {
		held[f.Name] = true
	}
	counts := map[string]int{}
	reversed := 0
	for i := 0; i < 3000; i++ {
		e := s.Next()
		if held[e.Family] {
			t.Fatalf("example %d is of held-out family %s", i, e.Family)
		}
		counts[e.Family]++
		if r, ok := e.Reversed(); ok && r.Family != e.Family {
			reversed++
		}
	}
	for _, f := range Seen() {
		if counts[f.Name] == 0 {
			t.Errorf("seen family %s never drawn in 3000 examples", f.Name)
		}
	}
	if reversed == 0 {
		t.Errorf("no example with a reverse")
	}
}

func TestStreamIncludeHeldOut(t *testing.T) {
	s, err := Stream(2, StreamOptions{IncludeHeldOut: true, Size: 16})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for i := 0; i < 1500; i++ {
		e := s.Next()
		counts[e.Family]++
		if e.Scene.Size != 16 {
			t.Fatalf("size %d, want 16", e.Scene.Size)
		}
	}
	for _, f := range HeldOut() {
		if counts[f.Name] == 0 {
			t.Errorf("held-out family %s never drawn with IncludeHeldOut", f.Name)
		}
	}
}

func TestStreamWeightsAndReverses(t *testing.T) {
	cases := []struct {
		name string
		opt  StreamOptions
		want map[string]float64 // expected fraction per family
	}{
		{"weights 3:1", StreamOptions{Families: []string{"flip_h", "invert"}, Weights: map[string]float64{"flip_h": 3}},
			map[string]float64{"flip_h": 0.75, "invert": 0.25}},
		{"always reversed", StreamOptions{Families: []string{"rotate90"}, ReverseProb: 1},
			map[string]float64{"rotate270": 1}},
		{"reverse dropped by weight 0", StreamOptions{Families: []string{"rotate90"}, ReverseProb: 1, Weights: map[string]float64{"rotate270": 0}},
			map[string]float64{"rotate90": 1}},
		{"reverses of seen families", StreamOptions{Families: []string{"denoise", "inpaint"}, ReverseProb: 0.5},
			map[string]float64{"denoise": 0.25, "add_noise": 0.25, "inpaint": 0.25, "add_hole": 0.25}},
		{"new palette task", StreamOptions{Families: []string{"palette_perm_99"}, ReverseProb: 0.5},
			map[string]float64{"palette_perm_99": 0.5, "palette_perm_99_inv": 0.5}},
	}
	for _, c := range cases {
		s, err := Stream(3, c.opt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		const n = 800
		counts := map[string]int{}
		for i := 0; i < n; i++ {
			counts[s.Next().Family]++
		}
		for name, frac := range c.want {
			got := float64(counts[name]) / n
			if got < frac-0.06 || got > frac+0.06 {
				t.Errorf("%s: %s drawn %.3f of the time, want %.2f (counts %v)", c.name, name, got, frac, counts)
			}
		}
		for name := range counts {
			if _, ok := c.want[name]; !ok {
				t.Errorf("%s: unexpected family %s", c.name, name)
			}
		}
	}
}

func TestStreamHeldOutReverseBlocked(t *testing.T) {
	// The augmentation guard refuses every held-out family and allows seen
	// reverse families that the stream does not draw itself.
	s, err := Stream(4, StreamOptions{Families: []string{"flip_h"}, ReverseProb: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range HeldOut() {
		if s.reverseAllowed(f.Name) {
			t.Errorf("reverse into held-out %s allowed", f.Name)
		}
	}
	if !s.reverseAllowed("add_noise") {
		t.Errorf("reverse into seen add_noise refused")
	}
}

func TestStreamDeterministic(t *testing.T) {
	a, _ := Stream(7, StreamOptions{ReverseProb: 0.3})
	b, _ := Stream(7, StreamOptions{ReverseProb: 0.3})
	c, _ := Stream(8, StreamOptions{ReverseProb: 0.3})
	same := true
	for i := 0; i < 50; i++ {
		x, y, z := a.Next(), b.Next(), c.Next()
		if x.Family != y.Family || x.Instruction != y.Instruction || !sameImage(x.Input, y.Input) || !sameImage(x.Output, y.Output) {
			t.Fatalf("example %d differs between equal seeds", i)
		}
		same = same && x.Family == z.Family && x.Instruction == z.Instruction
	}
	if same {
		t.Errorf("seeds 7 and 8 give the same stream")
	}
}

func TestStreamErrors(t *testing.T) {
	cases := []struct {
		opt  StreamOptions
		want string
	}{
		{StreamOptions{Families: []string{"nope"}}, "nope"},
		{StreamOptions{Families: []string{"derain"}}, "no family left"},
		{StreamOptions{Weights: map[string]float64{"denoise": -1}}, "negative weight"},
		{StreamOptions{Weights: map[string]float64{"typo": 1}}, "typo"},
		{StreamOptions{ReverseProb: 2}, "reverse probability"},
		{StreamOptions{Size: 4}, "size"},
	}
	for _, c := range cases {
		_, err := Stream(1, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Stream(%+v) error %v, want one mentioning %q", c.opt, err, c.want)
		}
	}
	if _, err := Stream(1, StreamOptions{Families: []string{"derain"}, IncludeHeldOut: true}); err != nil {
		t.Errorf("held-out family with IncludeHeldOut: %v", err)
	}
}

// BenchmarkStream measures how fast the default stream makes 32×32 training
// examples.
func BenchmarkStream(b *testing.B) {
	s, err := Stream(1, StreamOptions{ReverseProb: 0.5})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s.Next()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "examples/s")
}
