package emu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// bf16 rounds x to bfloat16 (nearest, ties to even) and returns its bits.
func bf16(x float32) uint16 {
	u := math.Float32bits(x)
	return uint16((u + 0x7fff + (u >> 16 & 1)) >> 16)
}

func bf16Value(h uint16) float64 { return float64(math.Float32frombits(uint32(h) << 16)) }

// pack packs bf16 values two to a word, the lower index in the low half.
func pack(hs []uint16) []uint32 {
	w := make([]uint32, len(hs)/2)
	for i := range w {
		w[i] = uint32(hs[2*i]) | uint32(hs[2*i+1])<<16
	}
	return w
}

func uploadWords(t *testing.T, d *Driver, ws []uint32) uint64 {
	t.Helper()
	return upload(t, d, unsafe.Slice((*float32)(unsafe.Pointer(&ws[0])), len(ws)))
}

// randomBF16 returns n random bf16 values in [-1, 1) and their float64 values.
func randomBF16(r *rand.Rand, n int) ([]uint16, []float64) {
	h, v := make([]uint16, n), make([]float64, n)
	for i := range h {
		h[i] = bf16(float32(2*r.Float64() - 1))
		v[i] = bf16Value(h[i])
	}
	return h, v
}

// TestMMAGemmBF16 runs the ldmatrix + mma tile GEMM (a grid of 16×16 warp
// tiles, several steps along k) against a float64 GEMM of the same bf16
// inputs. The tensor cores accumulate in float32, once per mma (k/16
// roundings): the bound is (k/16 + 1)·2⁻²⁴·Σ|a||b| per output.
func TestMMAGemmBF16(t *testing.T) {
	d := openKernels(t)
	m, n, k := 32, 48, 64
	r := rand.New(rand.NewPCG(1, 2))
	ah, av := randomBF16(r, m*k)
	bh, bv := randomBF16(r, k*n) // B, row-major k×n
	bth := make([]uint16, n*k)   // Bᵀ, row-major n×k
	for i := 0; i < k; i++ {
		for j := 0; j < n; j++ {
			bth[j*k+i] = bh[i*n+j]
		}
	}
	pa, pb, pc := uploadWords(t, d, pack(ah)), uploadWords(t, d, pack(bth)), upload(t, d, make([]float32, m*n))
	mm, nn, kk := int32(m), int32(n), int32(k)
	if err := d.Launch("mma_gemm_bf16", [3]uint32{uint32(n / 16), uint32(m / 16), 1}, [3]uint32{32, 1, 1}, 0,
		[]unsafe.Pointer{unsafe.Pointer(&pa), unsafe.Pointer(&pb), unsafe.Pointer(&pc),
			unsafe.Pointer(&mm), unsafe.Pointer(&nn), unsafe.Pointer(&kk)}); err != nil {
		t.Fatal(err)
	}
	got := download(t, d, pc, m*n)
	worst := 0.0
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			want, mag := 0.0, 0.0
			for p := 0; p < k; p++ {
				want += av[i*k+p] * bv[p*n+j]
				mag += math.Abs(av[i*k+p] * bv[p*n+j])
			}
			tol := float64(k/16+1) * 0x1p-24 * mag
			e := math.Abs(float64(got[i*n+j]) - want)
			if e > tol {
				t.Fatalf("C[%d][%d] = %g, want %g (error %.3g > %.3g)", i, j, got[i*n+j], want, e, tol)
			}
			worst = max(worst, e/tol)
		}
	}
	t.Logf("%d×%d×%d bf16 GEMM: largest error %.2f of the float32 bound", m, n, k, worst)
}

// fragmentMap gives, per lane, the matrix positions of its registers (the
// PTX ISA tables for mma.m16n8k16, written again here independently of
// mma.cuh): element h (0 low, 1 high) of a[reg] is A[row][col], of b[reg]
// is B[row][col]; c[i] and d[i] are C[row][col].
type fragmentMap struct {
	a, b func(lane, reg, h int) (row, col int)
	c    func(lane, i int) (row, col int)
}

var ptxFragments = fragmentMap{
	a: func(l, r, h int) (int, int) { return l/4 + 8*(r%2), 2*(l%4) + h + 8*(r/2) },
	b: func(l, r, h int) (int, int) { return 2*(l%4) + h + 8*r, l / 4 },
	c: func(l, i int) (int, int) { return l/4 + 8*(i/2), 2*(l%4) + i%2 },
}

