package emu

import (
	"strings"
	"testing"
	"unsafe"

	"xprompt/cuda/kernels"
)

// brokenKernels holds deliberately broken kernels beside their correct
// versions: the emulator must report the broken ones (kernel, thread and
// address) and run the correct ones cleanly.
const brokenKernels = `#include "common.cuh"

// reverse_sync reverses a block of values through shared memory.
extern "C" __global__ void reverse_sync(const float *x, float *y) {
	__shared__ float buf[64];
	int t = threadIdx.x;
	buf[t] = x[t];
	__syncthreads();
	y[t] = buf[blockDim.x - 1 - t];
}

// reverse_nosync forgets the barrier: thread t reads buf[63−t] before (or
// after) its owner writes it.
extern "C" __global__ void reverse_nosync(const float *x, float *y) {
	__shared__ float buf[64];
	int t = threadIdx.x;
	buf[t] = x[t];
	y[t] = buf[blockDim.x - 1 - t];
}

// copy_ok copies n values.
extern "C" __global__ void copy_ok(const float *x, float *y, int n) {
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n) y[i] = x[i];
}

// copy_off_by_one reads and writes one past the end.
extern "C" __global__ void copy_off_by_one(const float *x, float *y, int n) {
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i <= n) y[i] = x[i];
}

// warp_ops writes, per thread, the warp sum of lane ids, the ballot of odd
// lanes and the value of lane 3 (shuffle by index).
extern "C" __global__ void warp_ops(float *sum, int *ballot, float *lane3) {
	int t = threadIdx.x, lane = t % 32;
	sum[t] = warp_sum((float)lane);
	ballot[t] = (int)__ballot_sync(0xffffffffu, lane % 2);
	lane3[t] = __shfl_sync(0xffffffffu, (float)(lane * 10), 3);
}

// sync_in_branch: only the first warp reaches the barrier; the others exit.
extern "C" __global__ void sync_in_branch(float *y) {
	if (threadIdx.x < 32) __syncthreads();
	y[threadIdx.x] = 1.0f;
}

// shfl_in_branch: odd lanes exchange with a full mask while even lanes wait
// at __syncthreads: neither can complete.
extern "C" __global__ void shfl_in_branch(float *y) {
	float v = 1.0f;
	if (threadIdx.x % 2) v = __shfl_xor_sync(0xffffffffu, v, 1);
	else __syncthreads();
	y[threadIdx.x] = v;
}
`

func openBroken(t *testing.T) *Driver {
	t.Helper()
	d, err := Open(Sources{Header: kernels.HeaderText(), Files: []kernels.Source{{Name: "broken.cu", Text: brokenKernels}}})
	if err == ErrNoCompiler {
		t.Skip("no C++ compiler: skipping the CUDA emulator")
	}
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func params(vs ...any) []unsafe.Pointer {
	out := make([]unsafe.Pointer, len(vs))
	for i, v := range vs {
		switch v := v.(type) {
		case uint64:
			out[i] = unsafe.Pointer(&v)
		case int32:
			out[i] = unsafe.Pointer(&v)
		default:
			panic("params: unsupported type")
		}
	}
	return out
}

func ramp(n int) []float32 {
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = float32(i)
	}
	return xs
}

// TestSharedRaceIsReported: a missing __syncthreads is reported as a
// shared-memory race naming the kernel, block, thread and address; with the
// barrier the kernel runs cleanly and reverses its input.
func TestSharedRaceIsReported(t *testing.T) {
	d := openBroken(t)
	x, y := upload(t, d, ramp(64)), upload(t, d, make([]float32, 64))
	one, block := [3]uint32{1, 1, 1}, [3]uint32{64, 1, 1}
	if err := d.Launch("reverse_sync", one, block, 0, params(x, y)); err != nil {
		t.Fatalf("correct kernel reported: %v", err)
	}
	for i, v := range download(t, d, y, 64) {
		if v != float32(63-i) {
			t.Fatalf("reverse_sync: y[%d] = %g, want %d", i, v, 63-i)
		}
	}
	err := d.Launch("reverse_nosync", one, block, 0, params(x, y))
	if err == nil {
		t.Fatal("missing __syncthreads was not reported")
	}
	for _, want := range []string{"kernel reverse_nosync", "block (0,0,0)", "thread (", "shared-memory race", "byte offset"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("report %q lacks %q", err, want)
		}
	}
	t.Log(err)
}

