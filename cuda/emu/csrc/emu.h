// emu.h: the host prelude that runs CUDA kernel sources on the CPU.
//
// The kernel sources under cuda/kernels are compiled by g++ with this header
// (through common.cuh, with XPROMPT_EMU defined) after a textual rewrite done
// by package cuda/emu: every pointer type T* becomes emu::ptr<T> and every
// __shared__ array becomes a per-block emu::shared<T, N>. Accesses through
// them are checked: global accesses against the allocation the pointer came
// from (out of bounds is reported, and skipped), shared accesses against
// the block's other threads since the last __syncthreads (a write and another
// thread's read or write of the same word is a race). The execution model
// (runtime.cpp): each block runs its threads as fibers on one worker thread,
// switching at barriers; __syncthreads is a block barrier and warp
// intrinsics exchange values among the 32 lanes of a warp at a warp barrier.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <tuple>
#include <functional>
#include <algorithm>

struct dim3 {
	unsigned x, y, z;
	dim3(unsigned x = 1, unsigned y = 1, unsigned z = 1) : x(x), y(y), z(z) {}
};
typedef dim3 uint3;

namespace emu {

enum Space { Global = 0, Shared = 1 };

// Word is the race shadow of one 4-byte word of shared memory: the last
// writer and reader in the current barrier interval (epoch).
struct Word {
	uint64_t wepoch, repoch;
	uint32_t wthread, rthread;
};
const uint32_t manyReaders = 0xffffffffu;

// Region is an allocation accesses are checked against.
struct Region {
	char *base;
	size_t bytes;
	Space space;
	Word *shadow; // shared only: one per word
	const char *name;
};

// Thread is the state of one emulated CUDA thread.
struct Thread {
	dim3 tid;
	unsigned linear, lane, warp;
	int state;
	void *sp;     // saved stack pointer of the fiber
	void *uctx;   // ucontext_t on hosts without the assembly switch
};

struct Block;
// The running thread's state. Launches run one at a time on the calling
// thread (runtime.cpp), so these are plain globals.
extern Thread *cur;
extern Block *blk;
extern dim3 cur_block, cur_grid, cur_dim;
extern uint64_t epoch; // barrier interval of the running block

// Checks and barriers, in runtime.cpp.
void report_oob(bool write, const void *addr, size_t size, const Region *r);
void shared_access(const Region *r, const void *addr, bool write);
void syncthreads();
void warp_barrier();
float *warp_slots_f();
int *warp_slots_i();
unsigned warp_live_mask();
void report_error(const char *msg); // ends the launch with "<kernel, block, thread>: msg"
char *dynamic_shared_base(size_t *bytes, Word **shadow, Region **region);
const Region *region_of(uint64_t addr);

inline bool in_bounds(const void *a, size_t size, const Region *r) {
	return r && (const char *)a >= r->base && (const char *)a + size <= r->base + r->bytes;
}

template <class T> struct ptr;

// ref is an element reached through a checked pointer.
template <class T> struct ref {
	typedef typename std::remove_const<T>::type V;
	T *a;
	const Region *r;
	ref(T *a, const Region *r) : a(a), r(r) {}
	V load() const {
		if (!in_bounds(a, sizeof(T), r)) {
			report_oob(false, a, sizeof(T), r);
			return V();
		}
		if (r->space == Shared) shared_access(r, a, false);
		return *a;
	}
	void store(V v) const {
		if (!in_bounds(a, sizeof(T), r)) {
			report_oob(true, a, sizeof(T), r);
			return;
		}
		if (r->space == Shared) shared_access(r, a, true);
		*const_cast<V *>(a) = v;
	}
	operator V() const { return load(); }
	const ref &operator=(V v) const { store(v); return *this; }
	const ref &operator=(const ref &o) const { store(o.load()); return *this; }
	const ref &operator+=(V v) const { store(load() + v); return *this; }
	const ref &operator-=(V v) const { store(load() - v); return *this; }
	const ref &operator*=(V v) const { store(load() * v); return *this; }
	const ref &operator/=(V v) const { store(load() / v); return *this; }
	ptr<T> operator&() const { return ptr<T>(a, r); }
};

// ptr is a checked pointer: an address and the region it belongs to.
template <class T> struct ptr {
	T *p;
	const Region *r;
	ptr() : p(nullptr), r(nullptr) {}
	ptr(std::nullptr_t) : p(nullptr), r(nullptr) {}
	ptr(T *p, const Region *r) : p(p), r(r) {}
	template <class U, class = typename std::enable_if<std::is_convertible<U *, T *>::value>::type>
	ptr(const ptr<U> &o) : p(o.p), r(o.r) {}
	ref<T> operator[](long long i) const { return ref<T>(p + i, r); }
	ref<T> operator*() const { return ref<T>(p, r); }
	ptr operator+(long long i) const { return ptr(p + i, r); }
	ptr operator-(long long i) const { return ptr(p - i, r); }
	long long operator-(const ptr &o) const { return p - o.p; }
	ptr &operator+=(long long i) { p += i; return *this; }
	ptr &operator-=(long long i) { p -= i; return *this; }
	ptr &operator++() { ++p; return *this; }
	explicit operator bool() const { return p != nullptr; }
	bool operator==(const ptr &o) const { return p == o.p; }
	bool operator!=(const ptr &o) const { return p != o.p; }
	bool operator==(std::nullptr_t) const { return p == nullptr; }
	bool operator!=(std::nullptr_t) const { return p != nullptr; }
};

// shared is a __shared__ array of N elements: one per kernel (blocks run one
// at a time), reused by each block; its race shadow is keyed by epoch, so a
// new block needs no reset.
template <class T, long long N> struct shared {
	T data[N];
	Word shadow[(N * sizeof(T) + 3) / 4];
	Region region;
	shared() {
		memset(shadow, 0, sizeof shadow);
		region = Region{(char *)data, sizeof data, Shared, shadow, "__shared__ array"};
	}
	ref<T> operator[](long long i) { return ref<T>(data + i, &region); }
	operator ptr<T>() { return ptr<T>(data, &region); }
	operator ptr<const T>() { return ptr<const T>(data, &region); }
	ptr<T> operator+(long long i) { return ptr<T>(data + i, &region); }
};

template <class T> ptr<T> dynamic_shared() {
	size_t bytes;
	Word *shadow;
	Region *region;
	char *base = dynamic_shared_base(&bytes, &shadow, &region);
	return ptr<T>((T *)base, region);
}

// arg converts one kernel parameter from the launch's argument block.
template <class A> struct arg {
	static A get(void *p) { return *static_cast<A *>(p); }
};
template <class T> struct arg<ptr<T>> {
	static ptr<T> get(void *p) {
		uint64_t a = *static_cast<uint64_t *>(p);
		return ptr<T>((T *)(uintptr_t)a, region_of(a));
	}
};

typedef std::function<void()> Body;
typedef std::function<Body(void **)> Binder;
void register_kernel(const char *name, Binder b);

template <class... A, size_t... I>
Body bind_args(void (*f)(A...), void **params, std::index_sequence<I...>) {
	std::tuple<typename std::decay<A>::type...> args(arg<typename std::decay<A>::type>::get(params[I])...);
	return [f, args]() { std::apply(f, args); };
}

// Registrar registers a kernel under its name at load time.
struct Registrar {
	template <class... A> Registrar(const char *name, void (*f)(A...)) {
		register_kernel(name, [f](void **params) { return emu::bind_args(f, params, std::index_sequence_for<A...>{}); });
	}
};

// Atomics: exempt from the race check (atomics do not race); real atomic
// instructions, so that kernels stay correct if blocks ever run in parallel.
template <class V> V atomic_rmw(ptr<V> p, V v, int op) {
	if (!in_bounds(p.p, sizeof(V), p.r)) {
		report_oob(true, p.p, sizeof(V), p.r);
		return V();
	}
	V *a = p.p;
	if constexpr (std::is_same<V, float>::value) {
		uint32_t *u = (uint32_t *)a;
		uint32_t old = __atomic_load_n(u, __ATOMIC_RELAXED);
		for (;;) {
			float f, nf;
			memcpy(&f, &old, 4);
			nf = op == 0 ? f + v : v; // add or exchange
			uint32_t nw;
			memcpy(&nw, &nf, 4);
			if (__atomic_compare_exchange_n(u, &old, nw, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) return f;
		}
	} else {
		if (op == 0) return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST);
		if (op == 1) return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);
		V old = __atomic_load_n(a, __ATOMIC_RELAXED);
		while (old < v && !__atomic_compare_exchange_n(a, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
		}
		return old;
	}
}

} // namespace emu

