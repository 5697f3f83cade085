// nn.cu: the row-wise kernels of the network's layers: softmax and
// log-softmax, fused cross-entropy, RMSNorm, LayerNorm, SwiGLU, RoPE.
//
// Launch shape (row kernels): one block of 256 threads per row of D values;
// threads stride over the row, block_sum/block_max combine (5 shuffles per
// warp, then the warps' partials through 32 floats of shared memory).
// Column reductions (the gradients of norm weights) use one thread per
// column looping over rows, deterministic.
// Napkin math: all bandwidth bound. softmax reads the row twice (max, then
// exp-sum; L1/L2 hits for D ≤ a few thousand) and writes once: ~12 B per
// value. Cross-entropy reads logits twice and writes dlogits once in the
// same pass: 12 B per logit instead of 20 for separate softmax and gradient
// kernels (a 4096×32000 logits matrix: 1.6 GB, ~0.5 ms). RMSNorm: 8 B per
// value forward, 16 B backward.
#include "common.cuh"

// softmax_fwd sets y = softmax(x) (log: log-softmax) over rows of d.
extern "C" __global__ void softmax_fwd(const float *x, float *y, int d, int logMode) {
	__shared__ float scratch[32];
	const float *xr = x + (long long)blockIdx.x * d;
	float *yr = y + (long long)blockIdx.x * d;
	float m = -XP_INF;
	for (int i = threadIdx.x; i < d; i += blockDim.x) m = fmaxf(m, xr[i]);
	m = block_max(m, scratch);
	float s = 0.0f;
	for (int i = threadIdx.x; i < d; i += blockDim.x) s += expf(xr[i] - m);
	s = block_sum(s, scratch);
	if (logMode) {
		float ls = logf(s);
		for (int i = threadIdx.x; i < d; i += blockDim.x) yr[i] = xr[i] - m - ls;
	} else {
		float r = 1.0f / s;
		for (int i = threadIdx.x; i < d; i += blockDim.x) yr[i] = expf(xr[i] - m) * r;
	}
}

// softmax_bwd adds to gx the gradient through y = softmax(x):
// gx += y·(gy − Σ gy·y); for log-softmax gx += gy − eʸ·Σ gy.
extern "C" __global__ void softmax_bwd(const float *y, const float *gy, float *gx, int d, int logMode) {
	__shared__ float scratch[32];
	long long off = (long long)blockIdx.x * d;
	float s = 0.0f;
	for (int i = threadIdx.x; i < d; i += blockDim.x) s += logMode ? gy[off + i] : gy[off + i] * y[off + i];
	s = block_sum(s, scratch);
	for (int i = threadIdx.x; i < d; i += blockDim.x) {
		float yi = y[off + i], g = gy[off + i];
		gx[off + i] += logMode ? g - expf(yi) * s : yi * (g - s);
	}
}

// cross_entropy computes, per row r of logits (n, v), loss[r] = w·(lse − x[t])
// and counted[r] = w (0 for ignored rows), and, if dlogits is non-null,
// dlogits = w·(softmax(x) − onehot(t)) (zeros on ignored or zero-weight
// rows), in one pass over the row. The host sums loss and counted in float64.
extern "C" __global__ void cross_entropy(const float *logits, const int *targets, const float *weights, int hasWeights,
                                         int ignore, float *dlogits, int hasD, float *loss, float *counted, int v) {
	__shared__ float scratch[32];
	int r = blockIdx.x;
	long long off = (long long)r * v;
	int t = targets[r];
	float w = hasWeights ? weights[r] : 1.0f;
	if (t == ignore || w == 0.0f) {
		if (hasD)
			for (int i = threadIdx.x; i < v; i += blockDim.x) dlogits[off + i] = 0.0f;
		if (threadIdx.x == 0) {
			loss[r] = 0.0f;
			counted[r] = t == ignore ? 0.0f : w;
		}
		return;
	}
	float m = -XP_INF;
	for (int i = threadIdx.x; i < v; i += blockDim.x) m = fmaxf(m, logits[off + i]);
	m = block_max(m, scratch);
	float s = 0.0f;
	for (int i = threadIdx.x; i < v; i += blockDim.x) s += expf(logits[off + i] - m);
	s = block_sum(s, scratch);
	float lse = m + logf(s);
	if (hasD)
		for (int i = threadIdx.x; i < v; i += blockDim.x) {
			float p = expf(logits[off + i] - lse);
			dlogits[off + i] = w * p - (i == t ? w : 0.0f);
		}
	if (threadIdx.x == 0) {
		loss[r] = w * (lse - logits[off + t]);
		counted[r] = w;
	}
}

