package cuda

import "unsafe"

// Driver is the device interface the backend is written against, shaped like
// the CUDA driver API: allocations are device addresses, copies are
// synchronous with respect to earlier launches, and kernels are launched by
// name with a cuLaunchKernel-style parameter array (one pointer per
// parameter, pointing at the parameter's value). The real GPU (libcuda and
// NVRTC, see Open) and the CPU emulator (package cuda/emu) implement it, so
// the backend code is the same for both.
type Driver interface {
	Name() string
	Alloc(bytes int) (uint64, error)
	Free(ptr uint64) error
	CopyHtoD(dst uint64, src unsafe.Pointer, bytes int) error
	CopyDtoH(dst unsafe.Pointer, src uint64, bytes int) error
	CopyDtoD(dst, src uint64, bytes int) error
	Launch(kernel string, grid, block [3]uint32, sharedBytes int, params []unsafe.Pointer) error
	Synchronize() error
}
