package tasks

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// StreamOptions configures a training Stream.
type StreamOptions struct {
	Size           int  // image side in pixels; 0 means 32
	IncludeHeldOut bool // also yield held-out families (and reverses into them)
	// Families restricts the stream to these names (anything ByName knows,
	// e.g. "palette_perm_9"); empty means every built-in family.
	Families []string
	// Weights overrides Family.Weight by name; a weight of 0 drops a family
	// (it is neither drawn nor reached by reverse augmentation).
	Weights map[string]float64
	// ReverseProb is the probability of yielding an example's reverse
	// (Example.Reversed) instead of the example: reverse-task augmentation.
	ReverseProb float64
}

// ExampleStream yields training examples: a family drawn with probability
// proportional to its weight, then an example of it.
type ExampleStream struct {
	rng     *rand.Rand
	size    int
	fams    []*Family
	cum     []float64 // cumulative weights
	allowed map[string]bool
	revProb float64
}

// Stream returns a seeded stream of examples. Held-out families are never
// yielded, neither drawn nor reached by reverse augmentation, unless
// opt.IncludeHeldOut is set. It returns an error for an unknown family name,
// a negative weight or probability, or when no family is left.
func Stream(seed uint64, opt StreamOptions) (*ExampleStream, error) {
	size := opt.Size
	if size == 0 {
		size = 32
	}
	if size < MinSize {
		return nil, fmt.Errorf("tasks.Stream: image size %d < MinSize %d", size, MinSize)
	}
	if opt.ReverseProb < 0 || opt.ReverseProb > 1 {
		return nil, fmt.Errorf("tasks.Stream: reverse probability %g outside [0,1]", opt.ReverseProb)
	}
	cands := All()
	if len(opt.Families) > 0 {
		cands = cands[:0]
		for _, n := range opt.Families {
			f, err := ByName(n)
			if err != nil {
				return nil, fmt.Errorf("tasks.Stream: %w", err)
			}
			cands = append(cands, f)
		}
	}
	for n := range opt.Weights {
		if _, err := ByName(n); err != nil {
			return nil, fmt.Errorf("tasks.Stream: weight for %w", err)
		}
	}
	s := &ExampleStream{rng: NewRand(seed), size: size, allowed: map[string]bool{}, revProb: opt.ReverseProb}
	var total float64
	for _, f := range cands {
		if f.HeldOut && !opt.IncludeHeldOut {
			continue
		}
		w := f.Weight
		if v, ok := opt.Weights[f.Name]; ok {
			w = v
		}
		if w < 0 {
			return nil, fmt.Errorf("tasks.Stream: negative weight %g for %s", w, f.Name)
		}
		if w == 0 {
			s.allowed[f.Name] = false
			continue
		}
		if s.allowed[f.Name] {
			continue // listed twice
		}
		total += w
		s.fams = append(s.fams, f)
		s.cum = append(s.cum, total)
		s.allowed[f.Name] = true
	}
	if len(s.fams) == 0 {
		return nil, fmt.Errorf("tasks.Stream: no family left to sample")
	}
	for n, w := range opt.Weights {
		if w == 0 {
			s.allowed[n] = false
		}
	}
	if !opt.IncludeHeldOut {
		for _, f := range HeldOut() {
			s.allowed[f.Name] = false
		}
	}
	return s, nil
}

// Families returns the names of the families the stream draws from.
func (s *ExampleStream) Families() []string {
	out := make([]string, len(s.fams))
	for i, f := range s.fams {
		out[i] = f.Name
	}
	return out
}

// Next returns the next example.
func (s *ExampleStream) Next() Example {
	u := s.rng.Float64() * s.cum[len(s.cum)-1]
	i := sort.Search(len(s.cum), func(k int) bool { return s.cum[k] > u })
	e := s.fams[i].Sample(s.rng, s.size)
	if s.revProb > 0 && s.rng.Float64() < s.revProb {
		if r, ok := e.Reversed(); ok && s.reverseAllowed(r.Family) {
			return r
		}
	}
	return e
}

// reverseAllowed reports whether a reverse example of the named family may
// be yielded: not a family whose weight was set to 0, and never a held-out
// family unless held-out families are included. Other reverse families are
// allowed even when the stream does not draw them.
func (s *ExampleStream) reverseAllowed(name string) bool {
	allowed, known := s.allowed[name]
	return !known || allowed
}
