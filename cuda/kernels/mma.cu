// mma.cu: tensor-core GEMM tiles in bf16 (mma.cuh), the building block of
// part 2's GEMM and attention, and the test of the emulated instructions.
//
// mma_gemm_bf16: C = A·B, A m×k and B k×n in bf16 (inputs), C m×n float32
// (accumulated in float32 by the tensor cores). A is row-major and B is
// given as Bᵀ row-major (n×k), both packed two bf16 per 32-bit word (the
// lower-index element in the low half); m, n, k multiples of 16.
// Launch: grid (n/16, m/16), one warp (32 threads) per 16×16 tile of C.
// Per step of 16 along k, the warp copies A's 16×16 and Bᵀ's 16×16 tiles to
// shared memory (512 bytes each), loads the A fragment with one ldmatrix.x4
// and the two B fragments (columns 0..7 and 8..15) with another, and issues
// two mma.m16n8k16. Napkin math: 2·16·16·16 = 8192 flops per 1 KiB loaded
// from global: 8 flops per byte, no reuse across tiles; this kernel shows
// the fragments, part 2's tiled GEMM reuses them.
#include "mma.cuh"

extern "C" __global__ void mma_gemm_bf16(const unsigned *a, const unsigned *bt, float *c, int m, int n, int k) {
	__shared__ unsigned as[128]; // A tile: 16 rows of 16 bf16 (8 words)
	__shared__ unsigned bs[128]; // Bᵀ tile: 16 rows (n) of 16 bf16 (k)
	int lane = threadIdx.x, row0 = blockIdx.y * 16, col0 = blockIdx.x * 16, kw = k / 2;
	float acc0[4] = {0.0f, 0.0f, 0.0f, 0.0f}, acc1[4] = {0.0f, 0.0f, 0.0f, 0.0f};
	for (int k0 = 0; k0 < k; k0 += 16) {
		for (int i = lane; i < 128; i += 32) {
			as[i] = a[(long long)(row0 + i / 8) * kw + k0 / 2 + i % 8];
			bs[i] = bt[(long long)(col0 + i / 8) * kw + k0 / 2 + i % 8];
		}
		__syncthreads();
		unsigned af[4], bf[4];
		// A: matrices 0..3 are the quadrants (rows 0-7 | 8-15) × (cols 0-7 | 8-15),
		// column-block major: lane l gives row l%16, column 8(l/16).
		ldmatrix_x4(af, as + (lane % 16) * 8 + (lane / 16) * 4);
		// Bᵀ: matrices 0, 1 are n 0-7 with k 0-7, 8-15 (b of the first mma),
		// 2, 3 the same for n 8-15: lane l gives row l%8 + 8(l/16), k 8((l/8)%2).
		ldmatrix_x4(bf, bs + (lane % 8 + (lane / 16) * 8) * 8 + ((lane / 8) % 2) * 4);
		mma_bf16_16816(acc0, af, bf, acc0);
		mma_bf16_16816(acc1, af, bf + 2, acc1);
		__syncthreads();
	}
	int g = lane / 4, t = lane % 4;
	for (int i = 0; i < 4; i++) {
		long long r = row0 + g + 8 * (i / 2);
		int cc = col0 + 2 * t + i % 2;
		c[r * n + cc] = acc0[i];
		c[r * n + cc + 8] = acc1[i];
	}
}

// mma_fragments_bf16 runs one mma.m16n8k16 on fragments given per lane:
// lane l's registers are a[4l..4l+3], b[2l..2l+1], c[4l..4l+3], and it
// writes d[4l..4l+3]. One warp; the caller lays the fragments out.
extern "C" __global__ void mma_fragments_bf16(const unsigned *a, const unsigned *b, const float *c, float *d) {
	int l = threadIdx.x;
	unsigned af[4] = {a[4 * l], a[4 * l + 1], a[4 * l + 2], a[4 * l + 3]}, bf[2] = {b[2 * l], b[2 * l + 1]};
	float cf[4] = {c[4 * l], c[4 * l + 1], c[4 * l + 2], c[4 * l + 3]}, df[4];
	mma_bf16_16816(df, af, bf, cf);
	for (int i = 0; i < 4; i++) d[4 * l + i] = df[i];
}

// ldmatrix_rows runs one ldmatrix.x4 on 128 words (four 8×8 b16 matrices,
// matrix i at words 32i..32i+31, row r at 4r..4r+3 within it) copied to shared
// memory: lane l gives row l (matrix l/8, row l%8) and writes its four
// registers to out[4l..4l+3]. One warp.
extern "C" __global__ void ldmatrix_rows(const unsigned *x, unsigned *out) {
	__shared__ unsigned s[128];
	int l = threadIdx.x;
	for (int i = l; i < 128; i += 32) s[i] = x[i];
	__syncthreads();
	unsigned r[4];
	ldmatrix_x4(r, s + 4 * l);
	for (int i = 0; i < 4; i++) out[4 * l + i] = r[i];
}
