package backendtest

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"xprompt/core"
)

// SeedEnv names the environment variable that fixes the seed of Run and
// RunAll; without it every run draws fresh inputs from a time-based seed,
// which is logged so that a failure can be repeated.
const SeedEnv = "XPROMPT_CONFORMANCE_SEED"

// Transfer moves tensors between host memory and a backend's device. A
// backend whose tensors do not live in Tensor.Data implements it, and the
// suite then uploads every input with ToDevice and reads every output back
// with ToHost. Backends that do not implement it (the CPU) get HostTransfer.
type Transfer interface {
	// ToDevice returns a tensor on the backend's device with the shape and
	// values of the host tensor t.
	ToDevice(t *core.Tensor) *core.Tensor
	// ToHost returns a host tensor (values in Data) with the shape and values
	// of the device tensor t.
	ToHost(t *core.Tensor) *core.Tensor
}

// HostTransfer is the identity Transfer of backends that compute on host
// memory.
type HostTransfer struct{}

// ToDevice returns t.
func (HostTransfer) ToDevice(t *core.Tensor) *core.Tensor { return t }

// ToHost returns t.
func (HostTransfer) ToHost(t *core.Tensor) *core.Tensor { return t }

// TransferFor returns be itself if it implements Transfer, else HostTransfer.
func TransferFor(be core.Backend) Transfer {
	if tr, ok := be.(Transfer); ok {
		return tr
	}
	return HostTransfer{}
}

// primitive is one entry of the suite: a kernel of core.Backend and the
// function that runs its cases.
type primitive struct {
	name  string
	check func(c *checker)
}

// primitives lists every kernel of core.Backend in the interface's order.
var primitives = []primitive{
	{"Gemm", checkGemm},
	{"Unary", checkUnary},
	{"UnaryBackward", checkUnaryBackward},
	{"Binary", checkBinary},
	{"SumTo", checkSumTo},
	{"SumSquares", checkSumSquares},
	{"Permute", checkPermute},
	{"CopyAxis", checkCopyAxis},
	{"GatherRows", checkGatherRows},
	{"ScatterAddRows", checkScatterAddRows},
	{"Softmax", checkSoftmax},
	{"SoftmaxBackward", checkSoftmaxBackward},
	{"CrossEntropy", checkCrossEntropy},
	{"RMSNorm", checkRMSNorm},
	{"RMSNormBackward", checkRMSNormBackward},
	{"LayerNorm", checkLayerNorm},
	{"LayerNormBackward", checkLayerNormBackward},
	{"SwiGLU", checkSwiGLU},
	{"SwiGLUBackward", checkSwiGLUBackward},
	{"RoPE", checkRoPE},
	{"Attention", checkAttention},
	{"AttentionBackward", checkAttentionBackward},
	{"Im2Col", checkIm2Col},
	{"Col2Im", checkCol2Im},
	{"NearestCodes", checkNearestCodes},
	{"AdamW", checkAdamW},
}

// Primitives returns the names of the primitives the suite checks, in the
// order of core.Backend.
func Primitives() []string {
	names := make([]string, len(primitives))
	for i, p := range primitives {
		names[i] = p.name
	}
	return names
}

// Check runs every case of the named primitive on be with inputs drawn from
// seed and returns an error listing the mismatches against the float64
// reference (and any panic of the backend), or nil if all outputs are within
// tolerance. It panics if the primitive is unknown.
func Check(be core.Backend, name string, seed uint64) error {
	_, err := CheckErrors(be, name, seed)
	return err
}

// Errors summarises how far a primitive's outputs were from the reference
// over all its cases: MaxRel is the largest |got − ref|/|ref| (over
// references with |ref| ≥ 1e-3), MaxAbs the largest |got − ref|, and
// MaxTolFrac the largest |got − ref| as a fraction of its tolerance (above 1
// fails).
type Errors struct {
	MaxRel, MaxAbs, MaxTolFrac float64
	Values                     int // values compared
}

