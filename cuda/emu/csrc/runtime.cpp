// runtime.cpp: the emulated device behind the driver-shaped C API of package
// cuda/emu: allocations (known, so that kernels' global accesses can be
// bounds-checked), copies, and launches by kernel name. A launch runs on the
// calling thread, one at a time: blocks one after another, each block's
// threads as fibers switching only at barriers (deterministic), and records
// the first error: an out-of-bounds access, a shared-memory race or a
// deadlock.
#include "emu.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <unordered_map>
#include <vector>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace emu {

Thread *cur;
Block *blk;
dim3 cur_block, cur_grid, cur_dim;
uint64_t epoch;

// ---- fibers ----

enum { Runnable, WaitBlock, WaitWarp, Done };

#if defined(__x86_64__)
extern "C" void emu_switch(void **save, void *load);
asm(R"(
.text
.globl emu_switch
.hidden emu_switch
.type emu_switch,@function
emu_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
.size emu_switch,.-emu_switch
)");
#endif

const size_t stackBytes = 128 << 10;

struct Warp {
	float fslots[2][32];
	int islots[2][32];
	int phase;   // which slot buffer the current exchange uses
	int live, arrived;
	unsigned liveMask;
};

struct Block {
	std::vector<Thread> threads;
	std::vector<Warp> warps;
	std::deque<Thread *> queue;
	int live, arrived;
	void *schedSP;
#if !defined(__x86_64__)
	ucontext_t schedCtx;
#endif
	Body body;
};

// Worker holds the fiber stacks and the dynamic shared memory of launches.
struct Worker {
	char *stacks = nullptr;
	size_t nstacks = 0;
	std::vector<char> dyn;
	std::vector<Word> dynShadow;
	Region dynRegion;
};
Worker *worker;

// ---- errors ----

static std::mutex errMu;
static std::string launchErr;       // first error of the running launch
static std::atomic<bool> launchFailed;
static const char *kernelName;
static std::string lastErr;         // error of the last API call
static std::mutex launchMu;

static std::string where() {
	char b[160];
	if (!cur) return std::string("kernel ") + (kernelName ? kernelName : "?");
	snprintf(b, sizeof b, "kernel %s, block (%u,%u,%u), thread (%u,%u,%u)", kernelName, cur_block.x, cur_block.y, cur_block.z,
	         cur->tid.x, cur->tid.y, cur->tid.z);
	return b;
}

static void fail(const std::string &msg) {
	std::lock_guard<std::mutex> g(errMu);
	if (!launchFailed.exchange(true)) launchErr = msg;
}

// ---- allocations ----

static std::mutex allocMu;
static std::map<uintptr_t, Region *> allocs; // by base address

const Region *region_of(uint64_t a) {
	std::lock_guard<std::mutex> g(allocMu);
	auto it = allocs.upper_bound((uintptr_t)a);
	if (it == allocs.begin()) return nullptr;
	--it;
	Region *r = it->second;
	if (a >= (uintptr_t)r->base && a < (uintptr_t)r->base + r->bytes) return r;
	if (a == (uintptr_t)r->base + r->bytes) return r; // one past the end: accesses fail the bounds check
	return nullptr;
}

void report_oob(bool write, const void *addr, size_t size, const Region *r) {
	char b[320];
	if (!r) {
		snprintf(b, sizeof b, "%s: out-of-bounds global %s of %zu bytes at %p: not in any allocation", where().c_str(),
		         write ? "write" : "read", size, addr);
	} else {
		long long off = (const char *)addr - r->base;
		snprintf(b, sizeof b, "%s: out-of-bounds %s %s of %zu bytes at %p: byte offset %lld of a %zu-byte %s",
		         where().c_str(), r->space == Shared ? "shared" : "global", write ? "write" : "read", size, addr, off,
		         r->bytes, r->space == Shared ? "shared array" : "allocation");
	}
	fail(b);
}

