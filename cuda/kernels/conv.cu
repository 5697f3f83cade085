// conv.cu: the image-to-column transform behind conv2d and its adjoint.
//
// cols[b, (c·KH + i)·KW + j, oh·OW + ow] = x[b, c, oh·s − pad + i, ow·s − pad + j]
// (0 outside the image). conv2d is then a GEMM of the weights (O, C·KH·KW)
// by cols (C·KH·KW, OH·OW) per image.
// Launch shape: grid-stride, 256 threads, one thread per cols element.
// Napkin math: writes KH·KW copies of the input: 4·B·C·KH·KW·OH·OW bytes
// (a 3×3 conv reads each input ~9 times, from L2/L1); col2im does one float
// atomicAdd per cols element into gx.
#include "common.cuh"

struct ConvGeom {
	int b, c, h, w, kh, kw, stride, pad, oh, ow;
};

extern "C" __global__ void im2col(const float *x, float *cols, ConvGeom g) {
	long long total = (long long)g.b * g.c * g.kh * g.kw * g.oh * g.ow;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
		int ow = i % g.ow;
		long long r = i / g.ow;
		int oh = r % g.oh;
		r /= g.oh;
		int j = r % g.kw;
		r /= g.kw;
		int ki = r % g.kh;
		r /= g.kh;
		int c = r % g.c;
		long long b = r / g.c;
		int y = oh * g.stride - g.pad + ki, xx = ow * g.stride - g.pad + j;
		float v = 0.0f;
		if (y >= 0 && y < g.h && xx >= 0 && xx < g.w) v = x[((b * g.c + c) * g.h + y) * g.w + xx];
		cols[i] = v;
	}
}

extern "C" __global__ void col2im(const float *cols, float *gx, ConvGeom g) {
	long long total = (long long)g.b * g.c * g.kh * g.kw * g.oh * g.ow;
	for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
		int ow = i % g.ow;
		long long r = i / g.ow;
		int oh = r % g.oh;
		r /= g.oh;
		int j = r % g.kw;
		r /= g.kw;
		int ki = r % g.kh;
		r /= g.kh;
		int c = r % g.c;
		long long b = r / g.c;
		int y = oh * g.stride - g.pad + ki, xx = ow * g.stride - g.pad + j;
		if (y >= 0 && y < g.h && xx >= 0 && xx < g.w) atomicAdd(&gx[((b * g.c + c) * g.h + y) * g.w + xx], cols[i]);
	}
}