// rmsnorm_fwd sets y = x·rstd·w with rstd = 1/√(mean(x²) + eps) per row.
extern "C" __global__ void rmsnorm_fwd(const float *x, const float *w, float *y, float *rstd, int d, float eps) {
	__shared__ float scratch[32];
	long long off = (long long)blockIdx.x * d;
	float ss = 0.0f;
	for (int i = threadIdx.x; i < d; i += blockDim.x) {
		float v = x[off + i];
		ss += v * v;
	}
	ss = block_sum(ss, scratch);
	float rs = rsqrtf(ss / d + eps);
	for (int i = threadIdx.x; i < d; i += blockDim.x) y[off + i] = x[off + i] * rs * w[i];
	if (threadIdx.x == 0) rstd[blockIdx.x] = rs;
}

// rmsnorm_bwd adds gx = rs·(ĝ − x·rs²·mean(ĝ·x)), ĝ = gy·w, per row.
extern "C" __global__ void rmsnorm_bwd(const float *x, const float *w, const float *rstd, const float *gy, float *gx, int d) {
	__shared__ float scratch[32];
	long long off = (long long)blockIdx.x * d;
	float rs = rstd[blockIdx.x];
	float s = 0.0f;
	for (int i = threadIdx.x; i < d; i += blockDim.x) s += gy[off + i] * w[i] * x[off + i];
	s = block_sum(s, scratch);
	float c = s / d * rs * rs * rs;
	for (int i = threadIdx.x; i < d; i += blockDim.x) gx[off + i] += rs * gy[off + i] * w[i] - c * x[off + i];
}

// rmsnorm_bwd_w adds gw[j] = Σ_rows gy·x·rs: one thread per column.
extern "C" __global__ void rmsnorm_bwd_w(const float *x, const float *rstd, const float *gy, float *gw, int n, int d) {
	int j = blockIdx.x * blockDim.x + threadIdx.x;
	if (j >= d) return;
	float s = 0.0f;
	for (int r = 0; r < n; r++) s += gy[(long long)r * d + j] * x[(long long)r * d + j] * rstd[r];
	gw[j] += s;
}

// layernorm_fwd sets y = (x − μ)·rs·w + b (w, b optional), storing μ and rs.
extern "C" __global__ void layernorm_fwd(const float *x, const float *w, const float *b, float *y, float *mean,
                                         float *rstd, int d, float eps, int hasW, int hasB) {
	__shared__ float scratch[32];
	long long off = (long long)blockIdx.x * d;
	float s = 0.0f;
	for (int i = threadIdx.x; i < d; i += blockDim.x) s += x[off + i];
	float mu = block_sum(s, scratch) / d;
	float ss = 0.0f;
	for (int i = threadIdx.x; i < d; i += blockDim.x) {
		float t = x[off + i] - mu;
		ss += t * t;
	}
	float rs = rsqrtf(block_sum(ss, scratch) / d + eps);
	for (int i = threadIdx.x; i < d; i += blockDim.x) {
		float o = (x[off + i] - mu) * rs;
		if (hasW) o *= w[i];
		if (hasB) o += b[i];
		y[off + i] = o;
	}
	if (threadIdx.x == 0) {
		mean[blockIdx.x] = mu;
		rstd[blockIdx.x] = rs;
	}
}

