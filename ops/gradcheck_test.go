package ops

import (
	"fmt"
	"math"
	"testing"

	"xprompt/core"
)

// opCase is one operator checked against an independent float64 reference:
// the forward values, and the gradient of Σ r·out (r random) against central
// finite differences of the reference.
type opCase struct {
	name   string
	shapes [][]int
	op     func(in []*core.Tensor) *core.Tensor
	ref    func(in [][]float64) []float64
	gen    func(r *core.RNG, i int) float64 // input value generator; default N(0,1)
	skip   []bool                           // inputs whose gradient is not checked
	tol    float64                          // default 2e-3
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func checkOp(t *testing.T, c opCase) {
	t.Helper()
	rng := core.NewRNG(uint64(len(c.name)*7919 + 1))
	gen := c.gen
	if gen == nil {
		gen = func(r *core.RNG, _ int) float64 { return r.Normal() }
	}
	tol := c.tol
	if tol == 0 {
		tol = 2e-3
	}
	in64 := make([][]float64, len(c.shapes))
	ins := make([]*core.Tensor, len(c.shapes))
	for i, s := range c.shapes {
		in64[i] = make([]float64, size(s))
		d := make([]float32, size(s))
		for j := range d {
			v := float32(gen(rng, i))
			d[j] = v
			in64[i][j] = float64(v) // the reference sees exactly the float32 inputs
		}
		ins[i] = core.New(d, s...).SetRequiresGrad(!(c.skip != nil && c.skip[i]))
	}
	out := c.op(ins)
	want := c.ref(in64)
	if out.Len() != len(want) {
		t.Fatalf("%s: output has %d values (shape %v), reference %d", c.name, out.Len(), out.Dims(), len(want))
	}
	for j, w := range want {
		if !close(float64(out.Data[j]), w, tol) {
			t.Fatalf("%s: forward[%d] = %g, reference %g", c.name, j, out.Data[j], w)
		}
	}
	r := make([]float64, len(want))
	r32 := make([]float32, len(want))
	for j := range r {
		r[j] = rng.Normal()
		r32[j] = float32(r[j])
	}
	loss := Sum(Mul(out, core.New(r32, out.Shape()...)))
	loss.Backward()
	proj := func() float64 {
		var s float64
		for j, v := range c.ref(in64) {
			s += v * r[j]
		}
		return s
	}
	for i, x := range ins {
		if c.skip != nil && c.skip[i] {
			continue
		}
		if x.Grad() == nil {
			t.Fatalf("%s: input %d got no gradient", c.name, i)
		}
		for j := range in64[i] {
			h := 1e-6 * math.Max(1, math.Abs(in64[i][j]))
			old := in64[i][j]
			in64[i][j] = old + h
			up := proj()
			in64[i][j] = old - h
			down := proj()
			in64[i][j] = old
			num := (up - down) / (2 * h)
			if got := float64(x.Grad().Data[j]); !close(got, num, tol) {
				t.Fatalf("%s: d/dx%d[%d] = %g, finite difference %g", c.name, i, j, got, num)
			}
		}
	}
}

func close(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol+tol*math.Abs(want)
}

// mustPanic checks that f panics with a message containing all of parts.
func mustPanic(t *testing.T, f func(), parts ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic; want one mentioning %q", parts)
		}
		msg := fmt.Sprint(r)
		for _, p := range parts {
			if !contains(msg, p) {
				t.Fatalf("panic %q does not mention %q", msg, p)
			}
		}
	}()
	f()
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// ---- float64 references, written independently of the kernels ----

// index converts a flat offset into a multi-index.
func index(off int, shape []int) []int {
	idx := make([]int, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		idx[i] = off % shape[i]
		off /= shape[i]
	}
	return idx
}

// flat converts a multi-index into an offset, broadcasting size-1 axes and
// aligning shape to the right of idx.
func flat(idx []int, shape []int) int {
	off := 0
	for i, d := range shape {
		j := idx[len(idx)-len(shape)+i]
		if d == 1 {
			j = 0
		}
		off = off*d + j
	}
	return off
}

func refBroadcast(a, b []float64, sa, sb []int, f func(x, y float64) float64) []float64 {
	out, err := BroadcastShape(sa, sb)
	if err != nil {
		panic(err)
	}
	res := make([]float64, size(out))
	for o := range res {
		idx := index(o, out)
		res[o] = f(a[flat(idx, sa)], b[flat(idx, sb)])
	}
	return res
}

func refMap(x []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = f(v)
	}
	return out
}

func refMatMul(a, b []float64, batch, m, n, k int, ta, tb, shared bool) []float64 {
	out := make([]float64, batch*m*n)
	for bi := 0; bi < batch; bi++ {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for p := 0; p < k; p++ {
					var av, bv float64
					if ta {
						av = a[bi*m*k+p*m+i]
					} else {
						av = a[bi*m*k+i*k+p]
					}
					bo := bi * k * n
					if shared {
						bo = 0
					}
					if tb {
						bv = b[bo+j*k+p]
					} else {
						bv = b[bo+p*n+j]
					}
					s += av * bv
				}
				out[(bi*m+i)*n+j] = s
			}
		}
	}
	return out
}

func refSoftmaxRow(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	var s float64
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Exp(v - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}
