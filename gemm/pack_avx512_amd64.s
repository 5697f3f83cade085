//go:build amd64 && !purego

#include "textflag.h"

// Packing routines of the avx512 variant; see pack.go for the layouts.

// LANEMASK sets AX to the mask of the first clamp(CX, 0, 16) lanes
// (clobbers CX, DX).
#define LANEMASK \
	XORQ    DX, DX; \
	CMPQ    CX, DX; \
	CMOVQLT DX, CX; \
	MOVQ    $16, DX; \
	CMPQ    CX, DX; \
	CMOVQGT DX, CX; \
	MOVQ    $1, AX; \
	SHLQ    CX, AX; \
	DECQ    AX

// LOADROW loads 16 floats of source row r at R14 into reg if r < R12 (the
// rows present), else zeroes reg without touching memory; R14 steps a row.
#define LOADROW(r, reg) \
	XORL    AX, AX; \
	CMPQ    R12, $r; \
	CMOVQGT R13, AX; \
	KMOVW   AX, K3; \
	VMOVUPS.Z (R14), K3, reg; \
	ADDQ    R15, R14

// UNPACK interleaves rows a, b (stage 1 of the 16×16 transpose).
#define UNPACK(a, b, lo, hi) \
	VUNPCKLPS b, a, lo; \
	VUNPCKHPS b, a, hi

// QUAD gathers element q of four rows in each 128-bit lane (stage 2).
#define QUAD(t0, t1, t2, t3, s0, s1, s2, s3) \
	VSHUFPS $0x44, t2, t0, s0; \
	VSHUFPS $0xEE, t2, t0, s1; \
	VSHUFPS $0x44, t3, t1, s2; \
	VSHUFPS $0xEE, t3, t1, s3

// COLS finishes columns q, q+4, q+8, q+12 from the stage-2 registers of the
// four row groups (stages 3 and 4) and stores them, masked by K2, at
// DI + c·R9 for each column c.
#define COLS(q, s0, s1, s2, s3) \
	VSHUFF32X4 $0x88, s1, s0, Z16; \
	VSHUFF32X4 $0xDD, s1, s0, Z17; \
	VSHUFF32X4 $0x88, s3, s2, Z18; \
	VSHUFF32X4 $0xDD, s3, s2, Z19; \
	VSHUFF32X4 $0x88, Z18, Z16, Z20; \
	VSHUFF32X4 $0xDD, Z18, Z16, Z21; \
	VSHUFF32X4 $0x88, Z19, Z17, Z22; \
	VSHUFF32X4 $0xDD, Z19, Z17, Z23; \
	IMUL3Q  $q, R9, R10; \
	VMOVUPS Z20, K2, (DI)(R10*1); \
	IMUL3Q  $(q+8), R9, R10; \
	VMOVUPS Z21, K2, (DI)(R10*1); \
	IMUL3Q  $(q+4), R9, R10; \
	VMOVUPS Z22, K2, (DI)(R10*1); \
	IMUL3Q  $(q+12), R9, R10; \
	VMOVUPS Z23, K2, (DI)(R10*1)

// func packColsAVX512(dst *float32, W int, src *float32, ld, kc, w int)
// dst[p·W + r] = src[r·ld + p] for p < kc, r < w; zero for w ≤ r < W.
// kc is a multiple of 16 and W ≤ 32; 16×16 blocks go through registers.
TEXT ·packColsAVX512(SB), NOSPLIT, $0-48
	MOVQ W+8(FP), R9
	SHLQ $2, R9            // R9: bytes per packed step
	MOVQ ld+24(FP), R15
	SHLQ $2, R15           // R15: bytes per source row
	MOVQ $0xFFFF, R13
	XORQ BX, BX            // BX: first row r0 of this group

group:
	MOVQ  W+8(FP), CX
	SUBQ  BX, CX
	LANEMASK               // lanes to store: min(16, W - r0)
	KMOVW AX, K2
	MOVQ  w+40(FP), R12
	SUBQ  BX, R12          // R12: rows present in this group (may be <= 0)
	MOVQ  src+16(FP), SI
	MOVQ  BX, AX
	IMULQ R15, AX
	ADDQ  AX, SI           // SI: src row r0, column p0
	MOVQ  dst+0(FP), DI
	LEAQ  (DI)(BX*4), DI   // DI: dst step p0, lane r0
	MOVQ  kc+32(FP), R8
	SHRQ  $4, R8
	JZ    done

