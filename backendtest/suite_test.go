package backendtest

import (
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"xprompt/core"
	"xprompt/ops"
)

// TestRunAll runs the suite on every registered backend (the CPU here) and
// skips CUDA.
func TestRunAll(t *testing.T) { RunAll(t) }

// Each broken backend wraps the CPU backend and gets one primitive wrong in a
// way a real kernel could.

type softmaxOffByOne struct{ core.Backend }

func (b softmaxOffByOne) Softmax(x, y *core.Tensor, log bool) {
	b.Backend.Softmax(x, y, log)
	y.Data[y.Len()/2] += 1e-2
}

type ropeWrongSign struct{ core.Backend }

func (b ropeWrongSign) RoPE(x, out *core.Tensor, pos []int32, base float32, inverse, acc bool) {
	b.Backend.RoPE(x, out, pos, base, !inverse, acc)
}

type attentionIgnoresPadding struct{ core.Backend }

func (b attentionIgnoresPadding) Attention(q, k, v *core.Tensor, m *core.Mask, scale float32, out, lse, w *core.Tensor) {
	if m != nil {
		mm := *m
		for i, s := range mm.KSeg {
			if s == core.SegPad {
				mm.KSeg = append([]int32(nil), m.KSeg...)
				mm.KSeg[i] = core.SegTD
			}
		}
		m = &mm
	}
	b.Backend.Attention(q, k, v, m, scale, out, lse, w)
}

type attentionBackwardScale struct{ core.Backend }

func (b attentionBackwardScale) AttentionBackward(q, k, v, out, lse, gout *core.Tensor, m *core.Mask, scale float32, gq, gk, gv *core.Tensor) {
	b.Backend.AttentionBackward(q, k, v, out, lse, gout, m, scale*1.01, gq, gk, gv)
}

type crossEntropyNoWeights struct{ core.Backend }

func (b crossEntropyNoWeights) CrossEntropy(x *core.Tensor, t []int32, _ []float32, ignore int32, d *core.Tensor) (float64, float64) {
	return b.Backend.CrossEntropy(x, t, nil, ignore, d)
}

type gemmIgnoresBeta struct{ core.Backend }

func (b gemmIgnoresBeta) Gemm(s core.GemmSpec, x, y, z *core.Tensor) {
	s.Beta = 0
	b.Backend.Gemm(s, x, y, z)
}

type sumToOverwrites struct{ core.Backend }

func (b sumToOverwrites) SumTo(x, out *core.Tensor, _ bool) { b.Backend.SumTo(x, out, false) }

// The outputs whose bound adds their rounding (see doc.go) must still
// reject reduced precision: these round them to bfloat16 (8 significant
// bits), as a kernel accumulating in it would.

func toBFloat16(t *core.Tensor) {
	for i, v := range t.Data {
		t.Data[i] = math.Float32frombits(math.Float32bits(v) &^ 0xffff)
	}
}

type sumToBFloat16 struct{ core.Backend }

func (b sumToBFloat16) SumTo(x, out *core.Tensor, acc bool) {
	b.Backend.SumTo(x, out, acc)
	toBFloat16(out)
}

type rmsNormBackwardBFloat16 struct{ core.Backend }

func (b rmsNormBackwardBFloat16) RMSNormBackward(x, w, rstd, gy, gx, gw *core.Tensor) {
	b.Backend.RMSNormBackward(x, w, rstd, gy, gx, gw)
	toBFloat16(gx)
}

type layerNormBFloat16 struct{ core.Backend }

func (b layerNormBFloat16) LayerNorm(x, w, bias, y, mean, rstd *core.Tensor, eps float32) {
	b.Backend.LayerNorm(x, w, bias, y, mean, rstd, eps)
	toBFloat16(y)
}

type layerNormBackwardNoBias struct{ core.Backend }

func (b layerNormBackwardNoBias) LayerNormBackward(x, w, mean, rstd, gy, gx, gw, _ *core.Tensor) {
	b.Backend.LayerNormBackward(x, w, mean, rstd, gy, gx, gw, nil)
}

type adamWNoBiasCorrection struct{ core.Backend }

func (b adamWNoBiasCorrection) AdamW(p, g, m, v *core.Tensor, c core.AdamWConfig) {
	c.Step = 1 << 20
	b.Backend.AdamW(p, g, m, v, c)
}

type nearestFirstCode struct{ core.Backend }

func (b nearestFirstCode) NearestCodes(x, book *core.Tensor, ids []int32, dist []float32) {
	b.Backend.NearestCodes(x, book, ids, dist)
	for i := range ids {
		ids[i] = 0
	}
}

type unaryPanics struct{ core.Backend }

func (unaryPanics) Unary(core.UnaryOp, float32, *core.Tensor, *core.Tensor) {
	panic("unary: not implemented")
}