// TestOutOfBoundsIsReported: an off-by-one index is reported with the
// kernel, the thread one past the end and the byte offset; the correct
// kernel runs cleanly, and the faulty access is not performed.
func TestOutOfBoundsIsReported(t *testing.T) {
	d := openBroken(t)
	n := 100
	x, y := upload(t, d, ramp(n)), upload(t, d, make([]float32, n))
	grid, block := [3]uint32{2, 1, 1}, [3]uint32{64, 1, 1}
	if err := d.Launch("copy_ok", grid, block, 0, params(x, y, int32(n))); err != nil {
		t.Fatalf("correct kernel reported: %v", err)
	}
	err := d.Launch("copy_off_by_one", grid, block, 0, params(x, y, int32(n)))
	if err == nil {
		t.Fatal("off-by-one index was not reported")
	}
	for _, want := range []string{"kernel copy_off_by_one", "block (1,0,0), thread (36,0,0)", "out-of-bounds global read", "byte offset 400 of a 400-byte allocation"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("report %q lacks %q", err, want)
		}
	}
	t.Log(err)
	// A copy that reaches past an allocation is refused too.
	if err := d.CopyDtoH(unsafe.Pointer(&make([]float32, n+1)[0]), y, 4*(n+1)); err == nil {
		t.Error("copy past the end of an allocation was not refused")
	}
}

// TestWarpIntrinsics checks shuffles and ballots among the 32 lanes of each
// warp, with a partial last warp (40 threads: lanes 0…7 of warp 1).
func TestWarpIntrinsics(t *testing.T) {
	d := openBroken(t)
	n := 64
	sum, ballot, lane3 := upload(t, d, make([]float32, n)), upload(t, d, make([]float32, n)), upload(t, d, make([]float32, n))
	if err := d.Launch("warp_ops", [3]uint32{1, 1, 1}, [3]uint32{uint32(n), 1, 1}, 0, params(sum, ballot, lane3)); err != nil {
		t.Fatal(err)
	}
	s, l3 := download(t, d, sum, n), download(t, d, lane3, n)
	var bs []int32
	for _, v := range download(t, d, ballot, n) {
		bs = append(bs, int32(*(*int32)(unsafe.Pointer(&v))))
	}
	for i := 0; i < n; i++ {
		if s[i] != 496 || l3[i] != 30 || uint32(bs[i]) != 0xaaaaaaaa {
			t.Fatalf("thread %d: warp sum %g (want 496), lane 3 value %g (want 30), ballot %#x (want 0xaaaaaaaa)", i, s[i], l3[i], uint32(bs[i]))
		}
	}
}

// TestDivergentBarrierCompletes: a __syncthreads that only some threads
// reach is released when the others exit (as on sm_70+ GPUs).
func TestDivergentBarrierCompletes(t *testing.T) {
	d := openBroken(t)
	y := upload(t, d, make([]float32, 64))
	if err := d.Launch("sync_in_branch", [3]uint32{1, 1, 1}, [3]uint32{64, 1, 1}, 0, params(y)); err != nil {
		t.Fatal(err)
	}
	for i, v := range download(t, d, y, 64) {
		if v != 1 {
			t.Fatalf("y[%d] = %g", i, v)
		}
	}
}

// TestDeadlockIsReported: a warp exchange and a block barrier waiting for
// each other are reported instead of hanging.
func TestDeadlockIsReported(t *testing.T) {
	d := openBroken(t)
	y := upload(t, d, make([]float32, 64))
	err := d.Launch("shfl_in_branch", [3]uint32{1, 1, 1}, [3]uint32{64, 1, 1}, 0, params(y))
	if err == nil || !strings.Contains(err.Error(), "deadlock: 32 threads wait at __syncthreads and 32 at a warp exchange") {
		t.Fatalf("got %v, want a deadlock report", err)
	}
	t.Log(err)
}