// CheckErrors is Check that also returns the error summary.
func CheckErrors(be core.Backend, name string, seed uint64) (Errors, error) {
	for _, p := range primitives {
		if p.name == name {
			c := newChecker(be, name, seed)
			p.check(c)
			return c.stats, c.err()
		}
	}
	panic(fmt.Sprintf("backendtest.Check: unknown primitive %q (have %v)", name, Primitives()))
}

// Run checks every primitive of be against the float64 reference, one
// subtest per primitive, on fresh random inputs (see SeedEnv).
func Run(t *testing.T, be core.Backend) {
	t.Helper()
	seed := suiteSeed(t)
	t.Logf("backend %s: seed %d (set %s=%d to repeat)", be.Name(), seed, SeedEnv, seed)
	for _, p := range primitives {
		t.Run(p.name, func(t *testing.T) {
			st, err := CheckErrors(be, p.name, seed)
			if err != nil {
				t.Errorf("backend %s, seed %d:\n%v", be.Name(), seed, err)
			}
			t.Logf("%-18s %s: %6d values, max rel err %.2e, max abs err %.2e, %.2f of tolerance",
				p.name, be.Name(), st.Values, st.MaxRel, st.MaxAbs, st.MaxTolFrac)
		})
	}
}

// RunAll runs Run on the backend of every registered device, one subtest per
// device. A CUDA backend (cuda, cuda-emu) that is not registered or cannot
// be opened is skipped with a message; any other unavailable backend is an
// error.
func RunAll(t *testing.T) {
	t.Helper()
	sawCUDA := false
	for _, d := range core.Devices() {
		sawCUDA = sawCUDA || d == cudaDevice
		t.Run(string(d), func(t *testing.T) {
			be, err := core.BackendFor(d)
			switch {
			case err != nil && d == cudaDevice:
				t.Skipf("no CUDA device: skipping CUDA conformance (%v)", err)
			case err != nil && strings.HasPrefix(string(d), string(cudaDevice)):
				t.Skipf("skipping %s conformance: %v", d, err)
			case err != nil:
				t.Fatalf("backend for device %q: %v", d, err)
			}
			Run(t, be)
		})
	}
	if !sawCUDA {
		t.Run(string(cudaDevice), func(t *testing.T) {
			t.Skip("no CUDA device: skipping CUDA conformance")
		})
	}
}

// cudaDevice is the device name the CUDA backend registers under.
const cudaDevice core.Device = "cuda"

// suiteSeed returns the seed from SeedEnv, or a fresh one.
func suiteSeed(t *testing.T) uint64 {
	if s := os.Getenv(SeedEnv); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", SeedEnv, s, err)
		}
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// maxReports bounds the mismatches reported per output of one case.
const maxReports = 3

// checker runs the cases of one primitive and collects their failures.
type checker struct {
	be    core.Backend
	tr    Transfer
	rng   *rand.Rand
	prim  string
	cname string // the current case
	fails []string
	stats Errors
}

// record adds one compared value to the error summary.
func (c *checker) record(got, want, bound float64) {
	c.stats.Values++
	if math.IsInf(want, 0) || math.IsNaN(got) {
		return
	}
	d := math.Abs(got - want)
	c.stats.MaxAbs = max(c.stats.MaxAbs, d)
	if math.Abs(want) >= 1e-3 {
		c.stats.MaxRel = max(c.stats.MaxRel, d/math.Abs(want))
	}
	switch {
	case bound > 0:
		c.stats.MaxTolFrac = max(c.stats.MaxTolFrac, d/bound)
	case d > 0:
		c.stats.MaxTolFrac = math.Inf(1)
	}
}

func newChecker(be core.Backend, prim string, seed uint64) *checker {
	h := fnv.New64a()
	h.Write([]byte(prim))
	return &checker{be: be, tr: TransferFor(be), rng: rand.New(rand.NewPCG(seed, h.Sum64())), prim: prim}
}

func (c *checker) err() error {
	if len(c.fails) == 0 {
		return nil
	}
	return errors.New(strings.Join(c.fails, "\n"))
}

// run runs one case, turning a panic of the backend into a failure.
func (c *checker) run(name string, body func()) {
	c.cname = name
	defer func() {
		if r := recover(); r != nil {
			c.failf("panic: %v", r)
		}
	}()
	body()
}

