// elementwise.cu: pointwise kernels, NumPy broadcasting, and the reductions
// behind SumTo and SumSquares.
//
// Launch shape (all pointwise kernels): a grid-stride loop, 256 threads per
// block, min(ceil(n/256), 4096) blocks.
// Napkin math: these are bandwidth bound. unary_fwd reads and writes 4 B per
// element (8 B/elem; 2^24 elements = 134 MB, ~45 µs at 3 TB/s on an H100);
// unary_bwd reads x, y, gy, gx and writes gx (20 B/elem); binary reads 8 B and
// writes 4 B per output element (broadcast operands hit in L2).
#include "common.cuh"

// The unary op codes: core.UnaryOp in the same order.
#define OP_NEG 0
#define OP_EXP 1
#define OP_LOG 2
#define OP_TANH 3
#define OP_SIGMOID 4
#define OP_SILU 5
#define OP_GELU 6
#define OP_RELU 7
#define OP_SQRT 8
#define OP_SQUARE 9
#define OP_ABS 10
#define OP_SCALE 11
#define OP_ADDSCALAR 12
#define OP_POW 13

#define GELU_C 0.7978845608028654f // √(2/π)

static __device__ __forceinline__ float sigmoidf(float v) { return 1.0f / (1.0f + expf(-v)); }

// unary_f returns f(x; p):
//   neg −x, exp eˣ, log ln x, tanh, sigmoid 1/(1+e⁻ˣ), silu x·σ(x),
//   gelu ½x(1+tanh(√(2/π)(x+0.044715x³))), relu max(x,0), sqrt, square x²,
//   abs |x|, scale p·x, addscalar x+p, pow xᵖ.
static __device__ __forceinline__ float unary_f(int op, float p, float x) {
	switch (op) {
	case OP_NEG: return -x;
	case OP_EXP: return expf(x);
	case OP_LOG: return logf(x);
	case OP_TANH: return tanhf(x);
	case OP_SIGMOID: return sigmoidf(x);
	case OP_SILU: return x * sigmoidf(x);
	case OP_GELU: return 0.5f * x * (1.0f + tanhf(GELU_C * (x + 0.044715f * x * x * x)));
	case OP_RELU: return x > 0.0f ? x : 0.0f;
	case OP_SQRT: return sqrtf(x);
	case OP_SQUARE: return x * x;
	case OP_ABS: return fabsf(x);
	case OP_SCALE: return p * x;
	case OP_ADDSCALAR: return x + p;
	case OP_POW: return powf(x, p);
	}
	return 0.0f;
}

// unary_d returns f'(x), using y = f(x) where that is cheapest (exp, tanh,
// sigmoid, sqrt); y is read only for those ops.
static __device__ __forceinline__ float unary_d(int op, float p, float x, const float *y, long long i) {
	switch (op) {
	case OP_NEG: return -1.0f;
	case OP_EXP: return y[i];
	case OP_LOG: return 1.0f / x;
	case OP_TANH: { float t = y[i]; return 1.0f - t * t; }
	case OP_SIGMOID: { float s = y[i]; return s * (1.0f - s); }
	case OP_SILU: { float s = sigmoidf(x); return s * (1.0f + x * (1.0f - s)); }
	case OP_GELU: {
		float t = tanhf(GELU_C * (x + 0.044715f * x * x * x));
		return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * GELU_C * (1.0f + 3.0f * 0.044715f * x * x);
	}
	case OP_RELU: return x > 0.0f ? 1.0f : 0.0f;
	case OP_SQRT: return 0.5f / y[i];
	case OP_SQUARE: return 2.0f * x;
	case OP_ABS: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
	case OP_SCALE: return p;
	case OP_ADDSCALAR: return 1.0f;
	case OP_POW: return p * powf(x, p - 1.0f);
	}
	return 0.0f;
}

// unary_fwd sets out[i] = f(x[i]; p).
extern "C" __global__ void unary_fwd(int op, float p, const float *x, float *out, long long n) {
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
		out[i] = unary_f(op, p, x[i]);
}

// unary_bwd adds f'(x[i])·gy[i] to gx[i].
extern "C" __global__ void unary_bwd(int op, float p, const float *x, const float *y, const float *gy, float *gx, long long n) {
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
		float g = gy[i];
		gx[i] += g * unary_d(op, p, x[i], y, i);
	}
}

// Strides of the broadcast operands: out has rank dims, sa and sb are a's and
// b's strides inside out's shape (0 along broadcast axes).
struct Broadcast {
	int rank;
	int shape[8];
	int sa[8];
	int sb[8];
};

// binary_fwd sets out = a ∘ b (add, sub, mul, div) with broadcasting.
extern "C" __global__ void binary_fwd(int op, const float *a, const float *b, float *out, long long n, Broadcast g) {
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
		long long rem = i, oa = 0, ob = 0;
		for (int ax = g.rank - 1; ax >= 0; ax--) {
			long long k = rem % g.shape[ax];
			rem /= g.shape[ax];
			oa += k * g.sa[ax];
			ob += k * g.sb[ax];
		}
		float u = a[oa], v = b[ob], r = 0.0f;
		switch (op) {
		case 0: r = u + v; break;
		case 1: r = u - v; break;
		case 2: r = u * v; break;
		case 3: r = u / v; break;
		}
		out[i] = r;
	}
}

// Geometry of SumTo: x's axes split into kept axes (present in out, in out's
// order) and reduced axes, each with its extent and its stride in x.
struct SumGeom {
	int nk, nr;
	int kdim[8], kstr[8];
	int rdim[8], rstr[8];
	long long nred; // product of rdim
};

// sum_to sets (or adds to) out[o] the sum over the reduced axes of x: one
// thread per output element, summing in float32 in x's order.
// Reads every x element once: 4 B/elem, bandwidth bound when out is large;
// when out is tiny, few threads each read many values (fine for gradients of
// biases and norms' weights, the only such use).
extern "C" __global__ void sum_to(const float *x, float *out, long long nout, SumGeom g, int accumulate) {
	for (long long o = blockIdx.x * (long long)blockDim.x + threadIdx.x; o < nout; o += (long long)gridDim.x * blockDim.x) {
		long long rem = o, base = 0;
		for (int ax = g.nk - 1; ax >= 0; ax--) {
			base += (rem % g.kdim[ax]) * g.kstr[ax];
			rem /= g.kdim[ax];
		}
		float s = 0.0f;
		for (long long r = 0; r < g.nred; r++) {
			long long rr = r, off = base;
			for (int ax = g.nr - 1; ax >= 0; ax--) {
				off += (rr % g.rdim[ax]) * g.rstr[ax];
				rr /= g.rdim[ax];
			}
			s += x[off];
		}
		if (accumulate) out[o] += s;
		else out[o] = s;
	}
}

// sum_squares_partial writes, per block, the float sum of x² over a
// grid-stride slice into partial[blockIdx.x]; the host adds the partials in
// float64. 256 threads; reads 4 B/elem.
extern "C" __global__ void sum_squares_partial(const float *x, long long n, float *partial) {
	__shared__ float scratch[32];
	float s = 0.0f;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
		float v = x[i];
		s += v * v;
	}
	s = block_sum(s, scratch);
	if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// fill sets x[i] = v.
extern "C" __global__ void fill(float *x, float v, long long n) {
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
		x[i] = v;
}
