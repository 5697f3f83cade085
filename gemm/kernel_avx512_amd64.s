//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 micro-kernel: a 14×32 tile of C held in Z0..Z27 (row r in
// Z(2r), Z(2r+1)). Per k step: two 16-wide loads of packed B (Z28, Z29) and
// 14 FMAs pairs whose A operand is an embedded broadcast of one packed A value.
// Packed A advances 14 floats (56 bytes) per k, packed B 32 floats (128 bytes).

// ROW14 multiplies row r's broadcast A value into the row's two accumulators.
#define ROW14(aoff, acc0, acc1) \
	VFMADD231PS.BCST aoff(AX), Z28, acc0; \
	VFMADD231PS.BCST aoff(AX), Z29, acc1

// STEP14 is one k step reading A at byte offset ao and B at byte offset bo.
#define STEP14(ao, bo) \
	VMOVUPS bo(BX), Z28; \
	VMOVUPS bo+64(BX), Z29; \
	ROW14(ao+0, Z0, Z1); \
	ROW14(ao+4, Z2, Z3); \
	ROW14(ao+8, Z4, Z5); \
	ROW14(ao+12, Z6, Z7); \
	ROW14(ao+16, Z8, Z9); \
	ROW14(ao+20, Z10, Z11); \
	ROW14(ao+24, Z12, Z13); \
	ROW14(ao+28, Z14, Z15); \
	ROW14(ao+32, Z16, Z17); \
	ROW14(ao+36, Z18, Z19); \
	ROW14(ao+40, Z20, Z21); \
	ROW14(ao+44, Z22, Z23); \
	ROW14(ao+48, Z24, Z25); \
	ROW14(ao+52, Z26, Z27)

// STORE0 writes alpha·acc to one row of C at DX, then moves DX to the next row.
#define STORE0(acc0, acc1) \
	VMULPS Z30, acc0, acc0; \
	VMULPS Z30, acc1, acc1; \
	VMOVUPS acc0, (DX); \
	VMOVUPS acc1, 64(DX); \
	ADDQ R8, DX

// STOREB writes alpha·acc + beta·C to one row of C at DX, then moves DX on.
#define STOREB(acc0, acc1) \
	VMULPS Z30, acc0, acc0; \
	VMULPS Z30, acc1, acc1; \
	VFMADD231PS (DX), Z31, acc0; \
	VFMADD231PS 64(DX), Z31, acc1; \
	VMOVUPS acc0, (DX); \
	VMOVUPS acc1, 64(DX); \
	ADDQ R8, DX

// func kernel14x32(kc int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·kernel14x32(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	// Touch the C tile early so its lines arrive while the loop runs.
	MOVQ DX, R9
	MOVQ $14, R10
prefetch:
	PREFETCHT0 (R9)
	PREFETCHT0 64(R9)
	ADDQ R8, R9
	DECQ R10
	JNZ  prefetch

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
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27

	MOVQ CX, R11
	SHRQ $2, R11
	JZ   tail

loop4:
	STEP14(0, 0)
	STEP14(56, 128)
	STEP14(112, 256)
	STEP14(168, 384)
	ADDQ $224, AX
	ADDQ $512, BX
	DECQ R11
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   done

loop1:
	STEP14(0, 0)
	ADDQ $56, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  loop1

done:
	VBROADCASTSS alpha+40(FP), Z30
	VBROADCASTSS beta+44(FP), Z31
	MOVL beta+44(FP), R9
	SHLL $1, R9 // drop the sign bit: -0 counts as zero
	JNZ  withbeta

	STORE0(Z0, Z1)
	STORE0(Z2, Z3)
	STORE0(Z4, Z5)
	STORE0(Z6, Z7)
	STORE0(Z8, Z9)
	STORE0(Z10, Z11)
	STORE0(Z12, Z13)
	STORE0(Z14, Z15)
	STORE0(Z16, Z17)
	STORE0(Z18, Z19)
	STORE0(Z20, Z21)
	STORE0(Z22, Z23)
	STORE0(Z24, Z25)
	STORE0(Z26, Z27)
	VZEROUPPER
	RET

withbeta:
	STOREB(Z0, Z1)
	STOREB(Z2, Z3)
	STOREB(Z4, Z5)
	STOREB(Z6, Z7)
	STOREB(Z8, Z9)
	STOREB(Z10, Z11)
	STOREB(Z12, Z13)
	STOREB(Z14, Z15)
	STOREB(Z16, Z17)
	STOREB(Z18, Z19)
	STOREB(Z20, Z21)
	STOREB(Z22, Z23)
	STOREB(Z24, Z25)
	STOREB(Z26, Z27)
	VZEROUPPER
	RET