block:
	MOVQ SI, R14
	LOADROW(0, Z0)
	LOADROW(1, Z1)
	LOADROW(2, Z2)
	LOADROW(3, Z3)
	LOADROW(4, Z4)
	LOADROW(5, Z5)
	LOADROW(6, Z6)
	LOADROW(7, Z7)
	LOADROW(8, Z8)
	LOADROW(9, Z9)
	LOADROW(10, Z10)
	LOADROW(11, Z11)
	LOADROW(12, Z12)
	LOADROW(13, Z13)
	LOADROW(14, Z14)
	LOADROW(15, Z15)
	UNPACK(Z0, Z1, Z16, Z17)
	UNPACK(Z2, Z3, Z18, Z19)
	UNPACK(Z4, Z5, Z20, Z21)
	UNPACK(Z6, Z7, Z22, Z23)
	UNPACK(Z8, Z9, Z24, Z25)
	UNPACK(Z10, Z11, Z26, Z27)
	UNPACK(Z12, Z13, Z28, Z29)
	UNPACK(Z14, Z15, Z30, Z31)
	QUAD(Z16, Z17, Z18, Z19, Z0, Z1, Z2, Z3)
	QUAD(Z20, Z21, Z22, Z23, Z4, Z5, Z6, Z7)
	QUAD(Z24, Z25, Z26, Z27, Z8, Z9, Z10, Z11)
	QUAD(Z28, Z29, Z30, Z31, Z12, Z13, Z14, Z15)
	COLS(0, Z0, Z4, Z8, Z12)
	COLS(1, Z1, Z5, Z9, Z13)
	COLS(2, Z2, Z6, Z10, Z14)
	COLS(3, Z3, Z7, Z11, Z15)
	ADDQ  $64, SI          // next 16 columns of the source rows
	MOVQ  R9, AX
	SHLQ  $4, AX
	ADDQ  AX, DI           // next 16 packed steps
	DECQ  R8
	JNZ   block

done:
	ADDQ $16, BX
	CMPQ BX, W+8(FP)
	JLT  group
	VZEROUPPER
	RET

// func packRowsAVX512(dst *float32, W int, src *float32, ld, kc, w int)
// dst[p·W + r] = src[p·ld + r] for p < kc, r < w; zero for w ≤ r < W.
// W ≤ 32: each step is two masked 16-lane copies.
TEXT ·packRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ W+8(FP), R9
	MOVQ src+16(FP), SI
	MOVQ ld+24(FP), R15
	SHLQ $2, R15
	MOVQ kc+32(FP), R8
	MOVQ w+40(FP), R12

	// K1, K2: lanes loaded from src in the first and second 16; K3, K4:
	// lanes stored to dst (the rest of W is the zero padding).
	MOVQ R12, CX
	LANEMASK
	KMOVW AX, K1
	LEAQ -16(R12), CX
	LANEMASK
	KMOVW AX, K2
	MOVQ R9, CX
	LANEMASK
	KMOVW AX, K3
	LEAQ -16(R9), CX
	LANEMASK
	KMOVW AX, K4
	TESTQ R8, R8
	JZ    done
	CMPQ  R9, $16
	JLE   narrow
	SHLQ  $2, R9           // R9: bytes per packed step

wide:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VMOVUPS Z0, K3, (DI)
	VMOVUPS Z1, K4, 64(DI)
	ADDQ R15, SI
	ADDQ R9, DI
	DECQ R8
	JNZ  wide
	JMP  done

narrow: // W ≤ 16: one 16-lane copy per step
	SHLQ $2, R9

narrowstep:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS Z0, K3, (DI)
	ADDQ R15, SI
	ADDQ R9, DI
	DECQ R8
	JNZ  narrowstep

done:
	VZEROUPPER
	RET

