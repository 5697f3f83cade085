// attention.cu: fused segment-masked attention, forward and backward, never
// materialising the Tq×Tk score matrix.
//
// out_i = Σ_j p_ij v_j, p_ij = exp(s_ij − lse_i), s_ij = scale·q_i·k_j over the
// keys j that query i may see (mask_allowed: a function of segment ids and
// positions, as core.Mask.Allowed), lse_i = log Σ_j exp(s_ij) computed online
// (running max and sum, rescaled as the max grows). A query that sees no key
// gets out 0 and lse −∞. Backward, with D_i = gout_i·out_i:
//   ds_ij = p_ij (gout_i·v_j − D_i),  gq_i += scale Σ_j ds_ij k_j,
//   gk_j += scale Σ_i ds_ij q_i,  gv_j += Σ_i p_ij gout_i.
// Launch shape: one warp (a block of 32 threads) per query row, grid
// B·H·Tq. The row's q (and gout) sit in shared memory; keys go in tiles of
// 32, lane l scoring key j0+l with a full dot product; the tile's max and
// sum take one warp_max and one warp_sum, and the probabilities pass
// through shared memory to the output accumulation, where lane l owns
// elements l, l+32, … of the head dimension (hd ≤ 256). Backward
// accumulates gk and gv with float atomics (rows of different queries hit
// the same key).
// Napkin math: 4·B·H·Tq·Tk·hd flops forward; every query re-reads all its
// keys and values from L2: B·H·Tq·Tk·hd·8 B, so this is a correct L2-bound
// reference (~1 TFLOP/s class), not FlashAttention; part 2 tiles queries
// and keys through shared memory and tensor cores.
#include "common.cuh"

#define MASK_CAUSAL 0
#define MASK_XPROMPT 1
#define MASK_FULL 2
#define MASK_CUSTOM 3
#define SEG_PAD (-1)
#define SEG_IE 1
#define SEG_TD 3
#define ATTN_MAX_PER_LANE 8

// MaskArgs mirrors core.Mask: kind, which of the id arrays are present (the
// arrays are kernel parameters), and for MaskCustom the table of allowed
// segment pairs: bit ks of allow[qs].
struct MaskArgs {
	int kind, tq, tk;
	int hasQSeg, hasKSeg, hasQPos, hasKPos;
	unsigned allow[32];
};

static __device__ __forceinline__ bool mask_allowed(const MaskArgs &m, const int *qseg, const int *kseg, const int *qpos,
                                                    const int *kpos, int b, int i, int j) {
	int qs = m.hasQSeg ? qseg[b * m.tq + i] : SEG_TD;
	int ks = m.hasKSeg ? kseg[b * m.tk + j] : SEG_TD;
	if (qs == SEG_PAD || ks == SEG_PAD) return false;
	if (m.kind == MASK_FULL) return true;
	int qp = m.hasQPos ? qpos[b * m.tq + i] : m.tk - m.tq + i;
	int kp = m.hasKPos ? kpos[b * m.tk + j] : j;
	if (kp > qp) return false;
	if (m.kind == MASK_XPROMPT) return !(qs == SEG_TD && ks == SEG_IE);
	if (m.kind == MASK_CUSTOM) return (m.allow[qs & 31] >> (ks & 31)) & 1u;
	return true;
}

