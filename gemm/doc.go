// Package gemm is the float32 matrix-multiply engine of the CPU backend:
// C = alpha·op(A)·op(B) + beta·C on row-major matrices, where op(X) is X or
// Xᵀ, op(A) is m×k, op(B) is k×n and C is m×n.
//
// The algorithm is the Goto/BLIS one. For each KC×NC panel of op(B) (packed
// into NR-wide column strips) and each MC×KC block of op(A) (packed into
// MR-tall row strips) an assembly micro-kernel accumulates an MR×NR tile of C
// in vector registers with fused multiply-adds. Packing absorbs the
// transposes, so one kernel serves all four transpose combinations. Large
// products are split over Threads() goroutines: one operand is packed whole,
// then bands of C are handed out dynamically, so a core busy with other work
// delays the product by little; every thread count gives the same bits.
// Small products run on the calling goroutine; matrix-vector shapes use Dot
// and Axpy directly.
//
// Kernel variants, chosen at init from the CPU features
// (golang.org/x/sys/cpu) and switchable with SetKernel or the environment
// variable XPROMPT_GEMM=go|avx2|avx512:
//
//	avx512  14×32 tile in 28 ZMM accumulators, embedded-broadcast FMAs
//	avx2     6×16 tile in 12 YMM accumulators
//	go       4×4 tile in portable Go (any GOARCH, or the purego build tag)
//
// SgemmRef is the slow float64-accumulating triple loop every variant is
// tested against. NOTES.md records the performance floor and measurements.
package gemm
