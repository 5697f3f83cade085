package vq

import (
	"math/rand/v2"
)

// laplaceEps is the additive (Laplace) smoothing of the code counts, which
// keeps rarely used codes from dividing by zero.
const laplaceEps = 1e-5

// codebookEMA keeps the moving averages behind the codebook: for each code
// k the smoothed count Nₖ of encoder outputs assigned to it and their sum
// Sₖ. After each step
//
//	Nₖ ← γ·Nₖ + (1−γ)·nₖ,   Sₖ ← γ·Sₖ + (1−γ)·Σ_{i→k} zᵢ,
//	eₖ = Sₖ / Ñₖ,  Ñₖ = (Nₖ + ε) / (ΣN + K·ε) · ΣN
//
// (van den Oord et al. 2017, appendix; Laplace smoothing as in Sonnet), and
// with l2-normalised codes eₖ = Sₖ / ‖Sₖ‖ instead. lastUsed[k] is the last
// step at which code k was assigned.
type codebookEMA struct {
	m        *Model
	counts   []float64 // K
	sums     []float64 // K·D
	lastUsed []int
}

// newCodebookEMA starts the averages. A model that has not been trained
// starts every code at an encoder output drawn among the first batch's rows
// (N·D values), so that every code begins where the data is; a trained one
// (Steps > 0, e.g. loaded from a file) keeps its codebook, each code with a
// count of 1.
func newCodebookEMA(m *Model, rows []float32, rng *rand.Rand) *codebookEMA {
	k, d := m.Config.Codes, m.Config.CodeDim
	e := &codebookEMA{m: m, counts: make([]float64, k), sums: make([]float64, k*d), lastUsed: make([]int, k)}
	if m.Steps > 0 {
		for c := 0; c < k; c++ {
			e.reset(c, append([]float32(nil), m.codebook.Data[c*d:(c+1)*d]...), false, rng, m.Steps)
		}
		return e
	}
	n := len(rows) / d
	perm := rng.Perm(n)
	for c := 0; c < k; c++ {
		src := rows[perm[c%n]*d : perm[c%n]*d+d]
		e.reset(c, src, c >= n, rng, m.Steps)
	}
	return e
}

// reset places code c at vector v (plus a little noise when jitter is set,
// to separate codes started from the same vector) with a count of 1.
func (e *codebookEMA) reset(c int, v []float32, jitter bool, rng *rand.Rand, step int) {
	d := e.m.Config.CodeDim
	code := e.m.codebook.Data[c*d : (c+1)*d]
	copy(code, v)
	if jitter {
		for j := range code {
			code[j] += float32(rng.NormFloat64() * 0.01)
		}
	}
	if e.m.Config.Normalize {
		normalizeRows(code, d)
	}
	e.counts[c] = 1
	for j, x := range code {
		e.sums[c*d+j] = float64(x)
	}
	e.lastUsed[c] = step
}

// update folds one step's assignments ids of encoder outputs rows into the
// averages and rewrites the codebook.
func (e *codebookEMA) update(rows []float32, ids []int32, decay float32, step int) {
	k, d := e.m.Config.Codes, e.m.Config.CodeDim
	g := float64(decay)
	n := make([]float64, k)
	s := make([]float64, k*d)
	for i, id := range ids {
		n[id]++
		for j, v := range rows[i*d : (i+1)*d] {
			s[int(id)*d+j] += float64(v)
		}
		e.lastUsed[id] = step
	}
	var total float64
	for c := 0; c < k; c++ {
		e.counts[c] = g*e.counts[c] + (1-g)*n[c]
		total += e.counts[c]
		for j := c * d; j < (c+1)*d; j++ {
			e.sums[j] = g*e.sums[j] + (1-g)*s[j]
		}
	}
	cb := e.m.codebook.Data
	for c := 0; c < k; c++ {
		smoothed := (e.counts[c] + laplaceEps) / (total + float64(k)*laplaceEps) * total
		for j := c * d; j < (c+1)*d; j++ {
			cb[j] = float32(e.sums[j] / smoothed)
		}
	}
	if e.m.Config.Normalize {
		normalizeRows(cb, d)
	}
}

// restartDead moves every code unused for at least deadAfter steps to a
// random encoder output among rows and returns how many it moved.
func (e *codebookEMA) restartDead(rows []float32, step, deadAfter int, rng *rand.Rand) int {
	d := e.m.Config.CodeDim
	n := len(rows) / d
	moved := 0
	for c := range e.lastUsed {
		if step-e.lastUsed[c] < deadAfter {
			continue
		}
		i := rng.IntN(n)
		e.reset(c, rows[i*d:(i+1)*d], true, rng, step)
		moved++
	}
	return moved
}
