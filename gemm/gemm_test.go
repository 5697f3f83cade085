package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// eachKernel runs f as a subtest under every variant this CPU supports and
// restores the variant in use afterwards.
func eachKernel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	prev := Kernel()
	defer SetKernel(prev)
	for _, name := range Kernels() {
		if err := SetKernel(name); err != nil {
			t.Fatal(err)
		}
		t.Run(name, f)
	}
}

// withThreads runs f with SetThreads(n) and restores the previous setting.
func withThreads(n int, f func()) {
	prev := nthreads.Load()
	SetThreads(n)
	defer nthreads.Store(prev)
	f()
}

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	return x
}

// problem is one gemm call with its operands stored with padded rows.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int // extra elements per stored row
	a, b, c        []float32
	lda, ldb, ldc  int
}

func newProblem(rng *rand.Rand, transA, transB bool, m, n, k, pad int, alpha, beta float32) *problem {
	p := &problem{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta, pad: pad}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	p.lda, p.ldb, p.ldc = ac+pad, bc+pad, n+pad
	p.a = randSlice(rng, max(0, (ar-1)*p.lda+ac))
	p.b = randSlice(rng, max(0, (br-1)*p.ldb+bc))
	p.c = randSlice(rng, max(0, (m-1)*p.ldc+n))
	if beta == 0 { // beta = 0 must ignore whatever C holds
		for i := range p.c {
			p.c[i] = float32(math.NaN())
		}
	}
	return p
}

// opA and opB return op(A)[i][q] and op(B)[q][j].
func (p *problem) opA(i, q int) float32 {
	if p.transA {
		return p.a[q*p.lda+i]
	}
	return p.a[i*p.lda+q]
}

func (p *problem) opB(q, j int) float32 {
	if p.transB {
		return p.b[j*p.ldb+q]
	}
	return p.b[q*p.ldb+j]
}

// check compares got (the C after the call under test) with SgemmRef on a
// copy of the original C. The bound on each element is
// tol = (4·√k + 8)·ε32·(|alpha|·Σ|a||b| + |beta|·|c|), a few times the
// rounding error of a float32 sum of k products; padding between rows
// must be untouched.
func (p *problem) check(t *testing.T, got []float32) {
	t.Helper()
	want := append([]float32(nil), p.c...)
	SgemmRef(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, want, p.ldc)
	const eps = 1.0 / (1 << 23)
	bad := 0
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.n; j++ {
			var abs float64
			for q := 0; q < p.k; q++ {
				abs += math.Abs(float64(p.opA(i, q)) * float64(p.opB(q, j)))
			}
			scale := math.Abs(float64(p.alpha)) * abs
			if p.beta != 0 {
				scale += math.Abs(float64(p.beta) * float64(p.c[i*p.ldc+j]))
			}
			tol := (4*math.Sqrt(float64(p.k)) + 8) * eps * scale
			g, w := got[i*p.ldc+j], want[i*p.ldc+j]
			if d := math.Abs(float64(g) - float64(w)); !(d <= tol) {
				if bad++; bad <= 3 {
					t.Errorf("C[%d][%d] = %v, want %v (|diff| %.3g > tol %.3g)", i, j, g, w, d, tol)
				}
			}
		}
		for j := p.n; j < p.ldc && i < p.m-1; j++ { // row padding
			if g, w := got[i*p.ldc+j], p.c[i*p.ldc+j]; g != w && !(math.IsNaN(float64(g)) && math.IsNaN(float64(w))) {
				t.Fatalf("padding C[%d][%d] changed from %v to %v", i, j, w, g)
			}
		}
	}
	if bad > 3 {
		t.Errorf("... %d wrong elements in all", bad)
	}
}

// run calls Sgemm on a copy of C and returns it.
func (p *problem) run() []float32 {
	got := append([]float32(nil), p.c...)
	Sgemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, got, p.ldc)
	return got
}