// layernorm_bwd adds gx = rs·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), x̂ = (x−μ)·rs, ĝ = gy·w.
extern "C" __global__ void layernorm_bwd(const float *x, const float *w, const float *mean, const float *rstd,
                                         const float *gy, float *gx, int d, int hasW) {
	__shared__ float scratch[32];
	long long off = (long long)blockIdx.x * d;
	float mu = mean[blockIdx.x], rs = rstd[blockIdx.x];
	float sg = 0.0f, sgx = 0.0f;
	for (int i = threadIdx.x; i < d; i += blockDim.x) {
		float g = gy[off + i] * (hasW ? w[i] : 1.0f);
		sg += g;
		sgx += g * (x[off + i] - mu) * rs;
	}
	sg = block_sum(sg, scratch) / d;
	sgx = block_sum(sgx, scratch) / d;
	for (int i = threadIdx.x; i < d; i += blockDim.x) {
		float g = gy[off + i] * (hasW ? w[i] : 1.0f);
		float xh = (x[off + i] - mu) * rs;
		gx[off + i] += rs * (g - sg - xh * sgx);
	}
}

// layernorm_bwd_wb adds gw[j] = Σ gy·x̂ and gb[j] = Σ gy: one thread per column.
extern "C" __global__ void layernorm_bwd_wb(const float *x, const float *mean, const float *rstd, const float *gy,
                                            float *gw, float *gb, int n, int d, int hasGW, int hasGB) {
	int j = blockIdx.x * blockDim.x + threadIdx.x;
	if (j >= d) return;
	float sw = 0.0f, sb = 0.0f;
	for (int r = 0; r < n; r++) {
		float g = gy[(long long)r * d + j];
		sw += g * (x[(long long)r * d + j] - mean[r]) * rstd[r];
		sb += g;
	}
	if (hasGW) gw[j] += sw;
	if (hasGB) gb[j] += sb;
}

// swiglu_fwd sets y = silu(a)·b for rows x = [a | b] of 2h values.
extern "C" __global__ void swiglu_fwd(const float *x, float *y, long long rows, int h) {
	long long total = rows * h;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
		long long r = i / h, j = i % h;
		float a = x[r * 2 * h + j], b = x[r * 2 * h + h + j];
		y[i] = a / (1.0f + expf(-a)) * b;
	}
}

// swiglu_bwd adds ga = gy·b·σ(a)(1 + a(1−σ(a))) and gb = gy·silu(a).
extern "C" __global__ void swiglu_bwd(const float *x, const float *gy, float *gx, long long rows, int h) {
	long long total = rows * h;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
		long long r = i / h, j = i % h;
		float a = x[r * 2 * h + j], b = x[r * 2 * h + h + j], g = gy[i];
		float s = 1.0f / (1.0f + expf(-a));
		gx[r * 2 * h + j] += g * b * s * (1.0f + a * (1.0f - s));
		gx[r * 2 * h + h + j] += g * a * s;
	}
}

// rope rotates pairs (x[2i], x[2i+1]) of rows of x (B, H, T, hd) by pos·θᵢ
// (sign −1: the inverse), with cos/sin tables (npos, hd/2) computed on the
// host in float64; positions (B·T) may be null (pos = t).
extern "C" __global__ void rope(const float *x, float *out, const int *positions, const float *cosT, const float *sinT,
                                int bsz, int h, int t, int hd, float sign, int accumulate) {
	int half = hd / 2;
	long long total = (long long)bsz * h * t * half;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
		int k = i % half;
		long long row = i / half;
		int ti = row % t;
		long long bi = row / ((long long)h * t);
		int p = positions ? positions[bi * t + ti] : ti;
		float c = cosT[(long long)p * half + k], s = sign * sinT[(long long)p * half + k];
		float x0 = x[row * hd + 2 * k], x1 = x[row * hd + 2 * k + 1];
		float y0 = x0 * c - x1 * s, y1 = x0 * s + x1 * c;
		if (accumulate) {
			out[row * hd + 2 * k] += y0;
			out[row * hd + 2 * k + 1] += y1;
		} else {
			out[row * hd + 2 * k] = y0;
			out[row * hd + 2 * k + 1] = y1;
		}
	}
}
