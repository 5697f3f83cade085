//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 inner loops of the fused attention (see cpu_attention_kernels.go
// for the portable versions, which define the semantics).

// ---- attnMul4: C[4×n] = alpha·A[4×k]·B[k×n] + beta·C, n ≤ 64 ----
//
// A, B and C are row-major with leading dimensions lda, ldb, ldc (elements).
// The n columns are nv 16-wide vectors, the last one masked by mask. Each
// step p broadcasts A[r][p] for the 4 rows and multiplies it into the nv
// vectors of row p of B: 4·nv accumulators, row r in Z(4r)…Z(4r+nv−1).

#define ROWFMA4(bc, a0, a1, a2, a3) \
	VFMADD231PS Z16, bc, a0; VFMADD231PS Z17, bc, a1; VFMADD231PS Z18, bc, a2; VFMADD231PS Z19, bc, a3

#define ROWFMA3(bc, a0, a1, a2) \
	VFMADD231PS Z16, bc, a0; VFMADD231PS Z17, bc, a1; VFMADD231PS Z18, bc, a2

#define ROWFMA2(bc, a0, a1) \
	VFMADD231PS Z16, bc, a0; VFMADD231PS Z17, bc, a1

#define ROWFMA1(bc, a0) \
	VFMADD231PS Z16, bc, a0

#define BCAST4 \
	VBROADCASTSS (SI), Z20; VBROADCASTSS (SI)(R8*1), Z21; VBROADCASTSS (SI)(R8*2), Z22; VBROADCASTSS (SI)(R9*1), Z23

#define NEXT(label) \
	ADDQ $4, SI; ADDQ R10, BX; DECQ CX; JNZ label

// One vector of a C row: acc = alpha·acc (+ C when beta is 1), stored.
#define ST(acc, addr) VMULPS Z24, acc, acc; VFMADD231PS addr, Z25, acc; VMOVUPS acc, addr
#define ST0(acc, addr) VMULPS Z24, acc, acc; VMOVUPS acc, addr
// The masked last vector.
#define STM(acc, addr) VMULPS Z24, acc, acc; VMOVUPS.Z addr, K1, Z26; VFMADD231PS Z26, Z25, acc; VMOVUPS acc, K1, addr
#define STM0(acc, addr) VMULPS Z24, acc, acc; VMOVUPS acc, K1, addr

// func attnMul4(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, nv int, mask int, alpha, beta float32)
TEXT ·attnMul4(SB), NOSPLIT, $0-80
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), BX
	MOVQ ldb+32(FP), R10
	MOVQ c+40(FP), DI
	MOVQ ldc+48(FP), R11
	MOVQ nv+56(FP), DX
	MOVQ mask+64(FP), AX
	KMOVW AX, K1
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	SHLQ $2, R10
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VBROADCASTSS alpha+72(FP), Z24
	VBROADCASTSS beta+76(FP), Z25
	MOVL beta+76(FP), AX
	CMPQ DX, $4
	JEQ  nv4
	CMPQ DX, $3
	JEQ  nv3
	CMPQ DX, $2
	JEQ  nv2

	// nv == 1
	TESTQ CX, CX
	JZ    store1
loop1:
	VMOVUPS.Z (BX), K1, Z16
	BCAST4
	ROWFMA1(Z20, Z0)
	ROWFMA1(Z21, Z4)
	ROWFMA1(Z22, Z8)
	ROWFMA1(Z23, Z12)
	NEXT(loop1)
store1:
	TESTL AX, AX
	JZ    store1z
	STM(Z0, (DI))
	STM(Z4, (DI)(R11*1))
	STM(Z8, (DI)(R11*2))
	STM(Z12, (DI)(R12*1))
	JMP done
store1z:
	STM0(Z0, (DI))
	STM0(Z4, (DI)(R11*1))
	STM0(Z8, (DI)(R11*2))
	STM0(Z12, (DI)(R12*1))
	JMP done

nv2:
	TESTQ CX, CX
	JZ    store2
loop2:
	VMOVUPS (BX), Z16
	VMOVUPS.Z 64(BX), K1, Z17
	BCAST4
	ROWFMA2(Z20, Z0, Z1)
	ROWFMA2(Z21, Z4, Z5)
	ROWFMA2(Z22, Z8, Z9)
	ROWFMA2(Z23, Z12, Z13)
	NEXT(loop2)
