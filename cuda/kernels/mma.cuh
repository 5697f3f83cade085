// mma.cuh: warp-level tensor-core instructions, as device functions.
//
//   mma_bf16_16816(d, a, b, c)   D = A·B + C, A 16×16 bf16 (row), B 16×8 bf16
//                                (col), C and D 16×8 float32: one
//                                mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
//   ldmatrix_x4(r, row)          four 8×8 b16 matrices from shared memory:
//                                ldmatrix.sync.aligned.m8n8.x4.shared.b16
//
// Both are executed by all 32 lanes of a warp together; each lane holds a
// fragment. With g = lane/4 (group) and t = lane%4 (thread in group), and a
// .b32 register holding two b16 elements, the lower-index one in the low
// half (PTX ISA, "Matrix fragments for mma.m16n8k16 with floating point
// type" and "ldmatrix"):
//
//   A (a[0..3], 16×16): a[0] = A[g][2t..2t+1]     a[1] = A[g+8][2t..2t+1]
//                       a[2] = A[g][2t+8..2t+9]   a[3] = A[g+8][2t+8..2t+9]
//   B (b[0..1], 16×8):  b[0] = B[2t..2t+1][g]     b[1] = B[2t+8..2t+9][g]
//   C, D (4 floats):    c[0..1] = C[g][2t..2t+1]  c[2..3] = C[g+8][2t..2t+1]
//   ldmatrix x4:        lanes 8i..8i+7 give the addresses of rows 0..7 of
//                       matrix i (16 bytes each, 16-byte aligned); lane l
//                       receives r[i] = matrix i, row l/4, elements
//                       2(l%4)..2(l%4)+1.
//
// So ldmatrix of A's four 8×8 quadrants (top-left, bottom-left, top-right,
// bottom-right) gives a[0..3], and ldmatrix of Bᵀ stored row-major (n rows of
// k) gives b: row n, k 0..7 and k 8..15.
//
// On the GPU (NVRTC, and clang-19 for the PTX check) these are inline PTX;
// on the CPU emulator (XPROMPT_EMU) the warp's fragments are gathered at a
// warp barrier and the product is computed from the layouts above.
#pragma once
#include "common.cuh"

#if defined(XPROMPT_EMU)

// emu_bf16 returns the float value of the bf16 in the low 16 bits of h.
static inline float emu_bf16(uint32_t h) {
	uint32_t u = (h & 0xffffu) << 16;
	float f;
	memcpy(&f, &u, 4);
	return f;
}

static inline void mma_bf16_16816(float d[4], const unsigned a[4], const unsigned b[2], const float c[4]) {
	uint32_t mine[6] = {a[0], a[1], a[2], a[3], b[0], b[1]}, all[32 * 6];
	if (!emu::warp_gather(mine, 6, all)) return;
	float A[16][16], B[16][8];
	for (int s = 0; s < 32; s++) {
		int g = s / 4, t = s % 4;
		for (int h = 0; h < 2; h++) {
			uint32_t v;
			for (int r = 0; r < 4; r++) { // A: row g + 8(r&1), column 2t + h + 8(r>>1)
				v = all[s * 6 + r];
				A[g + 8 * (r & 1)][2 * t + h + 8 * (r >> 1)] = emu_bf16(v >> (16 * h));
			}
			for (int r = 0; r < 2; r++) { // B: row (k) 2t + h + 8r, column (n) g
				v = all[s * 6 + 4 + r];
				B[2 * t + h + 8 * r][g] = emu_bf16(v >> (16 * h));
			}
		}
	}
	// This lane's outputs: D[g + 8(i>>1)][2t + (i&1)]. Products of bf16 are
	// exact in double; the sum is rounded once to float32.
	int g = emu::cur->lane / 4, t = emu::cur->lane % 4;
	for (int i = 0; i < 4; i++) {
		int row = g + 8 * (i >> 1), col = 2 * t + (i & 1);
		double s = c[i];
		for (int k = 0; k < 16; k++) s += (double)A[row][k] * (double)B[k][col];
		d[i] = (float)s;
	}
}

static inline void ldmatrix_x4(unsigned r[4], const unsigned *row) {
	if (!row.r || row.r->space != emu::Shared || (uintptr_t)row.p % 16 != 0) {
		emu::report_error("ldmatrix: a row address is not 16-byte aligned shared memory");
		return;
	}
	uint32_t mine[4] = {row[0], row[1], row[2], row[3]}, all[32 * 4]; // checked shared reads
	if (!emu::warp_gather(mine, 4, all)) return;
	int l = emu::cur->lane;
	for (int i = 0; i < 4; i++) r[i] = all[(8 * i + l / 4) * 4 + l % 4];
}

#else

static __device__ __forceinline__ void mma_bf16_16816(float d[4], const unsigned a[4], const unsigned b[2], const float c[4]) {
	asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
	             "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%10, %11, %12, %13};"
	             : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
	             : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]),
	               "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
}

static __device__ __forceinline__ void ldmatrix_x4(unsigned r[4], const unsigned *row) {
	unsigned long long s;
	asm("cvta.to.shared.u64 %0, %1;" : "=l"(s) : "l"(row));
	asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
	             : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
	             : "l"(s));
}

#endif
