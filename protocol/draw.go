package protocol

import (
	"fmt"
	"hash/fnv"

	"xprompt/img"
	"xprompt/tasks"
)

// Set is one prompt's data: in-context examples of a family and queries
// answered from them.
type Set struct {
	Family   string
	Seed     uint64
	Examples []tasks.Example
	Queries  []tasks.Example
}

// familySeed mixes the family name into the seed.
func familySeed(seed uint64, family string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(family))
	return seed ^ h.Sum64()
}

// exampleStream is XORed into the seed of the examples' stream.
const exampleStream = 0x9e3779b97f4a7c15

// Draw draws k in-context examples and q queries of the family at
// size×size from seed. The queries and the examples come from two streams,
// so the queries do not depend on k: every row of a table that draws the
// family at a seed sees the same queries.
func Draw(family string, seed uint64, k, q, size int) (Set, error) {
	return draw(family, seed, k, q, size, false)
}

// paramStream is XORed into the seed that binds a family's parameters.
const paramStream = 0x632be59bd9b4e019

// DrawShared is Draw with the family bound by the seed (tasks.Family.Bind):
// the examples and the queries share what the instruction names (the
// object, colour, place or amount), so the example shows the query's own
// edit on another scene. Families that are not bindable draw as in Draw.
// The queries differ from Draw's at the same seed.
func DrawShared(family string, seed uint64, k, q, size int) (Set, error) {
	return draw(family, seed, k, q, size, true)
}

func draw(family string, seed uint64, k, q, size int, shared bool) (Set, error) {
	if k < 0 || q < 0 {
		return Set{}, fmt.Errorf("protocol: draw %d examples and %d queries", k, q)
	}
	f, err := tasks.ByName(family)
	if err != nil {
		return Set{}, err
	}
	s := familySeed(seed, f.Name)
	if shared {
		f = f.Bind(s ^ paramStream)
	}
	return Set{Family: f.Name, Seed: seed,
		Queries:  sample(f, q, s, size),
		Examples: sample(f, k, s^exampleStream, size)}, nil
}

// sample draws n examples of f from the stream of seed.
func sample(f *tasks.Family, n int, seed uint64, size int) []tasks.Example {
	rng := tasks.NewRand(seed)
	out := make([]tasks.Example, n)
	for i := range out {
		out[i] = f.Sample(rng, size)
	}
	return out
}

// HideInstructions removes the instructions of the set's queries and
// examples, so that only the example images say what the task is.
func (s *Set) HideInstructions() {
	for i := range s.Queries {
		s.Queries[i].Instruction = ""
	}
	for i := range s.Examples {
		s.Examples[i].Instruction = ""
	}
}

// Inputs returns the queries' inputs.
func (s Set) Inputs() []*img.Image {
	out := make([]*img.Image, len(s.Queries))
	for i, q := range s.Queries {
		out[i] = q.Input
	}
	return out
}

// Truths returns the queries' ground-truth outputs.
func (s Set) Truths() []*img.Image {
	out := make([]*img.Image, len(s.Queries))
	for i, q := range s.Queries {
		out[i] = q.Output
	}
	return out
}