void shared_access(const Region *r, const void *addr, bool write) {
	size_t w = ((const char *)addr - r->base) / 4;
	Word &s = r->shadow[w];
	uint32_t me = cur->linear;
	const char *kind = nullptr;
	uint32_t other = 0;
	if (s.wepoch == epoch && s.wthread != me) {
		kind = write ? "write after write" : "read after write";
		other = s.wthread;
	} else if (write && s.repoch == epoch && s.rthread != me) {
		kind = "write after read";
		other = s.rthread;
	}
	if (kind) {
		char b[400];
		char o[48];
		if (other == manyReaders)
			snprintf(o, sizeof o, "several threads");
		else
			snprintf(o, sizeof o, "thread %u", other);
		snprintf(b, sizeof b,
		         "%s: shared-memory race (%s) at %p, byte offset %zu of the block's shared array: %s accessed it since "
		         "the last __syncthreads",
		         where().c_str(), kind, addr, w * 4, o);
		fail(b);
	}
	if (write) {
		s.wepoch = epoch;
		s.wthread = me;
	} else if (s.repoch != epoch) {
		s.repoch = epoch;
		s.rthread = me;
	} else if (s.rthread != me) {
		s.rthread = manyReaders;
	}
}

static uint64_t epochSerial; // never reused
static void new_epoch() { epoch = ++epochSerial; }

char *dynamic_shared_base(size_t *bytes, Word **shadow, Region **region) {
	*bytes = worker->dynRegion.bytes;
	*shadow = worker->dynShadow.data();
	*region = &worker->dynRegion;
	return worker->dyn.data();
}

// ---- scheduling ----

static void yield_to_scheduler() {
	Thread *t = cur;
#if defined(__x86_64__)
	emu_switch(&t->sp, blk->schedSP);
#else
	swapcontext((ucontext_t *)t->uctx, &blk->schedCtx);
#endif
}

void syncthreads() {
	cur->state = WaitBlock;
	yield_to_scheduler();
}

void warp_barrier() {
	cur->state = WaitWarp;
	yield_to_scheduler();
}

float *warp_slots_f() {
	Warp &w = blk->warps[cur->warp];
	return w.fslots[w.phase];
}
int *warp_slots_i() {
	Warp &w = blk->warps[cur->warp];
	return w.islots[w.phase];
}
unsigned warp_live_mask() { return blk->warps[cur->warp].liveMask; }

void report_error(const char *msg) { fail(where() + ": " + msg); }

static void fiber_main() {
	blk->body();
	cur->state = Done;
	yield_to_scheduler();
	abort(); // a finished fiber is never resumed
}

#if !defined(__x86_64__)
static void fiber_main_uc() { fiber_main(); }
#endif

static void start_fiber(Thread &t, char *stack) {
#if defined(__x86_64__)
	uintptr_t top = ((uintptr_t)(stack + stackBytes)) & ~(uintptr_t)15;
	void **sp = (void **)top;
	*--sp = nullptr;               // fiber_main's return address: never used
	*--sp = (void *)&fiber_main;   // where emu_switch's ret goes
	for (int i = 0; i < 6; i++) *--sp = nullptr; // rbp rbx r12-r15
	t.sp = sp;
#else
	ucontext_t *uc = (ucontext_t *)t.uctx;
	getcontext(uc);
	uc->uc_stack.ss_sp = stack;
	uc->uc_stack.ss_size = stackBytes;
	uc->uc_link = nullptr;
	makecontext(uc, fiber_main_uc, 0);
#endif
}

static void release_warp(Block &b, Warp &w, int wi) {
	w.arrived = 0;
	w.phase ^= 1;
	size_t lo = (size_t)wi * 32, hi = std::min(lo + 32, b.threads.size());
	for (size_t i = lo; i < hi; i++) {
		Thread &t = b.threads[i];
		if (t.state == WaitWarp) {
			t.state = Runnable;
			b.queue.push_back(&t);
		}
	}
}

static void release_block(Block &b) {
	b.arrived = 0;
	new_epoch();
	for (Thread &t : b.threads)
		if (t.state == WaitBlock) {
			t.state = Runnable;
			b.queue.push_back(&t);
		}
}

