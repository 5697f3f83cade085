// Package emu runs CUDA kernels on the CPU: the kernel sources of package
// cuda/kernels are rewritten (pointers become checked pointers, __shared__
// arrays per-block storage), compiled by g++ with a prelude that implements
// the CUDA thread model (csrc/emu.h, csrc/runtime.cpp) into a shared library
// cached by source hash, and loaded with purego behind the same
// driver-shaped interface as the GPU (allocate, copy, launch a kernel by
// name), so the backend's code is the same for both.
//
// Every thread of a block runs as a fiber; __syncthreads is a block barrier
// and warp intrinsics (__shfl_*_sync, __ballot_sync, __any_sync,
// __all_sync) exchange values among the 32 lanes of a warp at warp
// barriers; atomics are atomic. The emulator reports, as the launch's
// error, out-of-bounds global accesses (it knows every allocation), shared-
// memory races (a write and another thread's read or write of the same word
// between two barriers) and deadlocks, naming the kernel, block, thread and
// address. Tensor-core instructions (mma.sync, ldmatrix) are not emulated
// yet. Launches are synchronous and run one at a time on the calling thread,
// blocks in order (deterministic). XPROMPT_EMU_CXX chooses the compiler.
package emu
