package gemm

import "fmt"

// Dot returns Σᵢ x[i]·y[i], accumulated in float32 with several vector
// partial sums. It panics if len(x) != len(y).
func Dot(x, y []float32) float32 {
	if len(x) != len(y) {
		panic(fmt.Sprintf("gemm: Dot: len(x)=%d != len(y)=%d", len(x), len(y)))
	}
	if len(x) == 0 {
		return 0
	}
	return current.Load().dot(x, y)
}

// Axpy computes y[i] += alpha·x[i] for every i. It panics if
// len(x) != len(y).
func Axpy(alpha float32, x, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("gemm: Axpy: len(x)=%d != len(y)=%d", len(x), len(y)))
	}
	if len(x) == 0 {
		return
	}
	current.Load().axpy(alpha, x, y)
}
