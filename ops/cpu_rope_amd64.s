//go:build amd64 && !purego

#include "textflag.h"

// func ropeRowAVX512(x, y, ce, se *float32, n, mode int)
// Rotates the pairs of x (n floats, a multiple of 16) by the lane-expanded
// tables ce, se (see ropeTable) into y: mode 0 forward, y = x·ce + swap(x)·se;
// mode 1 back, y = x·ce − swap(x)·se; mode 2 back, added to y. swap exchanges
// the two lanes of each pair. Each lane is one product of x and cos, one of
// the other lane and sin, and their sum or difference, as in ropeRows, so
// results are identical.
TEXT ·ropeRowAVX512(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ce+16(FP), AX
	MOVQ se+24(FP), BX
	MOVQ n+32(FP), CX
	MOVQ mode+40(FP), DX
	TESTQ CX, CX
	JZ    rrdone
rrloop:
	VMOVUPS   (SI), Z0
	VMULPS    (AX), Z0, Z1
	VPERMILPS $0xB1, Z0, Z2
	VMULPS    (BX), Z2, Z2
	CMPQ      DX, $0
	JNE       rrback
	VADDPS    Z2, Z1, Z1
	JMP       rrstore
rrback:
	VSUBPS Z2, Z1, Z1
	CMPQ   DX, $2
	JNE    rrstore
	VADDPS (DI), Z1, Z1
rrstore:
	VMOVUPS Z1, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, AX
	ADDQ    $64, BX
	SUBQ    $16, CX
	JNZ     rrloop
rrdone:
	VZEROUPPER
	RET