using emu::ptr;

// The CUDA names kernels use.
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__
#define __launch_bounds__(...)
#define threadIdx (emu::cur->tid)
#define blockIdx (emu::cur_block)
#define blockDim (emu::cur_dim)
#define gridDim (emu::cur_grid)
#define warpSize 32

inline void __syncthreads() { emu::syncthreads(); }
inline void __syncwarp(unsigned = 0xffffffffu) { emu::warp_barrier(); }

// Warp exchanges: every live lane of the warp writes its value, waits at the
// warp barrier, reads its source lane, and waits again before the slots are
// reused (two barriers per exchange).
inline float emu_shfl_f(float v, int src) {
	float *s = emu::warp_slots_f();
	s[emu::cur->lane] = v;
	emu::warp_barrier();
	float r = (src >= 0 && src < 32) ? s[src] : v;
	emu::warp_barrier();
	return r;
}
inline int emu_shfl_i(int v, int src) {
	int *s = emu::warp_slots_i();
	s[emu::cur->lane] = v;
	emu::warp_barrier();
	int r = (src >= 0 && src < 32) ? s[src] : v;
	emu::warp_barrier();
	return r;
}
inline float __shfl_sync(unsigned, float v, int src, int w = 32) { return emu_shfl_f(v, (emu::cur->lane & ~(w - 1)) + (src & (w - 1))); }
inline int __shfl_sync(unsigned, int v, int src, int w = 32) { return emu_shfl_i(v, (emu::cur->lane & ~(w - 1)) + (src & (w - 1))); }
inline float __shfl_xor_sync(unsigned, float v, int m, int = 32) { return emu_shfl_f(v, emu::cur->lane ^ m); }
inline int __shfl_xor_sync(unsigned, int v, int m, int = 32) { return emu_shfl_i(v, emu::cur->lane ^ m); }
inline float __shfl_down_sync(unsigned, float v, unsigned d, int w = 32) {
	unsigned l = emu::cur->lane;
	return emu_shfl_f(v, (l % w) + d < (unsigned)w ? (int)(l + d) : (int)l);
}
inline int __shfl_down_sync(unsigned, int v, unsigned d, int w = 32) {
	unsigned l = emu::cur->lane;
	return emu_shfl_i(v, (l % w) + d < (unsigned)w ? (int)(l + d) : (int)l);
}
inline float __shfl_up_sync(unsigned, float v, unsigned d, int w = 32) {
	unsigned l = emu::cur->lane;
	return emu_shfl_f(v, (l % w) >= d ? (int)(l - d) : (int)l);
}
inline unsigned __ballot_sync(unsigned mask, int pred) {
	int *s = emu::warp_slots_i();
	s[emu::cur->lane] = pred != 0;
	emu::warp_barrier();
	unsigned live = emu::warp_live_mask(), r = 0;
	for (int l = 0; l < 32; l++)
		if ((live >> l & 1) && s[l]) r |= 1u << l;
	emu::warp_barrier();
	return r & mask;
}
// warp_gather exchanges n ≤ 16 words per lane among the warp's 32 lanes:
// all[l*n + j] is word j of lane l. Every lane must take part (the
// tensor-core instructions of mma.cuh need the whole warp); a warp with
// exited lanes is reported. Two warp barriers, like the shuffles.
namespace emu {
inline bool warp_gather(const uint32_t *mine, int n, uint32_t *all) {
	static uint32_t slots[32][32][16]; // [warp][lane][word]; blocks run one at a time
	if (emu::warp_live_mask() != 0xffffffffu) {
		emu::report_error("warp-wide tensor-core instruction with exited lanes (mma.sync and ldmatrix need all 32)");
		return false;
	}
	uint32_t(*w)[16] = slots[emu::cur->warp];
	memcpy(w[emu::cur->lane], mine, 4 * n);
	emu::warp_barrier();
	for (int l = 0; l < 32; l++) memcpy(all + l * n, w[l], 4 * n);
	emu::warp_barrier();
	return true;
}
} // namespace emu

inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) == (mask & emu::warp_live_mask()); }

inline float atomicAdd(ptr<float> p, float v) { return emu::atomic_rmw<float>(p, v, 0); }
inline int atomicAdd(ptr<int> p, int v) { return emu::atomic_rmw<int>(p, v, 0); }
inline unsigned atomicAdd(ptr<unsigned> p, unsigned v) { return emu::atomic_rmw<unsigned>(p, v, 0); }
inline float atomicExch(ptr<float> p, float v) { return emu::atomic_rmw<float>(p, v, 1); }
inline int atomicExch(ptr<int> p, int v) { return emu::atomic_rmw<int>(p, v, 1); }
inline int atomicMax(ptr<int> p, int v) { return emu::atomic_rmw<int>(p, v, 2); }

// Math that CUDA provides and the host lacks.
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
using std::max;
using std::min;

#define EMU_REGISTER(name) static emu::Registrar emu_registrar_##name(#name, name);
