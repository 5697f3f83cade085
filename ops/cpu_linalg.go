package ops

import (
	"fmt"

	"xprompt/gemm"

	"xprompt/core"
)

func (cpuBackend) Gemm(s core.GemmSpec, a, b, c *core.Tensor) {
	need := func(name string, t *core.Tensor, stride, rows, cols int) {
		n := rows * cols
		if s.Batch > 1 && stride > 0 {
			n += (s.Batch - 1) * stride
		}
		if t.Len() < n {
			panic(fmt.Sprintf("cpu.Gemm: %s has %d values, needs %d for batch %d of %d×%d", name, t.Len(), n, s.Batch, rows, cols))
		}
	}
	if s.Batch < 1 || s.M < 0 || s.N < 0 || s.K < 0 {
		panic(fmt.Sprintf("cpu.Gemm: bad spec %+v", s))
	}
	need("A", a, s.StrideA, s.M, s.K)
	need("B", b, s.StrideB, s.K, s.N)
	need("C", c, s.StrideC, s.M, s.N)
	lda, ldb := max(s.K, 1), max(s.N, 1)
	if s.TransA {
		lda = max(s.M, 1)
	}
	if s.TransB {
		ldb = max(s.K, 1)
	}
	sgemmBatched(s.Batch, s.TransA, s.TransB, s.M, s.N, s.K, s.Alpha, a.Data, lda, s.StrideA, b.Data, ldb, s.StrideB, s.Beta, c.Data, max(s.N, 1), s.StrideC)
}

// sgemmBatched is the batched GEMM the CPU backend calls: packed AVX-512 /
// AVX2 microkernels from package gemm (pure Go elsewhere).
var sgemmBatched = gemm.SgemmBatched

// naiveSgemmBatched is a simple triple loop per batch element, rows split
// across cores; tests check the backend against it.
func naiveSgemmBatched(batch int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int) {
	for bi := 0; bi < batch; bi++ {
		ab, bb, cb := a[bi*strideA:], b[bi*strideB:], c[bi*strideC:]
		parallelFor(m, max(1, 65536/max(n*k, 1)), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				for j := 0; j < n; j++ {
					var sum float32
					for p := 0; p < k; p++ {
						var av, bv float32
						if transA {
							av = ab[p*lda+i]
						} else {
							av = ab[i*lda+p]
						}
						if transB {
							bv = bb[j*ldb+p]
						} else {
							bv = bb[p*ldb+j]
						}
						sum += av * bv
					}
					if beta == 0 {
						cb[i*ldc+j] = alpha * sum
					} else {
						cb[i*ldc+j] = alpha*sum + beta*cb[i*ldc+j]
					}
				}
			}
		})
	}
}
