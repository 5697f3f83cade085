package ops

import (
	"math"
	"testing"

	"xprompt/core"
)

// attnPaths lists the inner-loop implementations this machine can run:
// the assembly one (where present) and the portable one.
func attnPaths() []bool {
	if attnAVX512 {
		return []bool{true, false}
	}
	return []bool{false}
}

// onAttnPath runs f with the inner loops switched to the given path.
func onAttnPath(avx bool, f func()) {
	old := attnAVX512
	attnAVX512 = avx
	defer func() { attnAVX512 = old }()
	f()
}

func pathName(avx bool) string {
	if avx {
		return "avx512"
	}
	return "go"
}

func TestTileMul(t *testing.T) {
	r := core.NewRNG(1)
	for _, avx := range attnPaths() {
		for _, m := range []int{1, 3, 4, 5, 8, 13, 64} {
			for _, n := range []int{1, 15, 16, 17, 32, 33, 64, 65, 100} {
				for _, k := range []int{0, 1, 7, 32} {
					for _, beta := range []float32{0, 1} {
						lda, ldb, ldc := k+2, n+3, n+1
						a, b := randData(r, m*lda), randData(r, max(k, 1)*ldb)
						c := randData(r, m*ldc)
						if beta == 0 {
							for i := range c {
								c[i] = float32(math.NaN()) // must not be read
							}
						}
						old := append([]float32(nil), c...)
						tail := make([]float32, 4*(k+n))
						onAttnPath(avx, func() { tileMul(m, n, k, 0.75, a, lda, b, ldb, beta, c, ldc, tail) })
						for i := 0; i < m; i++ {
							for j := 0; j < ldc; j++ {
								got := c[i*ldc+j]
								if j >= n {
									if math.Float32bits(got) != math.Float32bits(old[i*ldc+j]) {
										t.Fatalf("%s m=%d n=%d k=%d: C[%d][%d] outside the product changed", pathName(avx), m, n, k, i, j)
									}
									continue
								}
								var want float64
								for p := 0; p < k; p++ {
									want += float64(a[i*lda+p]) * float64(b[p*ldb+j])
								}
								want *= 0.75
								if beta != 0 {
									want += float64(old[i*ldc+j])
								}
								if math.Abs(float64(got)-want) > 1e-5*(1+math.Abs(want)) {
									t.Fatalf("%s m=%d n=%d k=%d beta=%g: C[%d][%d] = %g, want %g", pathName(avx), m, n, k, beta, i, j, got, want)
								}
							}
						}
					}
				}
			}
		}
	}
	mustPanic(t, func() {
		tileMul(4, 4, 4, 1, make([]float32, 15), 4, make([]float32, 16), 4, 0, make([]float32, 16), 4, make([]float32, 32))
	}, "tileMul", "len(a)=15")
}

func TestAttentionRowKernels(t *testing.T) {
	r := core.NewRNG(2)
	negInf := float32(math.Inf(-1))
	for _, avx := range attnPaths() {
		name := pathName(avx)
		for n := 0; n <= 70; n++ {
			x := randData(r, n+1)[:n] // one spare value past the end must stay
			spare := x[:n+1][n]
			for i := range x {
				x[i] *= 4
				if r.IntN(5) == 0 {
					x[i] = negInf
				}
			}
			var wantMax float32 = -3
			for _, v := range x {
				wantMax = max(wantMax, v)
			}
			onAttnPath(avx, func() {
				if got := rowMax(x, -3); got != wantMax {
					t.Fatalf("%s rowMax(n=%d) = %g, want %g", name, n, got, wantMax)
				}
				e := append([]float32(nil), x...)
				var wantSum float64
				sum := expSum(e, 0.5)
				for i, v := range x {
					want := math.Exp(float64(v - 0.5)) // the argument is rounded to float32 first
					wantSum += want
					if math.Abs(float64(e[i])-want) > 4e-7*want {
						t.Fatalf("%s expSum(n=%d)[%d]: exp(%g−0.5) = %g, want %g", name, n, i, v, e[i], want)
					}
				}
				if math.Abs(float64(sum)-wantSum) > 1e-6*(1+wantSum) {
					t.Fatalf("%s expSum(n=%d) returned %g, want %g", name, n, sum, wantSum)
				}
				p, dp := randData(r, n), randData(r, n+1)
				want := make([]float32, n)
				for i := range want {
					want[i] = p[i] * (dp[i] - 0.3)
				}
				last := dp[n]
				dsRow(p, dp, 0.3)
				scaleRow(p, 1.5)
				for i := range want {
					if dp[i] != want[i] {
						t.Fatalf("%s dsRow(n=%d)[%d] = %g, want %g", name, n, i, dp[i], want[i])
					}
				}
				if dp[n] != last || x[:n+1][n] != spare {
					t.Fatalf("%s: row kernels wrote past n=%d", name, n)
				}
			})
		}
	}
}