// run_block runs every thread of one block to completion.
static void run_block(Block &b, dim3 bid) {
	cur_block = bid;
	new_epoch();
	unsigned n = cur_dim.x * cur_dim.y * cur_dim.z;
	unsigned nw = (n + 31) / 32;
	b.live = n;
	b.arrived = 0;
	b.queue.clear();
	for (unsigned w = 0; w < nw; w++) {
		Warp &wp = b.warps[w];
		wp.phase = 0;
		wp.arrived = 0;
		wp.live = std::min(32u, n - w * 32);
		wp.liveMask = wp.live == 32 ? 0xffffffffu : ((1u << wp.live) - 1);
	}
	for (unsigned i = 0; i < n; i++) {
		Thread &t = b.threads[i];
		t.tid = dim3(i % cur_dim.x, (i / cur_dim.x) % cur_dim.y, i / (cur_dim.x * cur_dim.y));
		t.linear = i;
		t.lane = i % 32;
		t.warp = i / 32;
		t.state = Runnable;
		start_fiber(t, worker->stacks + (size_t)i * stackBytes);
		b.queue.push_back(&t);
	}
	while (b.live > 0) {
		if (b.queue.empty()) {
			int atBlock = 0, atWarp = 0;
			for (unsigned i = 0; i < n; i++) {
				atBlock += b.threads[i].state == WaitBlock;
				atWarp += b.threads[i].state == WaitWarp;
			}
			char m[256];
			cur = nullptr;
			snprintf(m, sizeof m, "%s, block (%u,%u,%u): deadlock: %d threads wait at __syncthreads and %d at a warp exchange",
			         where().c_str(), bid.x, bid.y, bid.z, atBlock, atWarp);
			fail(m);
			return;
		}
		Thread *t = b.queue.front();
		b.queue.pop_front();
		cur = t;
#if defined(__x86_64__)
		emu_switch(&b.schedSP, t->sp);
#else
		swapcontext(&b.schedCtx, (ucontext_t *)t->uctx);
#endif
		cur = nullptr;
		Warp &w = b.warps[t->warp];
		switch (t->state) {
		case Done:
			b.live--;
			w.live--;
			w.liveMask &= ~(1u << t->lane);
			if (w.live > 0 && w.arrived == w.live) release_warp(b, w, t->warp);
			if (b.live > 0 && b.arrived == b.live) release_block(b);
			break;
		case WaitBlock:
			if (++b.arrived == b.live) release_block(b);
			break;
		case WaitWarp:
			if (++w.arrived == w.live) release_warp(b, w, t->warp);
			break;
		}
	}
}

// ---- launches ----

struct Launch {
	const char *name;
	Binder *binder;
	void **params;
	dim3 grid, block;
	size_t shared;
	long long total;
};

// run_launch runs every block of a launch, in order, stopping at the first error.
static void run_launch(Launch &L, Worker &wk) {
	unsigned n = L.block.x * L.block.y * L.block.z;
	if (wk.nstacks < n) {
		if (wk.stacks) munmap(wk.stacks, wk.nstacks * stackBytes);
		wk.stacks = (char *)mmap(nullptr, n * stackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		wk.nstacks = n;
	}
	wk.dyn.assign(L.shared + 16, 0);
	wk.dynShadow.assign((L.shared + 3) / 4 + 1, Word{0, 0, 0, 0});
	wk.dynRegion = Region{wk.dyn.data(), L.shared, Shared, wk.dynShadow.data(), "dynamic shared memory"};
	Block b;
	b.threads.resize(n);
#if !defined(__x86_64__)
	std::vector<ucontext_t> ucs(n);
	for (unsigned i = 0; i < n; i++) b.threads[i].uctx = &ucs[i];
#endif
	b.warps.resize((n + 31) / 32);
	kernelName = L.name;
	b.body = (*L.binder)(L.params);
	blk = &b;
	cur_grid = L.grid;
	cur_dim = L.block;
	for (long long i = 0; i < L.total && !launchFailed.load(); i++) {
		dim3 bid(i % L.grid.x, (i / L.grid.x) % L.grid.y, i / ((long long)L.grid.x * L.grid.y));
		run_block(b, bid);
	}
	blk = nullptr;
}

static std::map<std::string, Binder> &registry() {
	static std::map<std::string, Binder> r;
	return r;
}

void register_kernel(const char *name, Binder b) { registry()[name] = b; }

static std::string launchName;

} // namespace emu

