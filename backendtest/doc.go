// Package backendtest is the conformance suite of core.Backend: it runs every
// primitive kernel of a backend on fresh random inputs and compares each
// output with a float64 reference written here, straight from the
// definitions in core/backend.go and core/mask.go (it never calls package
// ops). Backward kernels are compared with the analytic float64 gradient of
// the reference forward; the references themselves are checked against
// float64 finite differences in this package's tests.
//
// A backend runs the whole suite in one line:
//
//	func TestConformanceCPU(t *testing.T) { backendtest.Run(t, ops.CPU) }
//
// and RunAll runs it on every registered device, skipping CUDA with "no CUDA
// device: skipping CUDA conformance" where there is none. Run makes one
// subtest per primitive; Check runs one primitive and returns its mismatches
// as an error, each naming the primitive, the case, the output, the index,
// the value and the reference. The seed is fresh on every run and logged;
// XPROMPT_CONFORMANCE_SEED=n repeats a run.
//
// Inputs are uploaded with the backend's Transfer (ToDevice, ToHost) if it
// implements one; host-memory backends need nothing.
//
// # Tolerances
//
// A value got matches the reference ref when |got − ref| ≤ atol + rtol·|ref|
// (infinities, such as the −Inf log-sum-exp of a query that sees no key,
// must match exactly; NaN never matches). Inputs are of unit scale: uniform
// in [−1, 1] or standard normal unless a case says otherwise. The bounds
// allow float32 arithmetic in any summation order and fast exponentials of a
// few ulp, not reduced precision (TF32, float16).
//
//	primitive / output     atol    rtol    why
//	Gemm                   2e-5    2e-5    K ≤ 300 products of unit values
//	Unary                  1e-6    4e-6    a few ulp; fast exp in sigmoid, SiLU
//	UnaryBackward          1e-6    1e-5    derivative from the rounded y
//	Binary                 0       2.5e-7  one rounding (2 ulp)
//	SumTo                  1e-5    1e-5    + the rounding of the sum (below)
//	SumSquares             0       1e-5    float64 result of up to 40001 squares
//	Permute                0       1e-7    exact copies, one rounding when adding
//	CopyAxis               0       1e-7    exact copies, one rounding when adding
//	GatherRows             0       0       exact copies
//	ScatterAddRows         3e-5    1e-5    up to 50 repeated ids summed
//	Softmax                1e-7    1e-5    probabilities, rows up to 1000
//	Softmax.logy           1e-5    1e-6    log-probabilities down to about −40
//	SoftmaxBackward        1e-6    1e-5
//	CrossEntropy.loss      1e-5    1e-5    a float64 sum over rows
//	CrossEntropy.weight    1e-5    1e-6
//	CrossEntropy.dlogits   1e-7    1e-5
//	RMSNorm                1e-6    1e-5    y and rstd
//	RMSNormBackward        1e-5    1e-5    gw sums up to 64 rows; gx + its rounding
//	LayerNorm              1e-6    1e-5    y + its rounding, mean and rstd
//	LayerNormBackward      1e-5    1e-5    gx + its rounding
//	SwiGLU                 1e-6    1e-5
//	SwiGLUBackward         1e-6    1e-5
//	RoPE                   2e-5    1e-5    positions below 128, angles in float32
//	Attention.out          2e-5    1e-4    fast exp, online softmax
//	Attention.lse          2e-5    1e-5
//	Attention.weights      1e-6    1e-4
//	AttentionBackward      5e-5    5e-4    gq, gk, gv
//	Im2Col                 0       0       exact copies and zeros
//	Col2Im                 1e-6    1e-6    up to 25 values summed
//	NearestCodes.dist      1e-5    1e-5    the distance of the chosen code
//	NearestCodes.choice    1e-5    1e-5    chosen distance against the nearest
//	AdamW.p                1e-6    2e-6
//	AdamW.m                1e-7    1e-6
//	AdamW.v                1e-7    1e-6
//
// Four outputs are not of unit scale however the inputs are drawn, and their
// bound adds the float32 rounding that no order of evaluation avoids,
// computed per element from the inputs (u = 2⁻²⁴): a SumTo output adds
// 4u·√(Σ s²) over the partial sums s of adding its terms in order (each
// addition rounds by up to u·|s|, with random sign: about seven standard
// deviations of that walk); the gx of RMSNormBackward and
// LayerNormBackward adds 8u times the magnitudes of the terms whose
// difference it is (rstd ≈ 1e3 at ×1e-3 inputs and eps 1e-6 makes them
// dwarf gx); LayerNorm's y adds 4u·rstd·(|x| + |mean|)·|w|, the rounding of
// x − mean for inputs centred away from zero. A missing or doubled term is still far outside the bound.
package backendtest
