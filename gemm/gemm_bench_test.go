package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchShapes are named m×k×n (op(A) is m×k, op(B) is k×n): the square
// reference size and the small preset's products (tokens 2688 = 8·336,
// d_model 256, MLP hidden 704 rounded to 768 or fused to 1408, and the
// weight-gradient Aᵀ·B and input-gradient A·Bᵀ of the backward pass).
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, k, n        int
}{
	{"1024", false, false, 1024, 1024, 1024},
	{"2688x256x768", false, false, 2688, 256, 768},
	{"2688x256x256", false, false, 2688, 256, 256},
	{"2688x256x1408", false, false, 2688, 256, 1408},
	{"2688x704x256", false, false, 2688, 704, 256},
	{"T256x2688x768", true, false, 256, 2688, 768},
	{"2688x768x256T", false, true, 2688, 768, 256},
	{"336x32x336T", false, true, 336, 32, 336},
}

// benchOperands returns random operands stored as the transposes require.
func benchOperands(m, k, n int) (a, b, c []float32) {
	rng := rand.New(rand.NewPCG(1, 1))
	return randSlice(rng, m*k), randSlice(rng, k*n), randSlice(rng, m*n)
}

// lds returns the leading dimensions of A and B as stored.
func lds(transA, transB bool, m, k, n int) (lda, ldb int) {
	lda, ldb = k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	return lda, ldb
}

func reportGFLOPS(b *testing.B, m, k, n int) {
	b.ReportMetric(GFLOPS(m, n, k, b.Elapsed()/time.Duration(b.N)), "GFLOP/s")
}

// BenchmarkSgemm measures Sgemm with the default variant and threads.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) { benchSgemm(b, s.transA, s.transB, s.m, s.k, s.n) })
	}
}

// BenchmarkSgemmGonum measures gonum's pure-Go Sgemm on the same shapes.
func BenchmarkSgemmGonum(b *testing.B) {
	impl := gonum.Implementation{}
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) {
			a, bb, c := benchOperands(s.m, s.k, s.n)
			lda, ldb := lds(s.transA, s.transB, s.m, s.k, s.n)
			tA, tB := blas.NoTrans, blas.NoTrans
			if s.transA {
				tA = blas.Trans
			}
			if s.transB {
				tB = blas.Trans
			}
			for b.Loop() {
				impl.Sgemm(tA, tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			reportGFLOPS(b, s.m, s.k, s.n)
		})
	}
}

// BenchmarkSgemmKernels measures every supported variant, on the default
// threads and on one.
func BenchmarkSgemmKernels(b *testing.B) {
	prev := Kernel()
	defer SetKernel(prev)
	for _, name := range Kernels() {
		for _, th := range []int{0, 1} {
			for _, s := range benchShapes {
				b.Run(fmt.Sprintf("%s/threads=%d/%s", name, th, s.name), func(b *testing.B) {
					if err := SetKernel(name); err != nil {
						b.Fatal(err)
					}
					if th > 0 {
						withThreads(th, func() { benchSgemm(b, s.transA, s.transB, s.m, s.k, s.n) })
						return
					}
					benchSgemm(b, s.transA, s.transB, s.m, s.k, s.n)
				})
			}
		}
	}
}

func benchSgemm(b *testing.B, transA, transB bool, m, k, n int) {
	a, bb, c := benchOperands(m, k, n)
	lda, ldb := lds(transA, transB, m, k, n)
	for b.Loop() {
		Sgemm(transA, transB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
	}
	reportGFLOPS(b, m, k, n)
}

// BenchmarkSgemmBatched measures 64 attention-sized products (batch 8 ×
// 8 heads, 336×32 · 32×336), spread across goroutines.
func BenchmarkSgemmBatched(b *testing.B) {
	const batch, m, k, n = 64, 336, 32, 336
	rng := rand.New(rand.NewPCG(2, 2))
	a, bb, c := randSlice(rng, batch*m*k), randSlice(rng, batch*k*n), randSlice(rng, batch*m*n)
	for b.Loop() {
		SgemmBatched(batch, false, true, m, n, k, 1, a, k, m*k, bb, k, n*k, 0, c, n, m*n)
	}
	b.ReportMetric(GFLOPS(batch*m, n, k, b.Elapsed()/time.Duration(b.N)), "GFLOP/s")
}

// BenchmarkDot and BenchmarkAxpy report GB/s of operands read.
func BenchmarkDot(b *testing.B) {
	x := randSlice(rand.New(rand.NewPCG(3, 3)), 4096)
	y := randSlice(rand.New(rand.NewPCG(4, 4)), 4096)
	var s float32
	for b.Loop() {
		s += Dot(x, y)
	}
	b.ReportMetric(float64(8*len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

func BenchmarkAxpy(b *testing.B) {
	x := randSlice(rand.New(rand.NewPCG(3, 3)), 4096)
	y := randSlice(rand.New(rand.NewPCG(4, 4)), 4096)
	for b.Loop() {
		Axpy(1e-3, x, y)
	}
	b.ReportMetric(float64(12*len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// BenchmarkMicroKernel measures each variant's micro-kernel alone on packed
// strips that stay in L1 (kc = 256): the ceiling for the whole product.
func BenchmarkMicroKernel(b *testing.B) {
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			const kc = 256
			rng := rand.New(rand.NewPCG(5, 5))
			a, bb := randSlice(rng, kc*v.mr), randSlice(rng, kc*v.nr)
			c := make([]float32, v.mr*v.nr)
			for b.Loop() {
				v.kernel(kc, &a[0], &bb[0], &c[0], v.nr, 1, 1)
			}
			reportGFLOPS(b, v.mr, kc, v.nr)
		})
	}
}

// BenchmarkPack measures packing a 256-deep strip from a matrix with
// 1024-element rows, reporting packed elements per nanosecond.
func BenchmarkPack(b *testing.B) {
	const kc, ld = 256, 1024
	src := randSlice(rand.New(rand.NewPCG(6, 6)), kc*ld)
	for _, w := range []int{14, 32} {
		dst := make([]float32, kc*w)
		b.Run(fmt.Sprintf("rows/W=%d", w), func(b *testing.B) {
			for b.Loop() {
				variants[0].packRows(dst, src, ld, kc, w, w)
			}
			b.ReportMetric(float64(kc*w)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "elem/ns")
		})
		b.Run(fmt.Sprintf("cols/W=%d", w), func(b *testing.B) {
			for b.Loop() {
				variants[0].packCols(dst, src, ld, kc, w, w)
			}
			b.ReportMetric(float64(kc*w)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "elem/ns")
		})
	}
}
