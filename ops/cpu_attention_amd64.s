//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 inner loops of the fused attention (see cpu_attention_kernels.go
// for the portable versions, which define the semantics).

// ---- attnMul4: C[m×n] = alpha·A[m×k]·B[k×n] + beta·C, m = 4i, n ≤ 64 ----
//
// A, B and C are row-major with leading dimensions lda, ldb, ldc (elements).
// The n columns are nv 16-wide vectors, the last one masked by mask. Each
// step p broadcasts A[r][p] for the 4 rows and multiplies it into the nv
// vectors of row p of B: 4·nv accumulators, row r in Z(4r)…Z(4r+nv−1).
// The rows are taken 4 at a time.

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

// func attnMul4(m, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, nv int, mask int, alpha, beta float32)
TEXT ·attnMul4(SB), NOSPLIT, $0-88
	MOVQ a+16(FP), R13
	MOVQ lda+24(FP), R8
	MOVQ ldb+40(FP), R10
	MOVQ c+48(FP), R14
	MOVQ ldc+56(FP), R11
	MOVQ nv+64(FP), DX
	MOVQ mask+72(FP), AX
	KMOVW AX, K1
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	SHLQ $2, R10
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12
	VBROADCASTSS alpha+80(FP), Z24
	VBROADCASTSS beta+84(FP), Z25
	MOVL beta+84(FP), AX
	MOVQ m+0(FP), R15

rowblock:
	MOVQ k+8(FP), CX
	MOVQ b+32(FP), BX
	MOVQ R13, SI
	MOVQ R14, DI
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
	LEAQ (R13)(R8*4), R13
	LEAQ (R14)(R11*4), R14
	SUBQ $4, R15
	JG   rowblock
	VZEROUPPER
	RET