// shapes cover the direct path (tiny, m or n < 3), single edge tiles, the
// block edges of every variant (mc up to 168 rows, kc = 256), the threaded
// path, and skinny products (m ≤ 16 with B transposed) split across
// goroutines.
var shapes = []struct{ m, n, k int }{
	{1, 1, 1}, {1, 7, 5}, {7, 1, 9}, {2, 33, 17}, {5, 5, 5}, {7, 7, 7},
	{14, 32, 16}, {15, 33, 1}, {13, 31, 300}, {33, 65, 127}, {65, 33, 64},
	{127, 129, 65}, {170, 40, 260}, {200, 70, 513}, {64, 300, 70},
	{301, 190, 90}, {8, 1100, 256}, {16, 520, 64},
}

func TestSgemmMatchesReference(t *testing.T) {
	eachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		scalars := []struct{ alpha, beta float32 }{{1, 0}, {0.5, -1.5}, {-2, 1}}
		for si, s := range shapes {
			for tr := 0; tr < 4; tr++ {
				tA, tB := tr&1 != 0, tr&2 != 0
				ab := scalars[(si+tr)%len(scalars)]
				pad := (si + tr) % 3 * 3
				name := fmt.Sprintf("%dx%dx%d/tA=%v,tB=%v/a=%v,b=%v/pad=%d", s.m, s.n, s.k, tA, tB, ab.alpha, ab.beta, pad)
				t.Run(name, func(t *testing.T) {
					p := newProblem(rng, tA, tB, s.m, s.n, s.k, pad, ab.alpha, ab.beta)
					p.check(t, p.run())
				})
			}
		}
	})
}

func TestSgemmScalarCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []struct {
		name        string
		m, n, k     int
		alpha, beta float32
	}{
		{"alpha=0 scales C", 20, 40, 30, 0, 2},
		{"alpha=0 beta=0 zeroes NaN C", 20, 40, 30, 0, 0},
		{"k=0 scales C", 20, 40, 0, 1, -1},
		{"beta=-0 ignores NaN", 30, 40, 50, 1, float32(math.Copysign(0, -1))},
	}
	eachKernel(t, func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := newProblem(rng, false, true, tc.m, tc.n, tc.k, 2, tc.alpha, tc.beta)
				if tc.beta == 0 {
					for i := range p.c {
						p.c[i] = float32(math.NaN())
					}
				}
				p.check(t, p.run())
			})
		}
	})
}

// TestSgemmAlphaZeroIgnoresAB: alpha = 0 reads neither A nor B, so NaNs
// there do not reach C = beta·C (exact: one multiplication per element).
func TestSgemmAlphaZeroIgnoresAB(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	eachKernel(t, func(t *testing.T) {
		for _, s := range []struct{ m, n, k int }{{2, 3, 4}, {40, 50, 60}, {300, 200, 100}} {
			p := newProblem(rng, false, false, s.m, s.n, s.k, 1, 0, -3)
			for i := range p.a {
				p.a[i] = float32(math.NaN())
			}
			for _, call := range []func([]float32){
				func(c []float32) { Sgemm(false, false, p.m, p.n, p.k, 0, p.a, p.lda, p.b, p.ldb, -3, c, p.ldc) },
				func(c []float32) { SgemmRef(false, false, p.m, p.n, p.k, 0, p.a, p.lda, p.b, p.ldb, -3, c, p.ldc) },
			} {
				got := append([]float32(nil), p.c...)
				call(got)
				for i := 0; i < p.m; i++ {
					for j := 0; j < p.n; j++ {
						if g, w := got[i*p.ldc+j], -3*p.c[i*p.ldc+j]; g != w {
							t.Fatalf("%v: C[%d][%d] = %v, want %v", s, i, j, g, w)
						}
					}
				}
			}
		}
	})
}

