//go:build amd64 && !purego

#include "textflag.h"
#include "vecmath_amd64.h"

// AVX-512 SwiGLU rows (swigluRowGo and swigluBackRowGo in cpu_swiglu.go
// define the semantics).

// SIGMOIDNEG sets Z4 = 1 + exp(−Z0) (Z19 zero, EXPCONST loaded).
#define SIGMOIDNEG \
	VSUBPS Z0, Z19, Z4; \
	EXP(Z4, Z1, Z2, Z3, K2); \
	VADDPS Z31, Z4, Z4

// func swigluRowAVX512(a, b, y []float32)
TEXT ·swigluRowAVX512(SB), NOSPLIT, $0-72
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), BX
	MOVQ y_base+48(FP), DI
	EXPCONST
	VPXORD Z19, Z19, Z19
	CMPQ CX, $16
	JLT  fwtail
fwloop:
	VMOVUPS (SI), Z0
	SIGMOIDNEG
	VDIVPS Z4, Z0, Z5
	VMULPS (BX), Z5, Z5
	VMOVUPS Z5, (DI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DI
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  fwloop
fwtail:
	TESTQ CX, CX
	JZ    fwdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (BX), K1, Z6
	SIGMOIDNEG
	VDIVPS Z4, Z0, Z5
	VMULPS Z6, Z5, Z5
	VMOVUPS Z5, K1, (DI)
fwdone:
	VZEROUPPER
	RET

// SWIGLUBACK sets Z12 = g·b·s·(1 + a·(1−s)) and Z10 = g·a·s from a in Z0,
// b in Z8, g in Z7 (s = sigmoid(a)).
#define SWIGLUBACK \
	SIGMOIDNEG; \
	VDIVPS Z4, Z31, Z6; \
	VMULPS Z6, Z7, Z9; \
	VMULPS Z0, Z9, Z10; \
	VSUBPS Z6, Z31, Z11; \
	VFMADD213PS Z31, Z0, Z11; \
	VMULPS Z8, Z9, Z12; \
	VMULPS Z11, Z12, Z12

// func swigluBackRowAVX512(a, b, g, ga, gb []float32, accumulate bool)
TEXT ·swigluBackRowAVX512(SB), NOSPLIT, $0-121
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), BX
	MOVQ g_base+48(FP), DX
	MOVQ ga_base+72(FP), DI
	MOVQ gb_base+96(FP), R8
	MOVBLZX accumulate+120(FP), R9
	EXPCONST
	VPXORD Z19, Z19, Z19
	CMPQ CX, $16
	JLT  bwtail
bwloop:
	VMOVUPS (SI), Z0
	VMOVUPS (BX), Z8
	VMOVUPS (DX), Z7
	SWIGLUBACK
	TESTQ R9, R9
	JZ    bwstore
	VADDPS (DI), Z12, Z12
	VADDPS (R8), Z10, Z10
bwstore:
	VMOVUPS Z12, (DI)
	VMOVUPS Z10, (R8)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, DI
	ADDQ $64, R8
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  bwloop
bwtail:
	TESTQ CX, CX
	JZ    bwdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (BX), K1, Z8
	VMOVUPS.Z (DX), K1, Z7
	SWIGLUBACK
	TESTQ R9, R9
	JZ    bwtailstore
	VMOVUPS.Z (DI), K1, Z13
	VMOVUPS.Z (R8), K1, Z14
	VADDPS Z13, Z12, Z12
	VADDPS Z14, Z10, Z10
bwtailstore:
	VMOVUPS Z12, K1, (DI)
	VMOVUPS Z10, K1, (R8)
bwdone:
	VZEROUPPER
	RET
