package gemm

import (
	"fmt"
	"time"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major float32
// matrices, where op(A) is m×k (A is stored m×k, or k×m if transA), op(B)
// is k×n (B is stored k×n, or n×k if transB) and C is m×n. lda, ldb and ldc
// are the distances between rows as stored. beta == 0 overwrites C without
// reading it (NaNs in C are ignored); alpha == 0 or k == 0 only scales C.
// Large products run on Threads() goroutines. It panics, naming the bad
// value, if a dimension is negative, a leading dimension is smaller than its
// row, or a slice is too short.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs("Sgemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	g := gemmArgs{transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc}
	current.Load().gemm(&g, Threads())
}

// SgemmBatched computes, for i in [0, batch), C_i = alpha·op(A_i)·op(B_i) +
// beta·C_i, where X_i starts at element i·strideX of x and the matrices are
// laid out as in Sgemm. A stride of 0 reuses one A or B for every product;
// the C_i must not overlap. Small products are spread across Threads()
// goroutines one whole product at a time; large ones are each split as in
// Sgemm. It panics, naming the bad value, on invalid arguments.
func SgemmBatched(batch int, transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda, strideA int, b []float32, ldb, strideB int,
	beta float32, c []float32, ldc, strideC int) {
	const fn = "SgemmBatched"
	if batch < 0 {
		panic(fmt.Sprintf("gemm: %s: batch=%d < 0", fn, batch))
	}
	if strideA < 0 || strideB < 0 || strideC < 0 {
		panic(fmt.Sprintf("gemm: %s: negative stride (strideA=%d strideB=%d strideC=%d)",
			fn, strideA, strideB, strideC))
	}
	if batch > 1 && strideC == 0 && m > 0 && n > 0 {
		panic(fmt.Sprintf("gemm: %s: strideC=0 with batch=%d makes the products overwrite one C", fn, batch))
	}
	if batch == 0 || m == 0 || n == 0 {
		checkArgs(fn, transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	last := batch - 1
	checkBatch(fn, transA, transB, m, n, k, a, lda, last*strideA, b, ldb, last*strideB,
		c, ldc, last*strideC)
	g := gemmArgs{transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc}
	current.Load().gemmBatched(&g, batch, strideA, strideB, strideC, Threads())
}

// GFLOPS returns the rate of an m×n×k matrix product (2·m·n·k floating-point
// operations) that took d, in billions of operations per second.
func GFLOPS(m, n, k int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return 2 * float64(m) * float64(n) * float64(k) / d.Seconds() / 1e9
}

// gemmArgs holds one validated Sgemm call.
type gemmArgs struct {
	transA, transB bool
	m, n, k        int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	beta           float32
	c              []float32
	ldc            int
}

// checkArgs panics if the dimensions, leading dimensions or slice lengths
// of a gemm call are inconsistent.
func checkArgs(fn string, transA, transB bool, m, n, k int, a []float32, lda int,
	b []float32, ldb int, c []float32, ldc int) {
	checkBatch(fn, transA, transB, m, n, k, a, lda, 0, b, ldb, 0, c, ldc, 0)
}

// checkBatch is checkArgs for matrices whose last copy starts at offA,
// offB, offC of a, b, c.
func checkBatch(fn string, transA, transB bool, m, n, k int, a []float32, lda, offA int,
	b []float32, ldb, offB int, c []float32, ldc, offC int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: %s: negative dimension m=%d n=%d k=%d", fn, m, n, k))
	}
	ar, ac := m, k // stored rows, columns of A
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix(fn, "a", "lda", a, ar, ac, lda, offA)
	checkMatrix(fn, "b", "ldb", b, br, bc, ldb, offB)
	checkMatrix(fn, "c", "ldc", c, m, n, ldc, offC)
}

// checkMatrix panics unless x holds a rows×cols row-major matrix with rows
// ld elements apart starting at x[off].
func checkMatrix(fn, name, ldName string, x []float32, rows, cols, ld, off int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: %s: %s=%d < max(1, %d columns of %s)", fn, ldName, ld, cols, name))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := off + (rows-1)*ld + cols; len(x) < need {
		at := ""
		if off > 0 {
			at = fmt.Sprintf(" (last one at %d)", off)
		}
		panic(fmt.Sprintf("gemm: %s: len(%s)=%d < %d needed for %d×%d with %s=%d%s",
			fn, name, len(x), need, rows, cols, ldName, ld, at))
	}
}