// TestSgemmParallelMatchesSerial: splitting C over goroutines changes no
// element's summation order, so every thread count gives identical bits.
func TestSgemmParallelMatchesSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	shapes := []struct{ m, n, k, maxShared int }{
		{301, 170, 300, 1 << 22}, {60, 700, 260, 1 << 22}, {700, 60, 100, 1 << 22},
		// Whole-operand buffer capped: done as column or row blocks.
		{301, 170, 300, 5000}, {60, 700, 260, 5000},
	}
	defer func(prev int) { maxShared = prev }(maxShared)
	eachKernel(t, func(t *testing.T) {
		for _, s := range shapes {
			maxShared = s.maxShared
			for tr := 0; tr < 4; tr++ {
				p := newProblem(rng, tr&1 != 0, tr&2 != 0, s.m, s.n, s.k, 1, 1.5, 0.5)
				var serial []float32
				withThreads(1, func() { serial = p.run() })
				p.check(t, serial)
				for _, th := range []int{2, 3} {
					var par []float32
					withThreads(th, func() { par = p.run() })
					for i := range par {
						if par[i] != serial[i] {
							t.Fatalf("%v tr=%d threads=%d: C[%d] = %v, serial %v", s, tr, th, i, par[i], serial[i])
						}
					}
				}
			}
		}
	})
}

// TestSgemmConcurrentCallers: split products started from several
// goroutines at once share the worker goroutines and pooled jobs without
// mixing up their tasks; each result equals its single-threaded one.
func TestSgemmConcurrentCallers(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const callers, rounds = 4, 5
	ps := make([]*problem, callers)
	want := make([][]float32, callers)
	for i := range ps {
		ps[i] = newProblem(rng, i%2 == 1, i/2 == 1, 150+10*i, 200-10*i, 120, 0, 1, 0)
		withThreads(1, func() { want[i] = ps[i].run() })
	}
	withThreads(2, func() {
		errs := make(chan string, callers)
		for i, p := range ps {
			go func() {
				for r := 0; r < rounds; r++ {
					got := p.run()
					for e := range got {
						if got[e] != want[i][e] {
							errs <- fmt.Sprintf("caller %d round %d: C[%d] = %v, want %v", i, r, e, got[e], want[i][e])
							return
						}
					}
				}
				errs <- ""
			}()
		}
		for range ps {
			if msg := <-errs; msg != "" {
				t.Error(msg)
			}
		}
	})
}

func TestSgemmBatched(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cases := []struct {
		name                      string
		batch, m, n, k            int
		transA, transB            bool
		shareA, interleaveC, many bool
	}{
		{"small NN", 4, 9, 17, 13, false, false, false, false, false},
		{"small TN shared A", 3, 20, 33, 40, true, false, true, false, false},
		{"NT interleaved C", 4, 30, 16, 24, false, true, false, true, false},
		{"large NN", 3, 150, 140, 130, false, false, false, false, false},
		{"many TT", 9, 40, 50, 60, true, true, false, false, true},
	}
	eachKernel(t, func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ps := make([]*problem, tc.batch)
				for i := range ps {
					ps[i] = newProblem(rng, tc.transA, tc.transB, tc.m, tc.n, tc.k, 0, 0.75, 0.25)
				}
				if tc.shareA {
					for _, p := range ps {
						p.a = ps[0].a
					}
				}
				strideA, strideB := len(ps[0].a), len(ps[0].b)
				if tc.shareA {
					strideA = 0
				}
				var a, b []float32
				for i, p := range ps {
					if i == 0 || !tc.shareA {
						a = append(a, p.a...)
					}
					b = append(b, p.b...)
				}
				// C_i either stacked, or interleaved: row r of every C_i side
				// by side in one row of width batch·n (attention-head layout).
				ldc, strideC := tc.n, tc.m*tc.n
				if tc.interleaveC {
					ldc, strideC = tc.batch*tc.n, tc.n
				}
				c := make([]float32, tc.batch*tc.m*tc.n)
				for i, p := range ps {
					for r := 0; r < tc.m; r++ {
						copy(c[i*strideC+r*ldc:], p.c[r*p.ldc:r*p.ldc+tc.n])
					}
				}
				for _, th := range []int{1, 2} {
					got := append([]float32(nil), c...)
					withThreads(th, func() {
						SgemmBatched(tc.batch, tc.transA, tc.transB, tc.m, tc.n, tc.k, 0.75,
							a, ps[0].lda, strideA, b, ps[0].ldb, strideB, 0.25, got, ldc, strideC)
					})
					for i, p := range ps {
						gi := make([]float32, len(p.c))
						for r := 0; r < tc.m; r++ {
							copy(gi[r*p.ldc:], got[i*strideC+r*ldc:i*strideC+r*ldc+tc.n])
						}
						p.check(t, gi)
					}
				}
			})
		}
	})
}