// runFragments lays out random A (16×16), B (16×8) and C (16×8) as
// fragments with fm, runs one mma on the emulator, reads D back with fm and
// compares it with A·B + C in float64 (one float32 rounding allowed).
func runFragments(t *testing.T, d *Driver, fm fragmentMap) error {
	r := rand.New(rand.NewPCG(3, 4))
	ah, av := randomBF16(r, 16*16)
	bh, bv := randomBF16(r, 16*8)
	cv := make([]float32, 16*8)
	for i := range cv {
		cv[i] = float32(2*r.Float64() - 1)
	}
	af, bf, cf := make([]uint16, 32*8), make([]uint16, 32*4), make([]float32, 32*4)
	for l := 0; l < 32; l++ {
		for h := 0; h < 2; h++ {
			for reg := 0; reg < 4; reg++ {
				i, j := fm.a(l, reg, h)
				af[l*8+2*reg+h] = ah[i*16+j]
			}
			for reg := 0; reg < 2; reg++ {
				i, j := fm.b(l, reg, h)
				bf[l*4+2*reg+h] = bh[i*8+j]
			}
		}
		for i := 0; i < 4; i++ {
			row, col := fm.c(l, i)
			cf[l*4+i] = cv[row*8+col]
		}
	}
	pa, pb, pc, pd := uploadWords(t, d, pack(af)), uploadWords(t, d, pack(bf)), upload(t, d, cf), upload(t, d, make([]float32, 32*4))
	if err := d.Launch("mma_fragments_bf16", [3]uint32{1, 1, 1}, [3]uint32{32, 1, 1}, 0,
		[]unsafe.Pointer{unsafe.Pointer(&pa), unsafe.Pointer(&pb), unsafe.Pointer(&pc), unsafe.Pointer(&pd)}); err != nil {
		t.Fatal(err)
	}
	df := download(t, d, pd, 32*4)
	for l := 0; l < 32; l++ {
		for i := 0; i < 4; i++ {
			row, col := fm.c(l, i)
			want, mag := float64(cv[row*8+col]), math.Abs(float64(cv[row*8+col]))
			for p := 0; p < 16; p++ {
				want += av[row*16+p] * bv[p*8+col]
				mag += math.Abs(av[row*16+p] * bv[p*8+col])
			}
			if e := math.Abs(float64(df[l*4+i]) - want); e > 0x1p-24*mag {
				return fmt.Errorf("lane %d d[%d] (D[%d][%d]) = %g, want %g", l, i, row, col, df[l*4+i], want)
			}
		}
	}
	return nil
}

// TestMMAFragments checks the emulated mma against the fragment layouts of
// the PTX ISA, and that the check notices a wrong layout: B's fragments
// given to the neighbouring lane (lane ^ 1), or A's row groups swapped.
func TestMMAFragments(t *testing.T) {
	d := openKernels(t)
	if err := runFragments(t, d, ptxFragments); err != nil {
		t.Fatal(err)
	}
	swappedLane := ptxFragments
	swappedLane.b = func(l, r, h int) (int, int) { return ptxFragments.b(l^1, r, h) }
	swappedRows := ptxFragments
	swappedRows.a = func(l, r, h int) (int, int) { return ptxFragments.a(l, r^1, h) }
	for name, fm := range map[string]fragmentMap{"B lane^1": swappedLane, "A rows swapped": swappedRows} {
		err := runFragments(t, d, fm)
		if err == nil {
			t.Errorf("%s: a wrong fragment layout passed", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestMMANeedsWholeWarp: an mma in a warp with missing lanes is reported.
func TestMMANeedsWholeWarp(t *testing.T) {
	d := openKernels(t)
	z := upload(t, d, make([]float32, 32*4))
	err := d.Launch("mma_fragments_bf16", [3]uint32{1, 1, 1}, [3]uint32{16, 1, 1}, 0,
		[]unsafe.Pointer{unsafe.Pointer(&z), unsafe.Pointer(&z), unsafe.Pointer(&z), unsafe.Pointer(&z)})
	if err == nil || !strings.Contains(err.Error(), "exited lanes") {
		t.Fatalf("want a report of the partial warp, got %v", err)
	}
	t.Log(err)
}

// TestLdmatrix checks the emulated ldmatrix.x4 against the PTX ISA layout:
// lane l receives, in register i, row l/4 of matrix i, elements 2(l%4) and
// 2(l%4)+1, which is word 32i + 4(l/4) + l%4 of the input.
func TestLdmatrix(t *testing.T) {
	d := openKernels(t)
	x := make([]uint32, 128)
	for i := range x {
		x[i] = uint32(i)<<16 | uint32(1000+i)
	}
	px, pout := uploadWords(t, d, x), uploadWords(t, d, make([]uint32, 128))
	if err := d.Launch("ldmatrix_rows", [3]uint32{1, 1, 1}, [3]uint32{32, 1, 1}, 0,
		[]unsafe.Pointer{unsafe.Pointer(&px), unsafe.Pointer(&pout)}); err != nil {
		t.Fatal(err)
	}
	got := download(t, d, pout, 128)
	for l := 0; l < 32; l++ {
		for i := 0; i < 4; i++ {
			if g, want := math.Float32bits(got[4*l+i]), x[32*i+4*(l/4)+l%4]; g != want {
				t.Fatalf("lane %d r[%d] = %#x, want %#x", l, i, g, want)
			}
		}
	}
}
