package ops

import (
	"math"
	"testing"

	"xprompt/core"
)

func positive(r *core.RNG, _ int) float64 { return 0.5 + 2*r.Float64() }

func TestBinaryOps(t *testing.T) {
	type bin struct {
		name string
		op   func(a, b *core.Tensor) *core.Tensor
		f    func(x, y float64) float64
	}
	ops := []bin{
		{"add", Add, func(x, y float64) float64 { return x + y }},
		{"sub", Sub, func(x, y float64) float64 { return x - y }},
		{"mul", Mul, func(x, y float64) float64 { return x * y }},
		{"div", Div, func(x, y float64) float64 { return x / y }},
	}
	shapes := [][2][]int{
		{{3, 4}, {3, 4}},
		{{2, 3, 4}, {4}},
		{{2, 3, 4}, {3, 1}},
		{{4}, {2, 3, 4}},
		{{2, 1, 4}, {1, 3, 1}},
		{{3}, {}},
	}
	for _, o := range ops {
		for _, s := range shapes {
			o, s := o, s
			gen := func(r *core.RNG, i int) float64 {
				if o.name == "div" && i == 1 {
					return positive(r, i)
				}
				return r.Normal()
			}
			checkOp(t, opCase{
				name:   o.name,
				shapes: [][]int{s[0], s[1]},
				op:     func(in []*core.Tensor) *core.Tensor { return o.op(in[0], in[1]) },
				ref:    func(in [][]float64) []float64 { return refBroadcast(in[0], in[1], s[0], s[1], o.f) },
				gen:    gen,
			})
		}
	}
	mustPanic(t, func() { Add(core.Zeros(2, 3), core.Zeros(4)) }, "add", "[2 3]", "[4]")
}

func TestUnaryOps(t *testing.T) {
	gelu := func(x float64) float64 {
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	}
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	cases := []struct {
		name string
		op   func(*core.Tensor) *core.Tensor
		f    func(float64) float64
		pos  bool
	}{
		{"neg", Neg, func(x float64) float64 { return -x }, false},
		{"exp", Exp, math.Exp, false},
		{"log", Log, math.Log, true},
		{"tanh", Tanh, math.Tanh, false},
		{"sigmoid", Sigmoid, sig, false},
		{"silu", SiLU, func(x float64) float64 { return x * sig(x) }, false},
		{"gelu", GELU, gelu, false},
		{"relu", ReLU, func(x float64) float64 { return math.Max(x, 0) }, false},
		{"sqrt", Sqrt, math.Sqrt, true},
		{"square", Square, func(x float64) float64 { return x * x }, false},
		{"abs", Abs, math.Abs, false},
		{"scale", func(x *core.Tensor) *core.Tensor { return Scale(x, -1.5) }, func(x float64) float64 { return -1.5 * x }, false},
		{"add_scalar", func(x *core.Tensor) *core.Tensor { return AddScalar(x, 0.25) }, func(x float64) float64 { return x + 0.25 }, false},
		{"pow", func(x *core.Tensor) *core.Tensor { return Pow(x, 1.7) }, func(x float64) float64 { return math.Pow(x, 1.7) }, true},
	}
	for _, c := range cases {
		c := c
		var gen func(*core.RNG, int) float64
		if c.pos {
			gen = positive
		}
		checkOp(t, opCase{
			name:   c.name,
			shapes: [][]int{{3, 5}},
			op:     func(in []*core.Tensor) *core.Tensor { return c.op(in[0]) },
			ref:    func(in [][]float64) []float64 { return refMap(in[0], c.f) },
			gen:    gen,
		})
	}
}