// TestSgemmPanics: every invalid argument panics with a message naming it.
func TestSgemmPanics(t *testing.T) {
	x := make([]float32, 100)
	cases := []struct {
		name, want string
		call       func()
	}{
		{"negative m", "m=-1", func() { Sgemm(false, false, -1, 2, 2, 1, x, 2, x, 2, 0, x, 2) }},
		{"lda small", "lda=2", func() { Sgemm(false, false, 2, 2, 3, 1, x, 2, x, 2, 0, x, 2) }},
		{"lda small transA", "lda=2", func() { Sgemm(true, false, 3, 2, 2, 1, x, 2, x, 2, 0, x, 2) }},
		{"ldb small transB", "ldb=3", func() { Sgemm(false, true, 2, 2, 4, 1, x, 4, x, 3, 0, x, 2) }},
		{"ldc small", "ldc=1", func() { Sgemm(false, false, 2, 2, 2, 1, x, 2, x, 2, 0, x, 1) }},
		{"a short", "len(a)=5", func() { Sgemm(false, false, 3, 2, 2, 1, x[:5], 2, x, 2, 0, x, 2) }},
		{"b short", "len(b)=7", func() { Sgemm(false, true, 2, 4, 2, 1, x, 2, x[:7], 2, 0, x, 4) }},
		{"c short", "len(c)=8", func() { Sgemm(false, false, 3, 3, 2, 1, x, 2, x, 3, 0, x[:8], 3) }},
		{"ref c short", "SgemmRef: len(c)=8", func() { SgemmRef(false, false, 3, 3, 2, 1, x, 2, x, 3, 0, x[:8], 3) }},
		{"batch negative", "batch=-1", func() { SgemmBatched(-1, false, false, 2, 2, 2, 1, x, 2, 4, x, 2, 4, 0, x, 2, 4) }},
		{"batch stride", "strideA=-4", func() { SgemmBatched(2, false, false, 2, 2, 2, 1, x, 2, -4, x, 2, 4, 0, x, 2, 4) }},
		{"batch strideC 0", "strideC=0", func() { SgemmBatched(2, false, false, 2, 2, 2, 1, x, 2, 4, x, 2, 4, 0, x, 2, 0) }},
		{"batch a short", "len(a)=10", func() { SgemmBatched(3, false, false, 2, 2, 2, 1, x[:10], 2, 4, x, 2, 4, 0, x, 2, 4) }},
		{"batch c short", "len(c)=11", func() { SgemmBatched(3, false, false, 2, 2, 2, 1, x, 2, 4, x, 2, 4, 0, x[:11], 2, 4) }},
		{"dot lengths", "len(x)=3 != len(y)=4", func() { Dot(x[:3], x[:4]) }},
		{"axpy lengths", "len(x)=4 != len(y)=3", func() { Axpy(1, x[:4], x[:3]) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if r == nil || !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want a message containing %q", r, tc.want)
				}
			}()
			tc.call()
		})
	}
}

// TestSgemmNoAllocs: steady-state calls, threaded or not, allocate nothing,
// also after garbage collections (which would empty a sync.Pool).
func TestSgemmNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own: allocation counts mean nothing under it")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	p := newProblem(rng, false, false, 200, 200, 100, 0, 1, 0)
	for _, th := range []int{1, 2} {
		withThreads(th, func() {
			p.run() // warm the free lists and workers
			allocs := testing.AllocsPerRun(20, func() {
				Sgemm(false, false, p.m, p.n, p.k, 1, p.a, p.lda, p.b, p.ldb, 0, p.c, p.ldc)
			})
			if allocs != 0 {
				t.Errorf("threads=%d: %v allocations per call, want 0", th, allocs)
			}
			allocs = testing.AllocsPerRun(5, func() {
				runtime.GC() // two cycles empty a sync.Pool
				runtime.GC()
				Sgemm(false, false, p.m, p.n, p.k, 1, p.a, p.lda, p.b, p.ldb, 0, p.c, p.ldc)
			})
			if allocs != 0 {
				t.Errorf("threads=%d: %v allocations per call after garbage collections, want 0", th, allocs)
			}
		})
	}
}
