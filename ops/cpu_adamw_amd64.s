//go:build amd64 && !purego

#include "textflag.h"
#include "vecmath_amd64.h"

// func adamwAVX512(p, g, m, v []float32, k *adamwConsts)
// adamwRowGo in cpu_optim.go defines the semantics; the operations are the
// same, in the same order, so results are identical.
TEXT ·adamwAVX512(SB), NOSPLIT, $0-104
	MOVQ p_base+0(FP), SI
	MOVQ p_len+8(FP), CX
	MOVQ g_base+24(FP), BX
	MOVQ m_base+48(FP), DX
	MOVQ v_base+72(FP), DI
	MOVQ k+96(FP), AX
	VBROADCASTSS 0(AX), Z20  // β1
	VBROADCASTSS 4(AX), Z21  // 1 − β1
	VBROADCASTSS 8(AX), Z22  // β2
	VBROADCASTSS 12(AX), Z23 // 1 − β2
	VBROADCASTSS 16(AX), Z24 // 1/√(1 − β2ᵗ)
	VBROADCASTSS 20(AX), Z25 // ε
	VBROADCASTSS 24(AX), Z26 // 1 − lr·λ
	VBROADCASTSS 28(AX), Z27 // lr/(1 − β1ᵗ)
	CMPQ CX, $16
	JLT  adtail
adloop:
	VMOVUPS (BX), Z0
	VMOVUPS (DX), Z1
	VMOVUPS (DI), Z2
	VMOVUPS (SI), Z3
	ADAMW
	VMOVUPS Z1, (DX)
	VMOVUPS Z2, (DI)
	VMOVUPS Z3, (SI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  adloop
adtail:
	TESTQ CX, CX
	JZ    addone
	TAILMASK
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VMOVUPS.Z (DI), K1, Z2
	VMOVUPS.Z (SI), K1, Z3
	ADAMW
	VMOVUPS Z1, K1, (DX)
	VMOVUPS Z2, K1, (DI)
	VMOVUPS Z3, K1, (SI)
addone:
	VZEROUPPER
	RET