func TestMatMul(t *testing.T) {
	for _, c := range []struct {
		batch, m, n, k int
		ta, tb, shared bool
	}{
		{1, 3, 4, 5, false, false, true},
		{1, 3, 4, 5, true, false, true},
		{1, 3, 4, 5, false, true, true},
		{1, 3, 4, 5, true, true, true},
		{2, 3, 4, 5, false, false, false},
		{2, 3, 4, 5, true, false, false},
		{2, 3, 4, 5, false, true, false},
		{2, 3, 4, 5, true, true, false},
		{3, 2, 4, 3, false, false, true},
		{3, 2, 4, 3, false, true, true},
		{3, 2, 4, 3, true, false, true},
		{3, 2, 4, 3, true, true, true},
	} {
		c := c
		as := []int{c.m, c.k}
		if c.ta {
			as = []int{c.k, c.m}
		}
		bs := []int{c.k, c.n}
		if c.tb {
			bs = []int{c.n, c.k}
		}
		if c.batch > 1 || !c.shared {
			as = append([]int{c.batch}, as...)
		}
		if !c.shared {
			bs = append([]int{c.batch}, bs...)
		}
		checkOp(t, opCase{
			name:   "matmul",
			shapes: [][]int{as, bs},
			op:     func(in []*core.Tensor) *core.Tensor { return MatMulT(in[0], in[1], c.ta, c.tb) },
			ref: func(in [][]float64) []float64 {
				return refMatMul(in[0], in[1], c.batch, c.m, c.n, c.k, c.ta, c.tb, c.shared)
			},
		})
	}
	checkOp(t, opCase{
		name:   "linear",
		shapes: [][]int{{2, 3, 4}, {5, 4}},
		op:     func(in []*core.Tensor) *core.Tensor { return Linear(in[0], in[1]) },
		ref:    func(in [][]float64) []float64 { return refMatMul(in[0], in[1], 6, 1, 5, 4, false, true, true) },
	})
	mustPanic(t, func() { MatMul(core.Zeros(2, 3), core.Zeros(4, 5)) }, "MatMul", "[2 3]", "[4 5]")
}

func TestReductions(t *testing.T) {
	shape := []int{2, 3, 4}
	for _, axes := range [][]int{nil, {0}, {1}, {2}, {0, 2}, {-1}} {
		axes := axes
		keep, _ := reducedShape("t", shape, axes)
		refSum := func(in [][]float64) []float64 {
			out := make([]float64, size(keep))
			for o := range in[0] {
				out[flat(index(o, shape), keep)] += in[0][o]
			}
			return out
		}
		checkOp(t, opCase{name: "sum", shapes: [][]int{shape},
			op:  func(in []*core.Tensor) *core.Tensor { return Sum(in[0], axes...) },
			ref: refSum})
		n := float64(size(shape) / size(keep))
		checkOp(t, opCase{name: "mean", shapes: [][]int{shape},
			op: func(in []*core.Tensor) *core.Tensor { return Mean(in[0], axes...) },
			ref: func(in [][]float64) []float64 {
				return refMap(refSum(in), func(v float64) float64 { return v / n })
			}})
	}
	if got := Sum(core.Ones(2, 3), 1).Dims(); !core.EqualShapes(got, []int{2}) {
		t.Fatalf("Sum over axis 1 of (2,3): shape %v, want [2]", got)
	}
}

