// Package kernels holds the CUDA C++ sources of the CUDA backend's kernels,
// embedded in the binary: one .cu file per group of primitives, each opening
// with the math, its launch shape and the napkin math of bytes and flops, and
// common.cuh, which lets the same sources compile with NVRTC (on the GPU, at
// run time), clang-19 (the PTX compile check) and g++ (the CPU emulator of
// package cuda/emu). Every kernel is extern "C", so that it is found by name.
package kernels
