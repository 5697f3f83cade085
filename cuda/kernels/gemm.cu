// gemm.cu: a simple tiled batched GEMM, C = α·op(A)·op(B) + β·C.
//
// op(A) is M×K (A stored K×M when transA), op(B) is K×N (N×K when transB),
// all row-major; batch element z uses A + z·strideA, B + z·strideB,
// C + z·strideC (stride 0 shares a matrix). β = 0 never reads C.
// Launch shape: 16×16 threads per block, one C element per thread; grid
// (ceil(N/16), ceil(M/16), batch). Each block stages 16×16 tiles of op(A)
// and op(B) in shared memory per K step.
// Napkin math: 2·M·N·K flops; each tile element is read from global memory
// once per block: (M·N·K/16)·2·4 B. At 1024³ that is 2.1 GFLOP and 537 MB
// of L2 traffic: a few TFLOP/s on an H100, far from the 50+ of a register-
// tiled kernel or the ~500 of bf16 tensor cores (part 2). It is the
// correct reference the fast kernels will be compared with.
#include "common.cuh"

#define GEMM_TILE 16

extern "C" __global__ void gemm_tiled(const float *A, const float *B, float *C, int M, int N, int K, int transA,
                                      int transB, long long strideA, long long strideB, long long strideC, float alpha,
                                      float beta) {
	__shared__ float As[GEMM_TILE * GEMM_TILE];
	__shared__ float Bs[GEMM_TILE * GEMM_TILE];
	int tx = threadIdx.x, ty = threadIdx.y;
	int row = blockIdx.y * GEMM_TILE + ty, col = blockIdx.x * GEMM_TILE + tx;
	const float *a = A + blockIdx.z * strideA;
	const float *b = B + blockIdx.z * strideB;
	float *c = C + blockIdx.z * strideC;
	float acc = 0.0f;
	for (int k0 = 0; k0 < K; k0 += GEMM_TILE) {
		// As[ty][tx] = op(A)[row, k0+tx]; Bs[ty][tx] = op(B)[k0+ty, col].
		int ka = k0 + tx, kb = k0 + ty;
		float av = 0.0f, bv = 0.0f;
		if (row < M && ka < K) av = transA ? a[(long long)ka * M + row] : a[(long long)row * K + ka];
		if (col < N && kb < K) bv = transB ? b[(long long)col * K + kb] : b[(long long)kb * N + col];
		As[ty * GEMM_TILE + tx] = av;
		Bs[ty * GEMM_TILE + tx] = bv;
		__syncthreads();
		for (int kk = 0; kk < GEMM_TILE; kk++) acc += As[ty * GEMM_TILE + kk] * Bs[kk * GEMM_TILE + tx];
		__syncthreads();
	}
	if (row < M && col < N) {
		long long o = (long long)row * N + col;
		c[o] = beta == 0.0f ? alpha * acc : alpha * acc + beta * c[o];
	}
}