store2:
	TESTL AX, AX
	JZ    store2z
	ST(Z0, (DI))
	STM(Z1, 64(DI))
	ST(Z4, (DI)(R11*1))
	STM(Z5, 64(DI)(R11*1))
	ST(Z8, (DI)(R11*2))
	STM(Z9, 64(DI)(R11*2))
	ST(Z12, (DI)(R12*1))
	STM(Z13, 64(DI)(R12*1))
	JMP done
store2z:
	ST0(Z0, (DI))
	STM0(Z1, 64(DI))
	ST0(Z4, (DI)(R11*1))
	STM0(Z5, 64(DI)(R11*1))
	ST0(Z8, (DI)(R11*2))
	STM0(Z9, 64(DI)(R11*2))
	ST0(Z12, (DI)(R12*1))
	STM0(Z13, 64(DI)(R12*1))
	JMP done

nv3:
	TESTQ CX, CX
	JZ    store3
loop3:
	VMOVUPS (BX), Z16
	VMOVUPS 64(BX), Z17
	VMOVUPS.Z 128(BX), K1, Z18
	BCAST4
	ROWFMA3(Z20, Z0, Z1, Z2)
	ROWFMA3(Z21, Z4, Z5, Z6)
	ROWFMA3(Z22, Z8, Z9, Z10)
	ROWFMA3(Z23, Z12, Z13, Z14)
	NEXT(loop3)
store3:
	TESTL AX, AX
	JZ    store3z
	ST(Z0, (DI))
	ST(Z1, 64(DI))
	STM(Z2, 128(DI))
	ST(Z4, (DI)(R11*1))
	ST(Z5, 64(DI)(R11*1))
	STM(Z6, 128(DI)(R11*1))
	ST(Z8, (DI)(R11*2))
	ST(Z9, 64(DI)(R11*2))
	STM(Z10, 128(DI)(R11*2))
	ST(Z12, (DI)(R12*1))
	ST(Z13, 64(DI)(R12*1))
	STM(Z14, 128(DI)(R12*1))
	JMP done
store3z:
	ST0(Z0, (DI))
	ST0(Z1, 64(DI))
	STM0(Z2, 128(DI))
	ST0(Z4, (DI)(R11*1))
	ST0(Z5, 64(DI)(R11*1))
	STM0(Z6, 128(DI)(R11*1))
	ST0(Z8, (DI)(R11*2))
	ST0(Z9, 64(DI)(R11*2))
	STM0(Z10, 128(DI)(R11*2))
	ST0(Z12, (DI)(R12*1))
	ST0(Z13, 64(DI)(R12*1))
	STM0(Z14, 128(DI)(R12*1))
	JMP done

nv4:
	TESTQ CX, CX
	JZ    store4
loop4:
	VMOVUPS (BX), Z16
	VMOVUPS 64(BX), Z17
	VMOVUPS 128(BX), Z18
	VMOVUPS.Z 192(BX), K1, Z19
	BCAST4
	ROWFMA4(Z20, Z0, Z1, Z2, Z3)
	ROWFMA4(Z21, Z4, Z5, Z6, Z7)
	ROWFMA4(Z22, Z8, Z9, Z10, Z11)
	ROWFMA4(Z23, Z12, Z13, Z14, Z15)
	NEXT(loop4)
store4:
	TESTL AX, AX
	JZ    store4z
	ST(Z0, (DI))
	ST(Z1, 64(DI))
	ST(Z2, 128(DI))
	STM(Z3, 192(DI))
	ST(Z4, (DI)(R11*1))
	ST(Z5, 64(DI)(R11*1))
	ST(Z6, 128(DI)(R11*1))
	STM(Z7, 192(DI)(R11*1))
	ST(Z8, (DI)(R11*2))
	ST(Z9, 64(DI)(R11*2))
	ST(Z10, 128(DI)(R11*2))
	STM(Z11, 192(DI)(R11*2))
	ST(Z12, (DI)(R12*1))
	ST(Z13, 64(DI)(R12*1))
	ST(Z14, 128(DI)(R12*1))
	STM(Z15, 192(DI)(R12*1))
	JMP done