func (c *checker) failf(format string, args ...any) {
	c.fails = append(c.fails, fmt.Sprintf("%s: case %q: ", c.prim, c.cname)+fmt.Sprintf(format, args...))
}

// dev returns a device tensor holding a copy of data with the given shape.
func (c *checker) dev(data []float32, shape ...int) *core.Tensor {
	return c.tr.ToDevice(core.New(append([]float32(nil), data...), shape...))
}

// host returns the values of a device tensor.
func (c *checker) host(t *core.Tensor) []float32 { return c.tr.ToHost(t).Data }

// uniform returns n values drawn uniformly from [lo, hi).
func (c *checker) uniform(n int, lo, hi float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(lo + (hi-lo)*c.rng.Float64())
	}
	return out
}

// normal returns n values drawn from N(0, sd²).
func (c *checker) normal(n int, sd float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(sd * c.rng.NormFloat64())
	}
	return out
}

// ints returns n values drawn uniformly from [0, hi).
func (c *checker) ints(n, hi int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(c.rng.IntN(hi))
	}
	return out
}

// near reports the elements of got (an output of the given shape) that
// differ from want by more than the primitive's tolerance for output.
func (c *checker) near(output string, shape []int, got []float32, want []float64) {
	c.nearWithin(output, shape, got, want, nil)
}

// nearWithin is near with the bound of element i widened by rounding[i]:
// the float32 rounding that no summation order avoids where an output is a
// long sum or a difference of terms much larger than itself (see doc.go).
// A nil rounding widens nothing.
func (c *checker) nearWithin(output string, shape []int, got []float32, want, rounding []float64) {
	tl := tolFor(c.prim, output)
	if len(got) != len(want) {
		c.failf("%s has %d values, want %d", output, len(got), len(want))
		return
	}
	bad := 0
	for i, w := range want {
		g := float64(got[i])
		et := tl
		if rounding != nil {
			et.Atol += rounding[i]
		}
		c.record(g, w, et.bound(w))
		if ok, d := et.accepts(g, w); !ok {
			if bad < maxReports {
				c.failf("%s%v = %.9g, want %.9g (|diff| %.3g > tol %.3g = %g + %g·|ref|%s)",
					output, unravel(i, shape), g, w, d, et.bound(w), tl.Atol, tl.Rtol, roundingNote(rounding, i))
			}
			bad++
		}
	}
	if bad > maxReports {
		c.failf("%s: %d of %d values out of tolerance in all", output, bad, len(want))
	}
}

// roundingNote names the rounding allowance of element i in a mismatch.
func roundingNote(rounding []float64, i int) string {
	if rounding == nil {
		return ""
	}
	return fmt.Sprintf(" + rounding %.3g", rounding[i])
}

// nearScalar reports a scalar output outside tolerance.
func (c *checker) nearScalar(output string, got, want float64) {
	tl := tolFor(c.prim, output)
	c.record(got, want, tl.bound(want))
	if ok, d := tl.accepts(got, want); !ok {
		c.failf("%s = %.12g, want %.12g (|diff| %.3g > tol %.3g = %g + %g·|ref|)",
			output, got, want, d, tl.bound(want), tl.Atol, tl.Rtol)
	}
}

// f64 converts float32 values to float64.
func f64(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, v := range xs {
		out[i] = float64(v)
	}
	return out
}

// f32 rounds float64 values to float32.
func f32(xs []float64) []float32 {
	out := make([]float32, len(xs))
	for i, v := range xs {
		out[i] = float32(v)
	}
	return out
}

// size returns the number of elements of a shape.
func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// unravel returns the multi-index of flat index i in a row-major shape.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for ax := len(shape) - 1; ax >= 0; ax-- {
		if shape[ax] > 0 {
			idx[ax] = i % shape[ax]
			i /= shape[ax]
		}
	}
	return idx
}

// ravel returns the flat index of a multi-index in a row-major shape.
func ravel(idx, shape []int) int {
	off := 0
	for ax, d := range shape {
		off = off*d + idx[ax]
	}
	return off
}
