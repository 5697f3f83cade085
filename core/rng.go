package core

import (
	"math"
	"math/rand/v2"
)

// RNG is a seeded, deterministic random generator (PCG) whose state can be
// saved and restored for exact resumption of training.
type RNG struct {
	src *rand.PCG
	r   *rand.Rand
}

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG {
	src := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	return &RNG{src: src, r: rand.New(src)}
}

// Rand returns the generator as a *rand.Rand (for packages that take one);
// it draws from, and advances, the same state.
func (g *RNG) Rand() *rand.Rand { return g.r }

// Uint64 returns a uniformly random 64-bit value.
func (g *RNG) Uint64() uint64 { return g.r.Uint64() }

// Float32 returns a uniform value in [0, 1).
func (g *RNG) Float32() float32 { return g.r.Float32() }

// Float64 returns a uniform value in [0, 1).
func (g *RNG) Float64() float64 { return g.r.Float64() }

// Normal returns a standard normal value.
func (g *RNG) Normal() float64 { return g.r.NormFloat64() }

// IntN returns a uniform value in [0, n).
func (g *RNG) IntN(n int) int { return g.r.IntN(n) }

// Perm returns a random permutation of [0, n).
func (g *RNG) Perm(n int) []int { return g.r.Perm(n) }

// Split returns a new generator seeded from this one, for independent streams.
func (g *RNG) Split() *RNG { return NewRNG(g.r.Uint64()) }

// State returns the generator's state for checkpointing.
func (g *RNG) State() ([]byte, error) { return g.src.MarshalBinary() }

// SetState restores a state returned by State.
func (g *RNG) SetState(b []byte) error { return g.src.UnmarshalBinary(b) }

// Randn returns a tensor of normal values with the given standard deviation.
func (g *RNG) Randn(std float64, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = float32(g.r.NormFloat64() * std)
	}
	return t
}

// Uniform returns a tensor of values uniform in [lo, hi).
func (g *RNG) Uniform(lo, hi float64, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = float32(lo + (hi-lo)*g.r.Float64())
	}
	return t
}

// XavierStd returns the standard deviation of Glorot-normal initialisation.
func XavierStd(fanIn, fanOut int) float64 { return math.Sqrt(2 / float64(fanIn+fanOut)) }