// TestBrokenBackendsFail checks that the suite reports each broken primitive
// (and no other) with a message naming the primitive.
func TestBrokenBackendsFail(t *testing.T) {
	cases := []struct {
		be        core.Backend
		broken    string
		unrelated string // a primitive the backend still gets right
		want      string // in the error
	}{
		{softmaxOffByOne{ops.CPU}, "Softmax", "SoftmaxBackward", "y["},
		{ropeWrongSign{ops.CPU}, "RoPE", "Attention", "out["},
		{attentionIgnoresPadding{ops.CPU}, "Attention", "AttentionBackward", `case "full, left padding": out[`},
		{attentionBackwardScale{ops.CPU}, "AttentionBackward", "Attention", "gq["},
		{crossEntropyNoWeights{ops.CPU}, "CrossEntropy", "Softmax", "loss ="},
		{gemmIgnoresBeta{ops.CPU}, "Gemm", "SumTo", "alpha beta"},
		{sumToOverwrites{ops.CPU}, "SumTo", "Gemm", "accumulate=true"},
		{sumToBFloat16{ops.CPU}, "SumTo", "SumSquares", `case "[100 64]→[] accumulate=true": out[]`},
		{rmsNormBackwardBFloat16{ops.CPU}, "RMSNormBackward", "RMSNorm", "gx["},
		{layerNormBFloat16{ops.CPU}, "LayerNorm", "LayerNormBackward", "y["},
		{layerNormBackwardNoBias{ops.CPU}, "LayerNormBackward", "LayerNorm", "gb["},
		{adamWNoBiasCorrection{ops.CPU}, "AdamW", "SumSquares", "p["},
		{nearestFirstCode{ops.CPU}, "NearestCodes", "GatherRows", "is nearer"},
		{unaryPanics{ops.CPU}, "Unary", "UnaryBackward", "panic: unary: not implemented"},
	}
	for _, tc := range cases {
		t.Run(tc.broken, func(t *testing.T) {
			err := Check(tc.be, tc.broken, 1)
			if err == nil {
				t.Fatalf("Check(%T, %s) passed; want a failure", tc.be, tc.broken)
			}
			if !strings.HasPrefix(err.Error(), tc.broken+": case ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check(%T, %s) = %q; want it to start with %q and contain %q",
					tc.be, tc.broken, firstLine(err.Error()), tc.broken+": case ", tc.want)
			}
			if err := Check(tc.be, tc.unrelated, 1); err != nil {
				t.Errorf("Check(%T, %s) failed on a primitive it does not break: %v", tc.be, tc.unrelated, err)
			}
		})
	}
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

// TestFailureMessage checks the message of one mismatch: primitive, case,
// output and index, value, reference and bound.
func TestFailureMessage(t *testing.T) {
	err := Check(softmaxOffByOne{ops.CPU}, "Softmax", 7)
	if err == nil {
		t.Fatal("broken Softmax passed")
	}
	re := regexp.MustCompile(`^Softmax: case "\[3 17\] ×1\+0 log=false": y\[1 8\] = (\S+), want (\S+) \(\|diff\| (\S+) > tol \S+ = 1e-07 \+ 1e-05·\|ref\|\)$`)
	var m []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if m = re.FindStringSubmatch(line); m != nil {
			break
		}
	}
	if m == nil {
		t.Fatalf("no line of the error matches %v:\n%v", re, err)
	}
	got, _ := strconv.ParseFloat(m[1], 64)
	want, _ := strconv.ParseFloat(m[2], 64)
	if d := got - want; d < 0.0099 || d > 0.0101 {
		t.Errorf("reported value %g and reference %g differ by %g, want the injected 1e-2", got, want, d)
	}
}

// TestPrimitivesCoverBackend checks that the suite has a check for every
// kernel of core.Backend, so that a new kernel cannot go unchecked.
func TestPrimitivesCoverBackend(t *testing.T) {
	have := map[string]bool{}
	for _, p := range Primitives() {
		have[p] = true
	}
	bt := reflect.TypeFor[core.Backend]()
	for i := 0; i < bt.NumMethod(); i++ {
		name := bt.Method(i).Name
		if name == "Name" || name == "Device" {
			continue
		}
		if !have[name] {
			t.Errorf("core.Backend.%s has no conformance check", name)
		}
		delete(have, name)
	}
	for name := range have {
		t.Errorf("primitive %s is not a method of core.Backend", name)
	}
}

// TestToleranceTableInDoc checks that doc.go lists every bound of the
// tolerance table with its values, and nothing else.
func TestToleranceTableInDoc(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^//\t([A-Za-z0-9]+(?:\.[a-z]+)?)\s+(\S+)\s+(\S+)`)
	seen := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(src), -1) {
		if m[1] == "primitive" || m[1] == "func" {
			continue
		}
		tl, ok := tolerances[m[1]]
		if !ok {
			t.Errorf("doc.go lists %s, which has no tolerance", m[1])
			continue
		}
		atol, _ := strconv.ParseFloat(m[2], 64)
		rtol, _ := strconv.ParseFloat(m[3], 64)
		if atol != tl.Atol || rtol != tl.Rtol {
			t.Errorf("doc.go gives %s atol %s rtol %s; the table has %g, %g", m[1], m[2], m[3], tl.Atol, tl.Rtol)
		}
		seen[m[1]] = true
	}
	for k := range tolerances {
		if !seen[k] {
			t.Errorf("tolerance %s is missing from the table in doc.go", k)
		}
	}
}

// TestTolAccepts checks the comparison rule, infinities and NaN included.
func TestTolAccepts(t *testing.T) {
	inf := 1 / zero()
	cases := []struct {
		tl        tol
		got, want float64
		ok        bool
	}{
		{tol{1e-3, 0}, 1.0005, 1, true},
		{tol{1e-3, 0}, 1.002, 1, false},
		{tol{0, 1e-2}, 101, 100, true},
		{tol{0, 1e-2}, 102, 100, false},
		{tol{1, 1}, -inf, -inf, true},
		{tol{1, 1}, 0, -inf, false},
		{tol{1, 1}, -inf, 0, false},
		{tol{1, 1}, inf - inf, 0, false}, // NaN
		{tol{0, 0}, 0.5, 0.5, true},
	}
	for _, tc := range cases {
		if ok, _ := tc.tl.accepts(tc.got, tc.want); ok != tc.ok {
			t.Errorf("%+v.accepts(%g, %g) = %v, want %v", tc.tl, tc.got, tc.want, ok, tc.ok)
		}
	}
}

func zero() float64 { return 0 }
