//go:build !amd64 || purego

package ops

// attnAVX512 is false where the assembly inner loops do not exist; the
// functions below are never called then.
var attnAVX512 = false

func attnMul4(m, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, nv int, mask int, alpha, beta float32) {
	panic("ops: attnMul4 without AVX-512")
}
func rowMaxAVX512(x []float32, init float32) float32 { panic("ops: rowMaxAVX512 without AVX-512") }
func expSumAVX512(x []float32, sub float32) float32  { panic("ops: expSumAVX512 without AVX-512") }
func dsRowAVX512(p, dp []float32, d float32)         { panic("ops: dsRowAVX512 without AVX-512") }
func scaleRowAVX512(x []float32, s float32)          { panic("ops: scaleRowAVX512 without AVX-512") }
func maskRowAVX512(row []float32, kPos, kCode []int32, qp int32, allow uint32) {
	panic("ops: maskRowAVX512 without AVX-512")
}
func transposeAVX512(dst *float32, ldd int, src *float32, lds, rb, cb int, add bool) {
	panic("ops: transposeAVX512 without AVX-512")
}
func swigluRowAVX512(a, b, y []float32) { panic("ops: swigluRowAVX512 without AVX-512") }
func swigluBackRowAVX512(a, b, g, ga, gb []float32, accumulate bool) {
	panic("ops: swigluBackRowAVX512 without AVX-512")
}
func adamwAVX512(p, g, m, v []float32, k *adamwConsts) { panic("ops: adamwAVX512 without AVX-512") }
func ropeRowAVX512(x, y, ce, se *float32, n, mode int) { panic("ops: ropeRowAVX512 without AVX-512") }
