package ops

import (
	"fmt"
	"math"

	"xprompt/gemm"
)

// The inner loops of the fused attention. Each has a portable Go version,
// which defines it, and an AVX-512 one (cpu_attention_amd64.s) used when
// attnAVX512 is set.

// tileMul sets C = alpha·A·B + beta·C for row-major A (m×k), B (k×n) and C
// (m×n) with leading dimensions lda, ldb, ldc; beta == 0 does not read C.
// tail is scratch of at least 4·(k+n) values for the last m mod 4 rows.
// Attention lays its operands out so that every product has this form (no
// transposes, no packing): the AVX-512 kernel broadcasts A's elements and
// streams B's rows. Without AVX-512 it is gemm.Sgemm.
func tileMul(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, tail []float32) {
	if m == 0 || n == 0 {
		return
	}
	if len(a) < (m-1)*lda+k || len(b) < (k-1)*ldb+n || len(c) < (m-1)*ldc+n || lda < k || ldb < n || ldc < n || len(tail) < 4*(k+n) {
		panic(fmt.Sprintf("ops.tileMul: %d×%d×%d with len(a)=%d lda=%d len(b)=%d ldb=%d len(c)=%d ldc=%d len(tail)=%d",
			m, n, k, len(a), lda, len(b), ldb, len(c), ldc, len(tail)))
	}
	if !attnAVX512 || k == 0 {
		gemm.Sgemm(false, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	m4 := m &^ 3
	if m4 > 0 {
		mul4(m4, k, n, alpha, a, lda, b, ldb, beta, c, ldc)
	}
	r := m - m4
	if r == 0 {
		return
	}
	// The last r rows go through 4-row copies padded with zeros.
	ta, tc := tail[:4*k], tail[4*k:4*(k+n)]
	clear(ta)
	for i := 0; i < r; i++ {
		copy(ta[i*k:(i+1)*k], a[(m4+i)*lda:])
		if beta != 0 {
			copy(tc[i*n:(i+1)*n], c[(m4+i)*ldc:(m4+i)*ldc+n])
		}
	}
	mul4(4, k, n, alpha, ta, k, b, ldb, beta, tc, n)
	for i := 0; i < r; i++ {
		copy(c[(m4+i)*ldc:(m4+i)*ldc+n], tc[i*n:(i+1)*n])
	}
}

// mul4 runs attnMul4 over the n columns in blocks of 64; m is a multiple of 4.
func mul4(m, k, n int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for j := 0; j < n; j += 64 {
		w := min(64, n-j)
		nv := (w + 15) / 16
		mask := 1<<(w-16*(nv-1)) - 1
		attnMul4(m, k, &a[0], lda, &b[j], ldb, &c[j], ldc, nv, mask, alpha, beta)
	}
}

// rowMax returns max(init, max(x)).
func rowMax(x []float32, init float32) float32 {
	if attnAVX512 {
		return rowMaxAVX512(x, init)
	}
	for _, v := range x {
		init = max(init, v)
	}
	return init
}

// expSum sets x[i] = expf(x[i] − sub) and returns Σ x[i].
func expSum(x []float32, sub float32) float32 {
	if attnAVX512 {
		return expSumAVX512(x, sub)
	}
	var s float32
	for i, v := range x {
		e := expf(v - sub)
		x[i] = e
		s += e
	}
	return s
}

// dsRow sets dp[i] = p[i]·(dp[i] − d): the softmax backward of one row.
func dsRow(p, dp []float32, d float32) {
	dp = dp[:len(p)]
	if attnAVX512 {
		dsRowAVX512(p, dp, d)
		return
	}
	for i, v := range p {
		dp[i] = v * (dp[i] - d)
	}
}

// maskRow sets row[j] = −∞ unless kPos[j] ≤ qp and bit kCode[j] of allow
// is set.
func maskRow(row []float32, kPos, kCode []int32, qp int32, allow uint32) {
	kPos, kCode = kPos[:len(row)], kCode[:len(row)]
	if attnAVX512 {
		maskRowAVX512(row, kPos, kCode, qp, allow)
		return
	}
	negInf := float32(math.Inf(-1))
	for j, c := range kCode {
		if kPos[j] > qp || allow>>uint(c)&1 == 0 {
			row[j] = negInf
		}
	}
}

// scaleRow sets x[i] *= s.
func scaleRow(x []float32, s float32) {
	if attnAVX512 {
		scaleRowAVX512(x, s)
		return
	}
	for i := range x {
		x[i] *= s
	}
}

// transposeTiles transposes the t×hd matrix src tile by tile of bt rows: the
// rows j0…j0+n−1 become an hd×n block at dst[j0·hd:] with leading dimension
// n, so that a tile's transpose is contiguous (a layout with leading
// dimension t would put a tile's rows t·4 bytes apart, which for t = 1024
// maps them all to the same L1 cache sets).
func transposeTiles(dst, src []float32, t, hd, bt int) { transposeTilesLd(dst, src, hd, t, hd, bt) }

// transposeTilesLd is transposeTiles for src rows lds apart.
func transposeTilesLd(dst, src []float32, lds, t, hd, bt int) {
	for j0 := 0; j0 < t; j0 += bt {
		n := min(bt, t-j0)
		transposeInto(dst[j0*hd:], n, src[j0*lds:], lds, n, hd)
	}
}

// transposeInto sets dst[c·ldd + r] = src[r·lds + c] for r < rows, c < cols.
func transposeInto(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transpose("transposeInto", dst, ldd, src, lds, rows, cols, false)
}

// addTransposed adds the transpose of src (rows×cols, leading dimension
// lds) into dst (cols×rows, leading dimension ldd).
func addTransposed(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transpose("addTransposed", dst, ldd, src, lds, rows, cols, true)
}

// transpose sets (add: adds to) dst[c·ldd + r] the value src[r·lds + c]:
// whole 16×16 blocks in assembly when available, the edges in Go.
func transpose(op string, dst []float32, ldd int, src []float32, lds, rows, cols int, add bool) {
	if rows == 0 || cols == 0 {
		return
	}
	checkTranspose(op, dst, ldd, src, lds, rows, cols)
	r16, c16 := 0, 0
	if attnAVX512 && rows >= 16 && cols >= 16 {
		r16, c16 = rows&^15, cols&^15
		transposeAVX512(&dst[0], ldd, &src[0], lds, r16/16, c16/16, add)
	}
	// Go for the rest: rows [r16, rows) of every column, then rows
	// [0, r16) of columns [c16, cols).
	for r := 0; r < rows; r++ {
		c0 := 0
		if r < r16 {
			c0 = c16
		}
		for c, v := range src[r*lds+c0 : r*lds+cols] {
			if add {
				dst[(c0+c)*ldd+r] += v
			} else {
				dst[(c0+c)*ldd+r] = v
			}
		}
	}
}

// checkTranspose panics unless src holds rows×cols with leading dimension lds
// and dst cols×rows with leading dimension ldd.
func checkTranspose(op string, dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if lds < cols || ldd < rows || len(src) < (rows-1)*lds+cols || len(dst) < (cols-1)*ldd+rows {
		panic(fmt.Sprintf("ops.%s: %d×%d with len(src)=%d lds=%d len(dst)=%d ldd=%d", op, rows, cols, len(src), lds, len(dst), ldd))
	}
}

// expf returns eˣ in float32 to about 2 ulp, and exactly 0 for x below
// −87.33 (including −∞): Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2,
// a degree-6 polynomial for eʳ (Cephes expf), and 2ⁿ built in the exponent
// bits. It is several times faster than math.Exp on float64.
func expf(x float32) float32 {
	if x < -87.33 {
		return 0
	}
	x = min(x, 88.37)
	const magic = 12582912 // 1.5·2²³: adding it rounds to an integer
	t := x*math.Log2E + magic
	n := int32(math.Float32bits(t)) - int32(math.Float32bits(magic))
	f := t - magic
	r := x - f*0.693359375 + f*2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	return p * math.Float32frombits(uint32(n+127)<<23)
}