store4z:
	ST0(Z0, (DI))
	ST0(Z1, 64(DI))
	ST0(Z2, 128(DI))
	STM0(Z3, 192(DI))
	ST0(Z4, (DI)(R11*1))
	ST0(Z5, 64(DI)(R11*1))
	ST0(Z6, 128(DI)(R11*1))
	STM0(Z7, 192(DI)(R11*1))
	ST0(Z8, (DI)(R11*2))
	ST0(Z9, 64(DI)(R11*2))
	ST0(Z10, 128(DI)(R11*2))
	STM0(Z11, 192(DI)(R11*2))
	ST0(Z12, (DI)(R12*1))
	ST0(Z13, 64(DI)(R12*1))
	ST0(Z14, 128(DI)(R12*1))
	STM0(Z15, 192(DI)(R12*1))

done:
	VZEROUPPER
	RET

// ---- row operations ----

// TAILMASK sets K1 to the low CX bits (CX < 16).
#define TAILMASK MOVQ $1, AX; SHLQ CX, AX; DECQ AX; KMOVW AX, K1

// HMAX reduces Z0 to its largest lane in X0.
#define HMAX \
	VEXTRACTF64X4 $1, Z0, Y1; VMAXPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; VMAXPS X1, X0, X0; \
	VMOVHLPS X0, X1, X1; VMAXPS X1, X0, X0; \
	VMOVSHDUP X0, X1; VMAXSS X1, X0, X0

// HSUM reduces Z0 to the sum of its lanes in X0.
#define HSUM \
	VEXTRACTF64X4 $1, Z0, Y1; VADDPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; VADDPS X1, X0, X0; \
	VMOVHLPS X0, X1, X1; VADDPS X1, X0, X0; \
	VMOVSHDUP X0, X1; VADDSS X1, X0, X0

// func rowMaxAVX512(x []float32, init float32) float32
TEXT ·rowMaxAVX512(SB), NOSPLIT, $0-36
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VBROADCASTSS init+24(FP), Z0
	VMOVAPS Z0, Z2
	CMPQ CX, $16
	JLT  maxtail
maxloop:
	VMAXPS (SI), Z0, Z0
	ADDQ $64, SI
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  maxloop
maxtail:
	TESTQ CX, CX
	JZ    maxreduce
	TAILMASK
	VMOVAPS Z2, Z3
	VMOVUPS (SI), K1, Z3
	VMAXPS Z3, Z0, Z0
maxreduce:
	HMAX
	VZEROUPPER
	MOVSS X0, ret+32(FP)
	RET

// EXPCONST loads the constants of the exponential: Z20 lower limit −87.33,
// Z21 upper limit 88.37, Z22 log₂e, Z23 and Z24 the two parts of ln 2,
// Z25…Z30 the polynomial (Cephes expf), Z31 one.
#define EXPCONST \
	MOVL $0xc2aea8f6, AX; VPBROADCASTD AX, Z20; \
	MOVL $0x42b0bd71, AX; VPBROADCASTD AX, Z21; \
	MOVL $0x3fb8aa3b, AX; VPBROADCASTD AX, Z22; \
	MOVL $0x3f318000, AX; VPBROADCASTD AX, Z23; \
	MOVL $0x395e8083, AX; VPBROADCASTD AX, Z24; \
	MOVL $0x39506967, AX; VPBROADCASTD AX, Z25; \
	MOVL $0x3ab743ce, AX; VPBROADCASTD AX, Z26; \
	MOVL $0x3c088908, AX; VPBROADCASTD AX, Z27; \
	MOVL $0x3d2aa9c1, AX; VPBROADCASTD AX, Z28; \
	MOVL $0x3e2aaaaa, AX; VPBROADCASTD AX, Z29; \
	MOVL $0x3f000000, AX; VPBROADCASTD AX, Z30; \
	MOVL $0x3f800000, AX; VPBROADCASTD AX, Z31

// EXP sets x = exp(x) for the 16 lanes of x, 0 where x < −87.33 (as expf),
// using t, n and p as temporaries and kz as the keep-mask.
#define EXP(x, t, n, p, kz) \
	VCMPPS $5, Z20, x, kz; \
	VMAXPS Z20, x, x; VMINPS Z21, x, x; \
	VMULPS Z22, x, n; VRNDSCALEPS $0, n, n; \
	VFNMADD231PS Z23, n, x; VFMADD231PS Z24, n, x; \
	VMOVAPS Z25, p; \
	VFMADD213PS Z26, x, p; VFMADD213PS Z27, x, p; VFMADD213PS Z28, x, p; \
	VFMADD213PS Z29, x, p; VFMADD213PS Z30, x, p; \
	VMULPS x, x, t; VFMADD213PS x, t, p; VADDPS Z31, p, p; \
	VSCALEFPS n, p, p; VMOVAPS.Z p, kz, x

