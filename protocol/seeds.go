package protocol

import "fmt"

// ReservedSeedBase is the first reserved seed. Seeds below it are
// development seeds; seeds from it up are for final numbers only and must
// never be used to choose a recipe.
//
// Draw mixes the family into the seed by XOR with a hash and draws the
// examples from a second stream whose seed is XORed with a 64-bit constant
// whose top bit is set; for seeds below 2·ReservedSeedBase neither
// operation can map a family's development seed onto one of its reserved
// seeds, so the two ranges draw disjoint streams.
const ReservedSeedBase uint64 = 1 << 40

// DevelopmentSeedBase is the seed of the first development prompt.
const DevelopmentSeedBase uint64 = 1

// Split names a range of prompt seeds.
type Split int

const (
	// Development seeds, for everything but final numbers.
	Development Split = iota
	// Reserved seeds, for final numbers only.
	Reserved
)

// String returns "development" or "reserved".
func (s Split) String() string {
	if s == Reserved {
		return "reserved"
	}
	return "development"
}

// PromptSeed returns the seed of the i-th prompt (i ≥ 0) of the split.
func (s Split) PromptSeed(i int) uint64 {
	if i < 0 {
		panic(fmt.Sprintf("protocol.Split.PromptSeed: prompt %d", i))
	}
	if s == Reserved {
		return ReservedSeedBase + uint64(i)
	}
	seed := DevelopmentSeedBase + uint64(i)
	if seed >= ReservedSeedBase {
		panic(fmt.Sprintf("protocol.Split.PromptSeed: development prompt %d runs into the reserved seeds", i))
	}
	return seed
}

// CheckDevelopmentSeed returns an error if seed lies in the reserved range.
// Commands used while developing (gen, demo, the lab) call it.
func CheckDevelopmentSeed(seed uint64) error {
	if seed >= ReservedSeedBase {
		return fmt.Errorf("seed %d is reserved for final numbers (seeds from %d up); develop on seeds below it and report with 'xprompt evaluate --reserved'", seed, ReservedSeedBase)
	}
	return nil
}
