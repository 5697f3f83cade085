//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// kernel14x32 is the AVX-512 kernelFunc (kernel_avx512_amd64.s).
//
//go:noescape
func kernel14x32(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// kernel6x16 is the AVX2 kernelFunc (kernel_avx2_amd64.s).
//
//go:noescape
func kernel6x16(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// dotAVX512 returns Σ x[i]·y[i] over len(x) elements; len(y) >= len(x).
//
//go:noescape
func dotAVX512(x, y []float32) float32

// axpyAVX512 adds alpha·x[i] to y[i] over len(x) elements; len(y) >= len(x).
//
//go:noescape
func axpyAVX512(alpha float32, x, y []float32)

// dotAVX2 is dotAVX512 with 8-wide vectors.
//
//go:noescape
func dotAVX2(x, y []float32) float32

// axpyAVX2 is axpyAVX512 with 8-wide vectors.
//
//go:noescape
func axpyAVX2(alpha float32, x, y []float32)

// avx512Variant: a 14×32 tile keeps 28 of the 32 ZMM registers as
// accumulators. kc·nr·4 = 32 KiB of packed B stays in the 48 KiB L1 while
// the mc×kc block of A (168 KiB) streams from L2.
var avx512Variant = &variant{
	name: "avx512", mr: 14, nr: 32, kc: 256, mc: 14 * 12, nc: 32 * 64,
	kernel: kernel14x32, dot: dotAVX512, axpy: axpyAVX512,
	packRows: packRowsFast, packCols: packColsFast,
}

// avx2Variant: a 6×16 tile keeps 12 of the 16 YMM registers as accumulators.
var avx2Variant = &variant{
	name: "avx2", mr: 6, nr: 16, kc: 256, mc: 6 * 24, nc: 16 * 128,
	kernel: kernel6x16, dot: dotAVX2, axpy: axpyAVX2,
	packRows: packRows, packCols: packCols,
}

// detectVariants returns the variants this CPU can run, best first.
func detectVariants() []*variant {
	var vs []*variant
	if cpu.X86.HasAVX512F {
		vs = append(vs, avx512Variant)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		vs = append(vs, avx2Variant)
	}
	return append(vs, goVariant)
}

// packColsAVX512 is packCols for kc a multiple of 16 and W ≤ 32
// (pack_avx512_amd64.s).
//
//go:noescape
func packColsAVX512(dst *float32, W int, src *float32, ld, kc, w int)

// packRowsAVX512 is packRows for W ≤ 32 (pack_avx512_amd64.s).
//
//go:noescape
func packRowsAVX512(dst *float32, W int, src *float32, ld, kc, w int)

// packColsFast is packCols through 16×16 register transposes, with the
// last kc mod 16 steps in Go.
func packColsFast(dst, src []float32, ld, kc, w, W int) {
	kc16 := kc &^ 15
	if kc16 > 0 {
		_ = dst[kc*W-1]
		_ = src[(w-1)*ld+kc-1]
		packColsAVX512(&dst[0], W, &src[0], ld, kc16, w)
	}
	if kc16 < kc {
		packCols(dst[kc16*W:], src[kc16:], ld, kc-kc16, w, W)
	}
}

// packRowsFast is packRows with masked 16-lane copies.
func packRowsFast(dst, src []float32, ld, kc, w, W int) {
	_ = dst[kc*W-1]
	_ = src[(kc-1)*ld+w-1]
	packRowsAVX512(&dst[0], W, &src[0], ld, kc, w)
}