// func expSumAVX512(x []float32, sub float32) float32
TEXT ·expSumAVX512(SB), NOSPLIT, $0-36
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VBROADCASTSS sub+24(FP), Z19
	EXPCONST
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	CMPQ CX, $32
	JLT  exp16
exp32:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z4
	VSUBPS Z19, Z0, Z0
	VSUBPS Z19, Z4, Z4
	EXP(Z0, Z1, Z2, Z3, K2)
	EXP(Z4, Z5, Z6, Z7, K3)
	VMOVUPS Z0, (SI)
	VMOVUPS Z4, 64(SI)
	VADDPS Z0, Z16, Z16
	VADDPS Z4, Z17, Z17
	ADDQ $128, SI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE  exp32
exp16:
	CMPQ CX, $16
	JLT  exptail
	VMOVUPS (SI), Z0
	VSUBPS Z19, Z0, Z0
	EXP(Z0, Z1, Z2, Z3, K2)
	VMOVUPS Z0, (SI)
	VADDPS Z0, Z16, Z16
	ADDQ $64, SI
	SUBQ $16, CX
exptail:
	TESTQ CX, CX
	JZ    expreduce
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z19, Z0, Z0
	EXP(Z0, Z1, Z2, Z3, K2)
	VMOVAPS.Z Z0, K1, Z0
	VMOVUPS Z0, K1, (SI)
	VADDPS Z0, Z17, Z17
expreduce:
	VADDPS Z17, Z16, Z0
	HSUM
	VZEROUPPER
	MOVSS X0, ret+32(FP)
	RET

// func dsRowAVX512(p, dp []float32, d float32)
TEXT ·dsRowAVX512(SB), NOSPLIT, $0-52
	MOVQ p_base+0(FP), SI
	MOVQ p_len+8(FP), CX
	MOVQ dp_base+24(FP), DI
	VBROADCASTSS d+48(FP), Z19
	CMPQ CX, $16
	JLT  dstail
dsloop:
	VMOVUPS (DI), Z0
	VSUBPS Z19, Z0, Z0
	VMULPS (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  dsloop
dstail:
	TESTQ CX, CX
	JZ    dsdone
	TAILMASK
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VSUBPS Z19, Z0, Z0
	VMULPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)
dsdone:
	VZEROUPPER
	RET

// func scaleRowAVX512(x []float32, s float32)
TEXT ·scaleRowAVX512(SB), NOSPLIT, $0-28
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VBROADCASTSS s+24(FP), Z19
	CMPQ CX, $16
	JLT  sctail
scloop:
	VMULPS (SI), Z19, Z0
	VMOVUPS Z0, (SI)
	ADDQ $64, SI
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  scloop
sctail:
	TESTQ CX, CX
	JZ    scdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMULPS Z19, Z0, Z0
	VMOVUPS Z0, K1, (SI)
scdone:
	VZEROUPPER
	RET

// func maskRowAVX512(row []float32, kPos, kCode []int32, qp int32, allow uint32)
TEXT ·maskRowAVX512(SB), NOSPLIT, $0-80
	MOVQ row_base+0(FP), SI
	MOVQ row_len+8(FP), CX
	MOVQ kPos_base+24(FP), BX
	MOVQ kCode_base+48(FP), DX
	MOVL qp+72(FP), AX
	VPBROADCASTD AX, Z16
	MOVL allow+76(FP), AX
	VPBROADCASTD AX, Z17
	MOVL $1, AX
	VPBROADCASTD AX, Z18
	MOVL $0xff800000, AX
	VPBROADCASTD AX, Z19
	MOVQ $0xffff, AX
	KMOVW AX, K1
mrloop:
	CMPQ CX, $16
	JGE  mrfull
	TESTQ CX, CX
	JZ    mrdone
	TAILMASK
mrfull:
	VMOVDQU32.Z (BX), K1, Z0
	VMOVDQU32.Z (DX), K1, Z1
	VPCMPD $2, Z16, Z0, K1, K2
	VPSRLVD Z1, Z17, Z2
	VPTESTMD Z18, Z2, K2, K2
	KANDNW K1, K2, K3
	VMOVUPS Z19, K3, (SI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DX
	SUBQ $16, CX
	JG   mrloop
mrdone:
	VZEROUPPER
	RET