func TestShapeOps(t *testing.T) {
	shape := []int{2, 3, 4}
	ident := func(in [][]float64) []float64 { return append([]float64(nil), in[0]...) }
	checkOp(t, opCase{name: "reshape", shapes: [][]int{shape},
		op: func(in []*core.Tensor) *core.Tensor { return Reshape(in[0], 4, -1) }, ref: ident})
	perm := []int{2, 0, 1}
	checkOp(t, opCase{name: "permute", shapes: [][]int{shape},
		op: func(in []*core.Tensor) *core.Tensor { return Permute(in[0], perm...) },
		ref: func(in [][]float64) []float64 {
			oshape := []int{4, 2, 3}
			out := make([]float64, 24)
			for o := range out {
				i := index(o, oshape)
				src := []int{i[1], i[2], i[0]}
				out[o] = in[0][(src[0]*3+src[1])*4+src[2]]
			}
			return out
		}})
	checkOp(t, opCase{name: "transpose", shapes: [][]int{{3, 5}},
		op: func(in []*core.Tensor) *core.Tensor { return Transpose(in[0], 0, 1) },
		ref: func(in [][]float64) []float64 {
			out := make([]float64, 15)
			for i := 0; i < 3; i++ {
				for j := 0; j < 5; j++ {
					out[j*3+i] = in[0][i*5+j]
				}
			}
			return out
		}})
	checkOp(t, opCase{name: "concat", shapes: [][]int{{2, 1, 3}, {2, 2, 3}},
		op: func(in []*core.Tensor) *core.Tensor { return Concat(1, in[0], in[1]) },
		ref: func(in [][]float64) []float64 {
			var out []float64
			for b := 0; b < 2; b++ {
				out = append(out, in[0][b*3:(b+1)*3]...)
				out = append(out, in[1][b*6:(b+1)*6]...)
			}
			return out
		}})
	checkOp(t, opCase{name: "slice", shapes: [][]int{{2, 5, 2}},
		op: func(in []*core.Tensor) *core.Tensor { return Slice(in[0], 1, 1, 4) },
		ref: func(in [][]float64) []float64 {
			var out []float64
			for b := 0; b < 2; b++ {
				out = append(out, in[0][b*10+2:b*10+8]...)
			}
			return out
		}})
	ids := []int32{3, 0, 3, 1, 4, 2}
	checkOp(t, opCase{name: "gather", shapes: [][]int{{5, 3}},
		op: func(in []*core.Tensor) *core.Tensor { return Embedding(in[0], ids, 2, 3) },
		ref: func(in [][]float64) []float64 {
			var out []float64
			for _, id := range ids {
				out = append(out, in[0][int(id)*3:int(id)*3+3]...)
			}
			return out
		}})
	mustPanic(t, func() { Reshape(core.Zeros(2, 3), 4, 2) }, "Reshape", "[2 3]")
	mustPanic(t, func() { Slice(core.Zeros(2, 3), 1, 2, 5) }, "Slice", "[2 3]")
	mustPanic(t, func() { Embedding(core.Zeros(5, 3), []int32{7}) }, "id 7")
}

func TestSoftmaxAndCrossEntropy(t *testing.T) {
	checkOp(t, opCase{name: "softmax", shapes: [][]int{{3, 6}},
		op: func(in []*core.Tensor) *core.Tensor { return Softmax(in[0]) },
		ref: func(in [][]float64) []float64 {
			var out []float64
			for r := 0; r < 3; r++ {
				out = append(out, refSoftmaxRow(in[0][r*6:(r+1)*6])...)
			}
			return out
		}})
	checkOp(t, opCase{name: "log_softmax", shapes: [][]int{{3, 6}},
		op: func(in []*core.Tensor) *core.Tensor { return LogSoftmax(in[0]) },
		ref: func(in [][]float64) []float64 {
			var out []float64
			for r := 0; r < 3; r++ {
				out = append(out, refMap(refSoftmaxRow(in[0][r*6:(r+1)*6]), math.Log)...)
			}
			return out
		}})
	targets := []int32{2, IgnoreIndex, 0, 5, 1}
	weights := []float32{1, 1, 0.5, 2, 0}
	for _, w := range [][]float32{nil, weights} {
		w := w
		checkOp(t, opCase{name: "cross_entropy", shapes: [][]int{{5, 6}},
			op: func(in []*core.Tensor) *core.Tensor { return CrossEntropy(in[0], targets, w) },
			ref: func(in [][]float64) []float64 {
				var loss, wsum float64
				for r, tg := range targets {
					if tg == IgnoreIndex {
						continue
					}
					wr := 1.0
					if w != nil {
						wr = float64(w[r])
					}
					p := refSoftmaxRow(in[0][r*6 : (r+1)*6])
					loss += -wr * math.Log(p[tg])
					wsum += wr
				}
				return []float64{loss / wsum}
			}})
	}
	// Known value: uniform logits over V classes give log V.
	if got := CrossEntropy(core.Zeros(4, 8), []int32{0, 1, 2, 3}, nil).Item(); math.Abs(float64(got)-math.Log(8)) > 1e-6 {
		t.Fatalf("cross-entropy of uniform logits = %g, want log 8 = %g", got, math.Log(8))
	}
	mustPanic(t, func() { CrossEntropy(core.Zeros(2, 3), []int32{0}, nil) }, "CrossEntropy", "[2 3]")
}

