// optim.cu: the AdamW update.
//
// m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
// p ← p·(1 − lr·wd) − stepSize·m / (√v·rbc2 + ε),
// with stepSize = lr/(1−β₁ᵗ) and rbc2 = 1/√(1−β₂ᵗ) computed on the host in
// float64 (as the CPU backend does).
// Launch shape: grid-stride, 256 threads per block.
// Napkin math: reads p, g, m, v and writes p, m, v: 28 B per parameter, ~10
// flops; 100 M parameters = 2.8 GB, ~1 ms at 3 TB/s. Global-norm clipping
// is SumSquares (elementwise.cu) and a scale of the gradients.
#include "common.cuh"

extern "C" __global__ void adamw(float *p, const float *g, float *m, float *v, long long n, float beta1, float beta2,
                                 float eps, float stepSize, float rbc2, float decay) {
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
		float gi = g[i];
		float mi = beta1 * m[i] + (1.0f - beta1) * gi;
		float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
		m[i] = mi;
		v[i] = vi;
		float denom = sqrtf(vi) * rbc2 + eps;
		p[i] = p[i] * decay - stepSize * mi / denom;
	}
}