using namespace emu;

static int err(const std::string &m) {
	lastErr = m;
	return 1;
}

extern "C" {

const char *emu_last_error() { return lastErr.c_str(); }

int emu_kernel_count() { return (int)registry().size(); }

const char *emu_kernel_name(int i) {
	auto it = registry().begin();
	std::advance(it, i);
	return it->first.c_str();
}

uint64_t emu_alloc(uint64_t bytes) {
	size_t n = bytes ? bytes : 1;
	char *p = (char *)aligned_alloc(256, (n + 255) & ~(size_t)255);
	if (!p) return 0;
	Region *r = new Region{p, (size_t)bytes, Global, nullptr, "allocation"};
	std::lock_guard<std::mutex> g(allocMu);
	allocs[(uintptr_t)p] = r;
	return (uint64_t)(uintptr_t)p;
}

int emu_free(uint64_t p) {
	std::lock_guard<std::mutex> g(allocMu);
	auto it = allocs.find((uintptr_t)p);
	if (it == allocs.end()) return err("free of an address that is not an allocation");
	free(it->second->base);
	delete it->second;
	allocs.erase(it);
	return 0;
}

static bool span_ok(uint64_t a, uint64_t n) {
	const Region *r = region_of(a);
	return r && a + n <= (uint64_t)(uintptr_t)r->base + r->bytes;
}

int emu_copy_htod(uint64_t dst, const void *src, uint64_t n) {
	if (!span_ok(dst, n)) return err("copy to the device: destination range is outside every allocation");
	memcpy((void *)(uintptr_t)dst, src, n);
	return 0;
}

int emu_copy_dtoh(void *dst, uint64_t src, uint64_t n) {
	if (!span_ok(src, n)) return err("copy to the host: source range is outside every allocation");
	memcpy(dst, (const void *)(uintptr_t)src, n);
	return 0;
}

int emu_copy_dtod(uint64_t dst, uint64_t src, uint64_t n) {
	if (!span_ok(dst, n) || !span_ok(src, n)) return err("device copy: a range is outside every allocation");
	memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n);
	return 0;
}

int emu_memset32(uint64_t dst, uint32_t v, uint64_t count) {
	if (!span_ok(dst, count * 4)) return err("memset: range is outside every allocation");
	uint32_t *p = (uint32_t *)(uintptr_t)dst;
	for (uint64_t i = 0; i < count; i++) p[i] = v;
	return 0;
}

// emu_launch runs kernel name over grid × block threads with the given
// dynamic shared memory and parameters (one pointer per parameter, as
// cuLaunchKernel takes them) and returns when every block has finished.
int emu_launch(const char *name, uint32_t gx, uint32_t gy, uint32_t gz, uint32_t bx, uint32_t by, uint32_t bz,
               uint32_t shared, void **params) {
	std::lock_guard<std::mutex> launchLock(launchMu); // one launch at a time
	auto it = registry().find(name);
	if (it == registry().end()) return err(std::string("launch: no kernel named ") + name);
	if (bx * by * bz == 0 || bx * by * bz > 1024) return err(std::string("launch of ") + name + ": block size must be 1..1024 threads");
	if (gx == 0 || gy == 0 || gz == 0) return err(std::string("launch of ") + name + ": empty grid");
	Launch L;
	L.binder = &it->second;
	L.params = params;
	L.grid = dim3(gx, gy, gz);
	L.block = dim3(bx, by, bz);
	L.shared = shared;
	L.total = (long long)gx * gy * gz;
	launchFailed = false;
	launchErr.clear();
	launchName = name;
	L.name = launchName.c_str();
	static Worker callerWorker;
	worker = &callerWorker;
	run_launch(L, callerWorker);
	if (launchFailed) return err(launchErr);
	return 0;
}

} // extern "C"