extern "C" __global__ void attention_fwd(const float *q, const float *k, const float *v, float *out, float *lse,
                                         float *weights, int hasWeights, int h, int hd, float scale, MaskArgs m,
                                         const int *qseg, const int *kseg, const int *qpos, const int *kpos) {
	__shared__ float qs[256];
	__shared__ float ps[32];
	int row = blockIdx.x, lane = threadIdx.x;
	int tq = m.tq, tk = m.tk;
	int i = row % tq;
	long long bh = row / tq;
	int b = bh / h;
	const float *kb = k + bh * tk * hd;
	const float *vb = v + bh * tk * hd;
	float acc[ATTN_MAX_PER_LANE];
	for (int r = 0; r < ATTN_MAX_PER_LANE; r++) {
		int d = lane + 32 * r;
		if (d < hd) qs[d] = q[(long long)row * hd + d];
		acc[r] = 0.0f;
	}
	__syncthreads();
	float mx = -XP_INF, l = 0.0f;
	for (int j0 = 0; j0 < tk; j0 += 32) {
		int j = j0 + lane;
		bool ok = j < tk && mask_allowed(m, qseg, kseg, qpos, kpos, b, i, j);
		float s = -XP_INF;
		if (ok) {
			s = 0.0f;
			for (int d = 0; d < hd; d++) s += qs[d] * kb[(long long)j * hd + d];
			s *= scale;
		}
		float tmax = warp_max(s);
		if (tmax == -XP_INF) continue; // no key of the tile is visible (uniform)
		float mn = fmaxf(mx, tmax);
		float alpha = expf(mx - mn);
		float p = ok ? expf(s - mn) : 0.0f;
		l = l * alpha + warp_sum(p);
		ps[lane] = p;
		__syncthreads();
		int nj = min(32, tk - j0);
		for (int r = 0; r < ATTN_MAX_PER_LANE; r++) {
			int d = lane + 32 * r;
			if (d >= hd) break;
			float a = acc[r] * alpha;
			for (int jj = 0; jj < nj; jj++) a += ps[jj] * vb[(long long)(j0 + jj) * hd + d];
			acc[r] = a;
		}
		__syncthreads();
		mx = mn;
	}
	float L = l > 0.0f ? mx + logf(l) : -XP_INF;
	float inv = l > 0.0f ? 1.0f / l : 0.0f;
	for (int r = 0; r < ATTN_MAX_PER_LANE; r++) {
		int d = lane + 32 * r;
		if (d < hd) out[(long long)row * hd + d] = acc[r] * inv;
	}
	if (lane == 0) lse[row] = L;
	if (!hasWeights) return;
	// The probabilities, for inspection: one more pass, lane l writing key j0+l.
	float *wr = weights + (long long)row * tk;
	for (int j0 = 0; j0 < tk; j0 += 32) {
		int j = j0 + lane;
		if (j >= tk) break;
		float p = 0.0f;
		if (l > 0.0f && mask_allowed(m, qseg, kseg, qpos, kpos, b, i, j)) {
			float s = 0.0f;
			for (int d = 0; d < hd; d++) s += qs[d] * kb[(long long)j * hd + d];
			p = expf(s * scale - L);
		}
		wr[j] = p;
	}
}

extern "C" __global__ void attention_bwd(const float *q, const float *k, const float *v, const float *out,
                                         const float *lse, const float *gout, float *gq, float *gk, float *gv, int hasGQ,
                                         int hasGK, int hasGV, int h, int hd, float scale, MaskArgs m, const int *qseg,
                                         const int *kseg, const int *qpos, const int *kpos) {
	__shared__ float qs[256];
	__shared__ float gs[256];
	__shared__ float dss[32];
	int row = blockIdx.x, lane = threadIdx.x;
	int tq = m.tq, tk = m.tk;
	int i = row % tq;
	long long bh = row / tq;
	int b = bh / h;
	float L = lse[row];
	if (L == -XP_INF) return; // the query saw no key: no gradient (uniform over the block)
	long long qo = (long long)row * hd;
	const float *kb = k + bh * tk * hd;
	const float *vb = v + bh * tk * hd;
	float gacc[ATTN_MAX_PER_LANE];
	float dsum = 0.0f;
	for (int r = 0; r < ATTN_MAX_PER_LANE; r++) {
		int d = lane + 32 * r;
		gacc[r] = 0.0f;
		if (d < hd) {
			qs[d] = q[qo + d];
			gs[d] = gout[qo + d];
			dsum += gout[qo + d] * out[qo + d];
		}
	}
	dsum = warp_sum(dsum);
	__syncthreads();
	for (int j0 = 0; j0 < tk; j0 += 32) {
		int j = j0 + lane;
		float p = 0.0f, ds = 0.0f;
		if (j < tk && mask_allowed(m, qseg, kseg, qpos, kpos, b, i, j)) {
			float s = 0.0f, dp = 0.0f;
			for (int d = 0; d < hd; d++) {
				s += qs[d] * kb[(long long)j * hd + d];
				dp += gs[d] * vb[(long long)j * hd + d];
			}
			p = expf(s * scale - L);
			ds = p * (dp - dsum);
			for (int d = 0; d < hd; d++) {
				long long o = bh * tk * hd + (long long)j * hd + d;
				if (hasGK) atomicAdd(&gk[o], scale * ds * qs[d]);
				if (hasGV) atomicAdd(&gv[o], p * gs[d]);
			}
		}
		dss[lane] = ds;
		__syncthreads();
		int nj = min(32, tk - j0);
		for (int r = 0; r < ATTN_MAX_PER_LANE; r++) {
			int d = lane + 32 * r;
			if (d >= hd) break;
			float a = gacc[r];
			for (int jj = 0; jj < nj; jj++) a += scale * dss[jj] * kb[(long long)(j0 + jj) * hd + d];
			gacc[r] = a;
		}
		__syncthreads();
	}
	if (hasGQ)
		for (int r = 0; r < ATTN_MAX_PER_LANE; r++) {
			int d = lane + 32 * r;
			if (d < hd) gq[qo + d] += gacc[r];
		}
}
