// common.cuh: what every kernel file includes. It makes one source compile
// three ways: by NVRTC at run time (__CUDACC_RTC__: everything is built in),
// by clang-19 for the PTX compile check (no CUDA headers: the builtins are
// spelled out here), and by g++ for the CPU emulator (XPROMPT_EMU: emu.h
// implements the thread model). It also holds the shared device helpers:
// warp and block reductions, and the segment mask rule of attention.
#pragma once

#if defined(XPROMPT_EMU)
#include "emu.h"
#elif !defined(__CUDACC_RTC__)
// clang-19 -x cuda -nocudainc: define what NVRTC provides built in.
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __forceinline__ __attribute__((always_inline)) inline
#include <__clang_cuda_builtin_vars.h>
extern "C" __device__ float __nv_expf(float);
extern "C" __device__ float __nv_logf(float);
extern "C" __device__ float __nv_tanhf(float);
extern "C" __device__ float __nv_sqrtf(float);
extern "C" __device__ float __nv_rsqrtf(float);
extern "C" __device__ float __nv_fabsf(float);
extern "C" __device__ float __nv_fmaxf(float, float);
extern "C" __device__ float __nv_fminf(float, float);
extern "C" __device__ float __nv_powf(float, float);
extern "C" __device__ float __nv_sinf(float);
extern "C" __device__ float __nv_cosf(float);
extern "C" __device__ float __nv_log1pf(float);
#define expf __nv_expf
#define logf __nv_logf
#define tanhf __nv_tanhf
#define sqrtf __nv_sqrtf
#define rsqrtf __nv_rsqrtf
#define fabsf __nv_fabsf
#define fmaxf __nv_fmaxf
#define fminf __nv_fminf
#define powf __nv_powf
#define sinf __nv_sinf
#define cosf __nv_cosf
#define log1pf __nv_log1pf
static __device__ __forceinline__ float __int_as_float(int i) { return __builtin_bit_cast(float, i); }
static __device__ __forceinline__ float __shfl_xor_sync(unsigned m, float v, int l) { return __nvvm_shfl_sync_bfly_f32(m, v, l, 0x1f); }
static __device__ __forceinline__ int __shfl_xor_sync(unsigned m, int v, int l) { return __nvvm_shfl_sync_bfly_i32(m, v, l, 0x1f); }
static __device__ __forceinline__ float __shfl_sync(unsigned m, float v, int l) { return __nvvm_shfl_sync_idx_f32(m, v, l, 0x1f); }
static __device__ __forceinline__ int __shfl_sync(unsigned m, int v, int l) { return __nvvm_shfl_sync_idx_i32(m, v, l, 0x1f); }
static __device__ __forceinline__ float atomicAdd(float *p, float v) { return __nvvm_atom_add_gen_f(p, v); }
static __device__ __forceinline__ int atomicAdd(int *p, int v) { return __nvvm_atom_add_gen_i(p, v); }
static __device__ __forceinline__ int min(int a, int b) { return a < b ? a : b; }
static __device__ __forceinline__ int max(int a, int b) { return a > b ? a : b; }
#endif

#define XP_INF __int_as_float(0x7f800000)
#define XP_FULL_MASK 0xffffffffu

// warp_sum returns the sum of v over the 32 lanes of the warp (every lane
// gets it): five butterfly exchanges.
static __device__ __forceinline__ float warp_sum(float v) {
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(XP_FULL_MASK, v, o);
	return v;
}

// warp_max returns the maximum of v over the warp.
static __device__ __forceinline__ float warp_max(float v) {
	for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(XP_FULL_MASK, v, o));
	return v;
}

// block_sum returns the sum of v over the block (blockDim.x a multiple of 32,
// at most 1024) to every thread; scratch holds 32 floats of shared memory.
// It starts and ends with a barrier, so scratch may be reused right away.
static __device__ __forceinline__ float block_sum(float v, float *scratch) {
	int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
	v = warp_sum(v);
	__syncthreads();
	if (lane == 0) scratch[warp] = v;
	__syncthreads();
	float r = 0.0f;
	for (int w = 0; w < nwarps; w++) r += scratch[w];
	__syncthreads();
	return r;
}

// block_max is block_sum with max.
static __device__ __forceinline__ float block_max(float v, float *scratch) {
	int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
	v = warp_max(v);
	__syncthreads();
	if (lane == 0) scratch[warp] = v;
	__syncthreads();
	float r = -XP_INF;
	for (int w = 0; w < nwarps; w++) r = fmaxf(r, scratch[w]);
	__syncthreads();
	return r;
}
