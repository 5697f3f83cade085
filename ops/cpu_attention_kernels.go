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
	if !attnAVX512 || k == 0 {
		gemm.Sgemm(false, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if len(a) < (m-1)*lda+k || len(b) < (k-1)*ldb+n || len(c) < (m-1)*ldc+n || lda < k || ldb < n || ldc < n || len(tail) < 4*(k+n) {
		panic(fmt.Sprintf("ops.tileMul: %d×%d×%d with len(a)=%d lda=%d len(b)=%d ldb=%d len(c)=%d ldc=%d len(tail)=%d",
			m, n, k, len(a), lda, len(b), ldb, len(c), ldc, len(tail)))
	}
	m4 := m &^ 3
	for i := 0; i < m4; i += 4 {
		mul4(k, n, alpha, a[i*lda:], lda, b, ldb, beta, c[i*ldc:], ldc)
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
	mul4(k, n, alpha, ta, k, b, ldb, beta, tc, n)
	for i := 0; i < r; i++ {
		copy(c[(m4+i)*ldc:(m4+i)*ldc+n], tc[i*n:(i+1)*n])
	}
}

// mul4 runs attnMul4 over the n columns in blocks of 64.
func mul4(k, n int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for j := 0; j < n; j += 64 {
		w := min(64, n-j)
		nv := (w + 15) / 16
		mask := 1<<(w-16*(nv-1)) - 1
		attnMul4(k, &a[0], lda, &b[j], ldb, &c[j], ldc, nv, mask, alpha, beta)
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

// transposeInto sets dst[c·ldd + r] = src[r·lds + c] for r < rows, c < cols,
// four source rows at a time.
func transposeInto(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	r := 0
	for ; r+4 <= rows; r += 4 {
		s0 := src[r*lds : r*lds+cols]
		s1 := src[(r+1)*lds : (r+1)*lds+cols]
		s2 := src[(r+2)*lds : (r+2)*lds+cols]
		s3 := src[(r+3)*lds : (r+3)*lds+cols]
		for c := range s0 {
			d := dst[c*ldd+r : c*ldd+r+4 : c*ldd+r+4]
			d[0], d[1], d[2], d[3] = s0[c], s1[c], s2[c], s3[c]
		}
	}
	for ; r < rows; r++ {
		for c, v := range src[r*lds : r*lds+cols] {
			dst[c*ldd+r] = v
		}
	}
}

// addTransposed adds the transpose of src (rows×cols, leading dimension
// lds) into dst (cols×rows, leading dimension ldd).
func addTransposed(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	for c := 0; c < cols; c++ {
		d := dst[c*ldd : c*ldd+rows]
		for r := range d {
			d[r] += src[r*lds+c]
		}
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
