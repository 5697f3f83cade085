//go:build amd64 && !purego

package ops

import "golang.org/x/sys/cpu"

// attnAVX512 selects the assembly inner loops of the fused attention; the
// portable ones in cpu_attention_kernels.go run elsewhere (tests switch it).
var attnAVX512 = cpu.X86.HasAVX512F

// attnMul4 sets C = alpha·A·B + beta·C for m rows of A (m×k, m a positive
// multiple of 4) and n ≤ 64 columns of B (k×n) given as nv 16-wide vectors,
// the last one restricted to the lanes set in mask; matrices are row-major
// with leading dimensions in elements. beta == 0 does not read C.
//
//go:noescape
func attnMul4(m, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, nv int, mask int, alpha, beta float32)

// rowMaxAVX512 returns max(init, max(x)).
//
//go:noescape
func rowMaxAVX512(x []float32, init float32) float32

// expSumAVX512 sets x[i] = expf(x[i] − sub) and returns the sum.
//
//go:noescape
func expSumAVX512(x []float32, sub float32) float32

// dsRowAVX512 sets dp[i] = p[i]·(dp[i] − d); len(dp) ≥ len(p).
//
//go:noescape
func dsRowAVX512(p, dp []float32, d float32)

// scaleRowAVX512 sets x[i] *= s.
//
//go:noescape
func scaleRowAVX512(x []float32, s float32)

// maskRowAVX512 sets row[j] = −∞ unless kPos[j] ≤ qp and bit kCode[j] of
// allow is set; kPos and kCode are at least as long as row.
//
//go:noescape
func maskRowAVX512(row []float32, kPos, kCode []int32, qp int32, allow uint32)

// transposeAVX512 sets (or with add, adds to) dst[c·ldd + r] the value
// src[r·lds + c] for r < 16·rb, c < 16·cb.
//
//go:noescape
func transposeAVX512(dst *float32, ldd int, src *float32, lds, rb, cb int, add bool)

// swigluRowAVX512 sets y[i] = a[i]·sigmoid(a[i])·b[i]; b and y are as long as a.
//
//go:noescape
func swigluRowAVX512(a, b, y []float32)

// swigluBackRowAVX512 sets (or adds to) ga and gb the SwiGLU gradient of
// swigluBackRowGo; every slice is as long as a.
//
//go:noescape
func swigluBackRowAVX512(a, b, g, ga, gb []float32, accumulate bool)

// adamwAVX512 is adamwRowGo on 16 lanes; g, m and v are as long as p.
//
//go:noescape
func adamwAVX512(p, g, m, v []float32, k *adamwConsts)

// ropeRowAVX512 is ropeRows on 16 lanes for n floats (a multiple of 16)
// with the lane-expanded tables ce and se: mode 0 forward, 1 back, 2 back
// and added to y.
//
//go:noescape
func ropeRowAVX512(x, y, ce, se *float32, n, mode int)