func TestMaskRow(t *testing.T) {
	r := core.NewRNG(3)
	for _, avx := range attnPaths() {
		for n := 0; n <= 50; n++ {
			pos, code := make([]int32, n), make([]int32, n)
			for j := range pos {
				pos[j] = int32(r.IntN(20))
				code[j] = int32(r.IntN(6))
				if r.IntN(7) == 0 {
					code[j] = padCode
				}
			}
			allow := uint32(r.IntN(64))
			row := randData(r, n+1)
			orig := append([]float32(nil), row...)
			onAttnPath(avx, func() { maskRow(row[:n], pos, code, 10, allow) })
			for j := 0; j < n; j++ {
				want := orig[j]
				if pos[j] > 10 || allow>>uint(code[j])&1 == 0 {
					want = float32(math.Inf(-1))
				}
				if row[j] != want {
					t.Fatalf("%s maskRow n=%d: row[%d] = %g, want %g", pathName(avx), n, j, row[j], want)
				}
			}
			if row[n] != orig[n] {
				t.Fatalf("%s maskRow wrote past n=%d", pathName(avx), n)
			}
		}
	}
}

func TestTranspose(t *testing.T) {
	r := core.NewRNG(4)
	for _, avx := range attnPaths() {
		for _, rows := range []int{1, 5, 16, 17, 40} {
			for _, cols := range []int{1, 3, 32, 33} {
				lds, ldd := cols+1, rows+2
				src := randData(r, rows*lds)
				dst := randData(r, cols*ldd)
				orig := append([]float32(nil), dst...)
				onAttnPath(avx, func() { addTransposed(dst, ldd, src, lds, rows, cols) })
				for c := 0; c < cols; c++ {
					for j := 0; j < ldd; j++ {
						want := orig[c*ldd+j]
						if j < rows {
							want += src[j*lds+c]
						}
						if dst[c*ldd+j] != want {
							t.Fatalf("%s addTransposed %d×%d: dst[%d][%d] = %g, want %g", pathName(avx), rows, cols, c, j, dst[c*ldd+j], want)
						}
					}
				}
				onAttnPath(avx, func() { transposeInto(dst, ldd, src, lds, rows, cols) })
				for c := 0; c < cols; c++ {
					for j := 0; j < rows; j++ {
						if dst[c*ldd+j] != src[j*lds+c] {
							t.Fatalf("%s transposeInto %d×%d: dst[%d][%d] = %g, want %g", pathName(avx), rows, cols, c, j, dst[c*ldd+j], src[j*lds+c])
						}
					}
				}
			}
		}
	}
	mustPanic(t, func() { transposeInto(make([]float32, 8), 2, make([]float32, 7), 4, 2, 4) }, "transposeInto", "len(src)=7")
}

// TestExpf compares the fast exponential with math.Exp.
func TestExpf(t *testing.T) {
	for x := -87.0; x <= 88; x += 0.01237 {
		got, want := float64(expf(float32(x))), math.Exp(float64(float32(x)))
		if math.Abs(got-want) > 4e-7*want {
			t.Fatalf("expf(%g) = %g, math.Exp %g", x, got, want)
		}
	}
	for _, x := range []float32{-87.34, -100, float32(math.Inf(-1))} {
		if got := expf(x); got != 0 {
			t.Fatalf("expf(%g) = %g, want 0", x, got)
		}
	}
	if got := expf(0); got != 1 {
		t.Fatalf("expf(0) = %g, want 1", got)
	}
}
