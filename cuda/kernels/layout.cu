// layout.cu: data movement: axis permutation, copies of slices along an
// axis, and row gather/scatter (embedding forward and backward).
//
// Launch shape: grid-stride loops, 256 threads per block, one thread per
// output element (scatter: per gradient element).
// Napkin math: pure bandwidth, 8 B per element moved (12 B when
// accumulating). permute reads x with a stride (uncoalesced for inner-axis
// swaps; a tiled transpose is for part 2). scatter_add_rows does one float
// atomicAdd per element: repeated ids serialise in L2.
#include "common.cuh"

// Permute geometry: out has rank dims oshape; xstr[i] is x's stride along
// x axis perm[i], i.e. how far a step on out axis i moves in x.
struct PermGeom {
	int rank;
	int oshape[8];
	long long xstr[8];
};

// permute sets (or adds to) out = x with axes reordered.
extern "C" __global__ void permute(const float *x, float *out, long long n, PermGeom g, int accumulate) {
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
		long long rem = i, off = 0;
		for (int ax = g.rank - 1; ax >= 0; ax--) {
			off += (rem % g.oshape[ax]) * g.xstr[ax];
			rem /= g.oshape[ax];
		}
		float v = x[off];
		if (accumulate) out[i] += v;
		else out[i] = v;
	}
}

// copy_axis copies n slices along an axis: tensors are viewed as (outer,
// axis, inner); dst[o, dstOff+j, k] (+)= src[o, srcOff+j, k] for j < n.
extern "C" __global__ void copy_axis(const float *src, float *dst, long long outer, int inner, int srcAxis, int dstAxis,
                                     int srcOff, int dstOff, int n, int accumulate) {
	long long total = outer * n * inner;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
		long long k = i % inner, j = (i / inner) % n, o = i / ((long long)inner * n);
		float v = src[(o * srcAxis + srcOff + j) * inner + k];
		long long d = (o * dstAxis + dstOff + j) * inner + k;
		if (accumulate) dst[d] += v;
		else dst[d] = v;
	}
}

// gather_rows sets out[i, :] = table[ids[i], :] for rows of width d.
extern "C" __global__ void gather_rows(const float *table, const int *ids, float *out, long long nids, int d) {
	long long total = nids * d;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
		long long r = i / d, c = i % d;
		out[i] = table[(long long)ids[r] * d + c];
	}
}

// scatter_add_rows adds g[i, :] into table[ids[i], :] with atomics (ids repeat).
extern "C" __global__ void scatter_add_rows(const float *g, const int *ids, float *table, long long nids, int d) {
	long long total = nids * d;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
		long long r = i / d, c = i % d;
		atomicAdd(&table[(long long)ids[r] * d + c], g[i]);
	}
}
