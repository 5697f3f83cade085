package emu

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Driver is an emulated device: a shared library built by Build, loaded with
// purego, with the same shape as the CUDA driver (allocate, copy, launch a
// kernel by name with a cuLaunchKernel-style parameter array).
type Driver struct {
	lib uintptr
	mu  sync.Mutex // one call at a time: an error is read back after its call

	alloc      func(bytes uint64) uint64
	free       func(p uint64) int32
	htod       func(dst uint64, src unsafe.Pointer, n uint64) int32
	dtoh       func(dst unsafe.Pointer, src uint64, n uint64) int32
	dtod       func(dst, src uint64, n uint64) int32
	launch     func(name string, gx, gy, gz, bx, by, bz, shared uint32, params unsafe.Pointer) int32
	lastError  func() string
	count      func() int32
	kernelName func(i int32) string
}

// Open builds (or finds in the cache) the emulator for src and loads it.
func Open(src Sources) (*Driver, error) {
	path, err := Build(src)
	if err != nil {
		return nil, err
	}
	return Load(path)
}

// Load loads an emulator library built by Build.
func Load(path string) (*Driver, error) {
	lib, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("cuda-emu: loading %s: %w", path, err)
	}
	d := &Driver{lib: lib}
	reg := func(fptr any, name string) {
		if err == nil {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("cuda-emu: %s: %v", name, r)
				}
			}()
			purego.RegisterLibFunc(fptr, lib, name)
		}
	}
	reg(&d.alloc, "emu_alloc")
	reg(&d.free, "emu_free")
	reg(&d.htod, "emu_copy_htod")
	reg(&d.dtoh, "emu_copy_dtoh")
	reg(&d.dtod, "emu_copy_dtod")
	reg(&d.launch, "emu_launch")
	reg(&d.lastError, "emu_last_error")
	reg(&d.count, "emu_kernel_count")
	reg(&d.kernelName, "emu_kernel_name")
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Name returns "cuda-emu".
func (d *Driver) Name() string { return "cuda-emu" }

// call runs f (a C call returning a status) under the driver's lock and
// turns a failure into an error with the emulator's message.
func (d *Driver) call(op string, f func() int32) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.check(op, f())
}

func (d *Driver) check(op string, rc int32) error {
	if rc == 0 {
		return nil
	}
	return fmt.Errorf("cuda-emu: %s: %s", op, d.lastError())
}

// Alloc returns a new allocation of the given size.
func (d *Driver) Alloc(bytes int) (uint64, error) {
	p := d.alloc(uint64(bytes))
	if p == 0 {
		return 0, errors.New("cuda-emu: out of host memory")
	}
	return p, nil
}

// Free releases an allocation.
func (d *Driver) Free(p uint64) error { return d.call("free", func() int32 { return d.free(p) }) }

// CopyHtoD copies n bytes from host memory to the device.
func (d *Driver) CopyHtoD(dst uint64, src unsafe.Pointer, n int) error {
	return d.call("copy to device", func() int32 { return d.htod(dst, src, uint64(n)) })
}

// CopyDtoH copies n bytes from the device to host memory.
func (d *Driver) CopyDtoH(dst unsafe.Pointer, src uint64, n int) error {
	return d.call("copy to host", func() int32 { return d.dtoh(dst, src, uint64(n)) })
}

// CopyDtoD copies n bytes between device allocations.
func (d *Driver) CopyDtoD(dst, src uint64, n int) error {
	return d.call("device copy", func() int32 { return d.dtod(dst, src, uint64(n)) })
}

// Launch runs a kernel over grid×block threads and waits for it; an
// out-of-bounds access, a shared-memory race or a deadlock in the kernel is
// returned as an error naming the kernel, block, thread and address.
func (d *Driver) Launch(kernel string, grid, block [3]uint32, shared int, params []unsafe.Pointer) error {
	var p unsafe.Pointer
	if len(params) > 0 {
		p = unsafe.Pointer(&params[0])
	}
	return d.call("launch", func() int32 {
		return d.launch(kernel, grid[0], grid[1], grid[2], block[0], block[1], block[2], uint32(shared), p)
	})
}

// Synchronize returns at once: launches are synchronous.
func (d *Driver) Synchronize() error { return nil }

// Kernels returns the names of the registered kernels.
func (d *Driver) Kernels() []string {
	n := d.count()
	out := make([]string, n)
	for i := range out {
		out[i] = d.kernelName(int32(i))
	}
	return out
}
