// quantize.cu: the nearest codebook row of each input row (VQ encoding).
//
// ids[i] = argmin_k Σ_d (x[i,d] − book[k,d])², dist[i] = that minimum; ties go
// to the lower index.
// Launch shape: one warp (32 threads) per row of x; lane l scans codes l,
// l+32, …, then the warp reduces (distance, index) pairs with shuffles.
// Napkin math: N·K·D·3 flops; the codebook (K·D·4 B, 512×64 = 128 KB) stays
// in L2, so it is compute bound: 16k rows × 512 codes × 64 = 1.6 GFLOP. A
// GEMM form (‖x‖² − 2x·c + ‖c‖²) is for part 2.
#include "common.cuh"

extern "C" __global__ void nearest_codes(const float *x, const float *book, int *ids, float *dist, int n, int k, int d) {
	int row = blockIdx.x;
	int lane = threadIdx.x;
	if (row >= n) return;
	const float *xr = x + (long long)row * d;
	float best = XP_INF;
	int bestK = 0x7fffffff;
	for (int c = lane; c < k; c += 32) {
		const float *cr = book + (long long)c * d;
		float s = 0.0f;
		for (int j = 0; j < d; j++) {
			float t = xr[j] - cr[j];
			s += t * t;
		}
		if (s < best) {
			best = s;
			bestK = c;
		}
	}
	for (int o = 16; o > 0; o >>= 1) {
		float ob = __shfl_xor_sync(XP_FULL_MASK, best, o);
		int ok = __shfl_xor_sync(XP_FULL_MASK, bestK, o);
		if (ob < best || (ob == best && ok < bestK)) {
			best = ob;
			bestK = ok;
		}
	}
	if (lane == 0) {
		ids[row] = bestK;
		dist[row] = best;
	}
}
