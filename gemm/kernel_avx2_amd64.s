//go:build amd64 && !purego

#include "textflag.h"

// AVX2 micro-kernel: a 6×16 tile of C held in Y0..Y11 (row r in Y(2r),
// Y(2r+1)). Per k step: two 8-wide loads of packed B (Y12, Y13), six
// broadcasts of packed A into Y14, twelve FMAs. Packed A advances 6 floats
// (24 bytes) per k, packed B 16 floats (64 bytes).

#define ROW6(aoff, acc0, acc1) \
	VBROADCASTSS aoff(AX), Y14; \
	VFMADD231PS Y12, Y14, acc0; \
	VFMADD231PS Y13, Y14, acc1

#define STEP6(ao, bo) \
	VMOVUPS bo(BX), Y12; \
	VMOVUPS bo+32(BX), Y13; \
	ROW6(ao+0, Y0, Y1); \
	ROW6(ao+4, Y2, Y3); \
	ROW6(ao+8, Y4, Y5); \
	ROW6(ao+12, Y6, Y7); \
	ROW6(ao+16, Y8, Y9); \
	ROW6(ao+20, Y10, Y11)

#define STORE0(acc0, acc1) \
	VMULPS Y14, acc0, acc0; \
	VMULPS Y14, acc1, acc1; \
	VMOVUPS acc0, (DX); \
	VMOVUPS acc1, 32(DX); \
	ADDQ R8, DX

#define STOREB(acc0, acc1) \
	VMULPS Y14, acc0, acc0; \
	VMULPS Y14, acc1, acc1; \
	VFMADD231PS (DX), Y15, acc0; \
	VFMADD231PS 32(DX), Y15, acc1; \
	VMOVUPS acc0, (DX); \
	VMOVUPS acc1, 32(DX); \
	ADDQ R8, DX

// func kernel6x16(kc int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·kernel6x16(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, R11
	SHRQ $2, R11
	JZ   tail

loop4:
	STEP6(0, 0)
	STEP6(24, 64)
	STEP6(48, 128)
	STEP6(72, 192)
	ADDQ $96, AX
	ADDQ $256, BX
	DECQ R11
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   done

loop1:
	STEP6(0, 0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  loop1

done:
	VBROADCASTSS alpha+40(FP), Y14
	VBROADCASTSS beta+44(FP), Y15
	MOVL beta+44(FP), R9
	SHLL $1, R9 // drop the sign bit: -0 counts as zero
	JNZ  withbeta

	STORE0(Y0, Y1)
	STORE0(Y2, Y3)
	STORE0(Y4, Y5)
	STORE0(Y6, Y7)
	STORE0(Y8, Y9)
	STORE0(Y10, Y11)
	VZEROUPPER
	RET

withbeta:
	STOREB(Y0, Y1)
	STOREB(Y2, Y3)
	STOREB(Y4, Y5)
	STOREB(Y6, Y7)
	STOREB(Y8, Y9)
	STOREB(Y10, Y11)
	VZEROUPPER
	RET
