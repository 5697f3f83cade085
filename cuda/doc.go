// Package cuda is the CUDA backend of core.Backend: hand-written kernels
// (package cuda/kernels, embedded .cu files) launched through a Driver,
// either a real NVIDIA GPU or the CPU emulator of package cuda/emu.
//
// The GPU driver needs no cgo: github.com/ebitengine/purego loads
// libcuda.so.1 and NVRTC (libnvrtc.so.13/.12, found through
// LD_LIBRARY_PATH, CUDA_PATH or /usr/local/cuda) at run time, so the same
// CGO_ENABLED=0 binary runs everywhere and uses a GPU when there is one.
// Every driver call runs on one goroutine locked to its OS thread, where the
// device's primary context is current. Kernels are compiled by NVRTC on
// first use for the GPU's architecture and cached on disk (the user cache
// directory, keyed by source hash, architecture and NVRTC version). CUDA
// errors become Go errors carrying the error's name.
//
// The package registers two devices with core, opened on first use:
// "cuda" (the GPU; an error such as "cuda: no CUDA driver …" where there is
// none) and "cuda-emu" (the same kernels on the CPU emulator, built with
// g++ at first use; for tests and debugging). Tensors of both live in
// device memory (core.Storage) from a caching allocator; core.To,
// Tensor.MoveTo and Params.MoveTo move them. Kernels run in order on the
// default stream; Gemm, attention and the rest take the same arguments as
// the CPU kernels of package ops, which are their reference (package
// backendtest checks every primitive against float64 references).
//
// Part 1 is correctness: simple kernels (a 16×16 tiled GEMM, a warp per
// attention query row). See NOTES.md for what was verified, the emulator's
// design and what emulation cannot show.
package cuda
