package backendtest

import (
	"fmt"
	"math"
)

// tol is an error bound: a value got matches the reference ref when
// |got − ref| ≤ Atol + Rtol·|ref|. Infinite references must match exactly.
type tol struct{ Atol, Rtol float64 }

func (t tol) bound(ref float64) float64 { return t.Atol + t.Rtol*math.Abs(ref) }

// accepts reports whether got matches ref, and their distance.
func (t tol) accepts(got, ref float64) (bool, float64) {
	d := math.Abs(got - ref)
	if math.IsInf(ref, 0) || math.IsInf(got, 0) {
		return got == ref, d
	}
	if math.IsNaN(got) || math.IsNaN(ref) {
		return false, math.NaN()
	}
	return d <= t.bound(ref), d
}

// tolerances holds the bound of each primitive ("Name") or of one output of
// it ("Name.output", which takes precedence). The inputs are of unit scale
// (see each check); the bounds leave room for float32 arithmetic in another
// summation order and for fast exponentials (a few ulp), and no more. The
// table in doc.go repeats these values; a test keeps the two in step.
var tolerances = map[string]tol{
	"Gemm":                 {2e-5, 2e-5},
	"Unary":                {1e-6, 4e-6},
	"UnaryBackward":        {1e-6, 1e-5},
	"Binary":               {0, 2.5e-7},
	"SumTo":                {1e-5, 1e-5},
	"SumSquares":           {0, 1e-5},
	"Permute":              {0, 1e-7},
	"CopyAxis":             {0, 1e-7},
	"GatherRows":           {0, 0},
	"ScatterAddRows":       {3e-5, 1e-5},
	"Softmax":              {1e-7, 1e-5},
	"Softmax.logy":         {1e-5, 1e-6},
	"SoftmaxBackward":      {1e-6, 1e-5},
	"CrossEntropy.loss":    {1e-5, 1e-5},
	"CrossEntropy.weight":  {1e-5, 1e-6},
	"CrossEntropy.dlogits": {1e-7, 1e-5},
	"RMSNorm":              {1e-6, 1e-5},
	"RMSNormBackward":      {1e-5, 1e-5},
	"LayerNorm":            {1e-6, 1e-5},
	"LayerNormBackward":    {1e-5, 1e-5},
	"SwiGLU":               {1e-6, 1e-5},
	"SwiGLUBackward":       {1e-6, 1e-5},
	"RoPE":                 {2e-5, 1e-5},
	"Attention.out":        {2e-5, 1e-4},
	"Attention.lse":        {2e-5, 1e-5},
	"Attention.weights":    {1e-6, 1e-4},
	"AttentionBackward":    {5e-5, 5e-4},
	"Im2Col":               {0, 0},
	"Col2Im":               {1e-6, 1e-6},
	"NearestCodes.dist":    {1e-5, 1e-5},
	"NearestCodes.choice":  {1e-5, 1e-5},
	"AdamW.p":              {1e-6, 2e-6},
	"AdamW.m":              {1e-7, 1e-6},
	"AdamW.v":              {1e-7, 1e-6},
}

// unitRoundoff is float32's unit roundoff 2⁻²⁴: one rounding moves a value
// by at most this fraction of itself.
const unitRoundoff = 0x1p-24

// tolFor returns the bound of one output of a primitive.
func tolFor(prim, output string) tol {
	if t, ok := tolerances[prim+"."+output]; ok {
		return t
	}
	if t, ok := tolerances[prim]; ok {
		return t
	}
	panic(fmt.Sprintf("backendtest: no tolerance for %s output %s", prim, output))
}