func TestNorms(t *testing.T) {
	const eps = 1e-5
	checkOp(t, opCase{name: "rms_norm", shapes: [][]int{{4, 6}, {6}},
		op: func(in []*core.Tensor) *core.Tensor { return RMSNorm(in[0], in[1], eps) },
		ref: func(in [][]float64) []float64 {
			var out []float64
			for r := 0; r < 4; r++ {
				x := in[0][r*6 : (r+1)*6]
				var ss float64
				for _, v := range x {
					ss += v * v
				}
				s := 1 / math.Sqrt(ss/6+eps)
				for i, v := range x {
					out = append(out, v*s*in[1][i])
				}
			}
			return out
		}})
	refLN := func(in [][]float64, affine bool) []float64 {
		var out []float64
		for r := 0; r < 4; r++ {
			x := in[0][r*6 : (r+1)*6]
			var mu, va float64
			for _, v := range x {
				mu += v / 6
			}
			for _, v := range x {
				va += (v - mu) * (v - mu) / 6
			}
			for i, v := range x {
				o := (v - mu) / math.Sqrt(va+eps)
				if affine {
					o = o*in[1][i] + in[2][i]
				}
				out = append(out, o)
			}
		}
		return out
	}
	checkOp(t, opCase{name: "layer_norm", shapes: [][]int{{4, 6}, {6}, {6}},
		op:  func(in []*core.Tensor) *core.Tensor { return LayerNorm(in[0], in[1], in[2], eps) },
		ref: func(in [][]float64) []float64 { return refLN(in, true) }})
	checkOp(t, opCase{name: "layer_norm_plain", shapes: [][]int{{4, 6}},
		op:  func(in []*core.Tensor) *core.Tensor { return LayerNorm(in[0], nil, nil, eps) },
		ref: func(in [][]float64) []float64 { return refLN(in, false) }})
}

func TestRoPEAndSwiGLU(t *testing.T) {
	const base = 10000
	b, h, tt, hd := 2, 2, 5, 8
	for _, pos := range [][]int32{nil, {3, 4, 5, 9, 10, 0, 1, 2, 7, 8}} {
		pos := pos
		checkOp(t, opCase{name: "rope", shapes: [][]int{{b, h, tt, hd}},
			op: func(in []*core.Tensor) *core.Tensor { return RoPE(in[0], pos, base) },
			ref: func(in [][]float64) []float64 {
				out := make([]float64, len(in[0]))
				for r := 0; r < b*h*tt; r++ {
					bi, ti := r/(h*tt), r%tt
					p := float64(ti)
					if pos != nil {
						p = float64(pos[bi*tt+ti])
					}
					for i := 0; i < hd/2; i++ {
						th := p * math.Pow(base, -2*float64(i)/float64(hd))
						x0, x1 := in[0][r*hd+2*i], in[0][r*hd+2*i+1]
						out[r*hd+2*i] = x0*math.Cos(th) - x1*math.Sin(th)
						out[r*hd+2*i+1] = x0*math.Sin(th) + x1*math.Cos(th)
					}
				}
				return out
			}})
	}
	checkOp(t, opCase{name: "swiglu", shapes: [][]int{{3, 8}},
		op: func(in []*core.Tensor) *core.Tensor { return SwiGLU(in[0]) },
		ref: func(in [][]float64) []float64 {
			var out []float64
			for r := 0; r < 3; r++ {
				for i := 0; i < 4; i++ {
					a, g := in[0][r*8+i], in[0][r*8+4+i]
					out = append(out, a/(1+math.Exp(-a))*g)
				}
			}
			return out
		}})
}

