// Macros shared by the AVX-512 kernels of package ops.

// TAILMASK sets K1 to the low CX bits (CX < 16).
#define TAILMASK MOVQ $1, AX; SHLQ CX, AX; DECQ AX; KMOVW AX, K1

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


// ADAMW updates one vector of AdamW from g in Z0, m in Z1, v in Z2 and p in
// Z3 with the constants in Z20…Z27 (see adamwAVX512):
// m = β1·m + (1−β1)·g; v = β2·v + ((1−β2)·g)·g;
// p = p·(1−lr·λ) − (lr/(1−β1ᵗ))·m / (√v/√(1−β2ᵗ) + ε).
#define ADAMW \
	VMULPS Z20, Z1, Z1; VMULPS Z21, Z0, Z4; VADDPS Z4, Z1, Z1; \
	VMULPS Z22, Z2, Z2; VMULPS Z23, Z0, Z4; VMULPS Z0, Z4, Z4; VADDPS Z4, Z2, Z2; \
	VSQRTPS Z2, Z5; VMULPS Z24, Z5, Z5; VADDPS Z25, Z5, Z5; \
	VMULPS Z27, Z1, Z6; VDIVPS Z5, Z6, Z6; \
	VMULPS Z26, Z3, Z3; VSUBPS Z6, Z3, Z3