func TestDropout(t *testing.T) {
	const p = 0.3
	checkOp(t, opCase{name: "dropout", shapes: [][]int{{4, 50}},
		op: func(in []*core.Tensor) *core.Tensor { return Dropout(in[0], p, core.NewRNG(5)) },
		ref: func(in [][]float64) []float64 {
			r := core.NewRNG(5)
			return refMap(in[0], func(v float64) float64 {
				if r.Float32() >= p {
					return v / (1 - p)
				}
				return 0
			})
		}})
	x := core.Ones(10000)
	y := Dropout(x, p, core.NewRNG(1))
	zeros := 0
	for _, v := range y.Data {
		if v == 0 {
			zeros++
		}
	}
	if frac := float64(zeros) / 10000; math.Abs(frac-p) > 0.02 {
		t.Fatalf("dropout zeroed %.3f of values, want ≈ %g", frac, p)
	}
	if Dropout(x, p, nil) != x {
		t.Fatal("dropout without a generator (evaluation) must return its input")
	}
}

func TestGradientAccumulatesOverUses(t *testing.T) {
	x := core.New([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
	y := Sum(Add(Mul(x, x), x)) // d/dx = 2x + 1
	y.Backward()
	for i, want := range []float32{3, 5, 7} {
		if got := x.Grad().Data[i]; got != want {
			t.Fatalf("grad[%d] = %g, want %g", i, got, want)
		}
	}
	// A second backward pass accumulates into the same gradient.
	Sum(Scale(x, 2)).Backward()
	if got := x.Grad().Data[0]; got != 5 {
		t.Fatalf("accumulated grad = %g, want 5", got)
	}
}

func TestNoGradAndDetach(t *testing.T) {
	x := core.New([]float32{1, 2}, 2).SetRequiresGrad(true)
	var y *core.Tensor
	core.NoGrad(func() { y = Mul(x, x) })
	if y.RequiresGrad() {
		t.Fatal("an op under NoGrad recorded a gradient")
	}
	z := Mul(x.Detach(), x)
	Sum(z).Backward()
	if got := x.Grad().Data[1]; got != 2 {
		t.Fatalf("grad through detached factor = %g, want 2 (only the live factor)", got)
	}
	mustPanic(t, func() { core.NoGrad(func() { panic("boom") }) }, "boom")
	if !core.GradEnabled() {
		t.Fatal("NoGrad scope not restored after a panic")
	}
}

func TestBackendGemmMatchesNaive(t *testing.T) {
	rng := core.NewRNG(4)
	for _, s := range []core.GemmSpec{
		{Batch: 1, M: 37, N: 65, K: 129, Alpha: 1},
		{Batch: 3, M: 16, N: 8, K: 33, TransA: true, StrideA: 16 * 33, StrideB: 0, StrideC: 16 * 8, Alpha: 0.5, Beta: 1},
		{Batch: 2, M: 5, N: 70, K: 9, TransB: true, StrideA: 45, StrideB: 630, StrideC: 350, Alpha: 1, Beta: 0.5},
	} {
		a := rng.Randn(1, max(s.Batch*s.StrideA, s.M*s.K))
		b := rng.Randn(1, max(s.Batch*s.StrideB, s.K*s.N))
		c1 := rng.Randn(1, max(s.Batch*s.StrideC, s.M*s.N))
		c2 := c1.Clone()
		CPU.Gemm(s, a, b, c1)
		lda, ldb := s.K, s.N
		if s.TransA {
			lda = s.M
		}
		if s.TransB {
			ldb = s.K
		}
		naiveSgemmBatched(s.Batch, s.TransA, s.TransB, s.M, s.N, s.K, s.Alpha, a.Data, lda, s.StrideA, b.Data, ldb, s.StrideB, s.Beta, c2.Data, s.N, s.StrideC)
		for i := range c1.Data {
			if !close(float64(c1.Data[i]), float64(c2.Data[i]), 1e-4) {
				t.Fatalf("spec %+v: C[%d] = %g, naive %g", s, i, c1.Data[i], c2.Data[i])
			}
		}
	}
}
