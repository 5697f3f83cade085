package cuda

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// cuResult is a CUresult; 0 is CUDA_SUCCESS.
type cuResult int32

// driverAPI holds the libcuda entry points, bound with purego.
type driverAPI struct {
	cuInit                   func(flags uint32) cuResult
	cuDriverGetVersion       func(v *int32) cuResult
	cuDeviceGetCount         func(n *int32) cuResult
	cuDeviceGet              func(dev *int32, ordinal int32) cuResult
	cuDeviceGetAttribute     func(v *int32, attr int32, dev int32) cuResult
	cuDeviceGetName          func(name *byte, n int32, dev int32) cuResult
	cuDevicePrimaryCtxRetain func(ctx *uintptr, dev int32) cuResult
	cuCtxSetCurrent          func(ctx uintptr) cuResult
	cuCtxSynchronize         func() cuResult
	cuMemAlloc               func(p *uint64, n uint64) cuResult
	cuMemFree                func(p uint64) cuResult
	cuMemcpyHtoD             func(dst uint64, src unsafe.Pointer, n uint64) cuResult
	cuMemcpyDtoH             func(dst unsafe.Pointer, src uint64, n uint64) cuResult
	cuMemcpyDtoD             func(dst, src uint64, n uint64) cuResult
	cuModuleLoadData         func(mod *uintptr, image unsafe.Pointer) cuResult
	cuModuleGetFunction      func(fn *uintptr, mod uintptr, name string) cuResult
	cuLaunchKernel           func(fn uintptr, gx, gy, gz, bx, by, bz, shared uint32, stream uintptr, params unsafe.Pointer, extra unsafe.Pointer) cuResult
	cuStreamCreate           func(s *uintptr, flags uint32) cuResult
	cuStreamDestroy          func(s uintptr) cuResult
	cuStreamSynchronize      func(s uintptr) cuResult
	cuEventCreate            func(e *uintptr, flags uint32) cuResult
	cuEventRecord            func(e, s uintptr) cuResult
	cuEventSynchronize       func(e uintptr) cuResult
	cuEventElapsedTime       func(ms *float32, start, end uintptr) cuResult
	cuEventDestroy           func(e uintptr) cuResult
	cuGetErrorName           func(r cuResult, s **byte) cuResult
}

const (
	attrCCMajor = 75 // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
	attrCCMinor = 76
)

// GPU is a Driver on a real NVIDIA GPU: libcuda.so.1 and NVRTC loaded with
// purego (no cgo), every call made on one locked OS thread with the
// device's primary context current, kernels compiled by NVRTC on first use
// for the GPU's architecture and cached on disk.
type GPU struct {
	api    driverAPI
	thread *osThread
	ctx    uintptr
	dev    int32
	name   string
	major  int32
	minor  int32
	nvrtc  *nvrtcAPI

	mu      sync.Mutex
	modules map[string]uintptr // kernel file → module
	funcs   map[string]uintptr // kernel name → function
}

var (
	openOnce sync.Once
	openGPU  *GPU
	openErr  error
)

// Open loads the CUDA driver and returns a Driver on GPU 0; the result is
// shared by every caller. It fails with one clear error where there is no
// driver or no GPU.
func Open() (Driver, error) {
	openOnce.Do(func() { openGPU, openErr = openDevice() })
	if openErr != nil {
		return nil, openErr
	}
	return openGPU, nil
}

func openDevice() (*GPU, error) {
	lib, err := purego.Dlopen("libcuda.so.1", purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("cuda: no CUDA driver (cannot load libcuda.so.1: %v)", err)
	}
	g := &GPU{thread: newOSThread(), modules: map[string]uintptr{}, funcs: map[string]uintptr{}}
	if err := bindAll(lib, &g.api, map[string]string{
		"cuMemAlloc": "cuMemAlloc_v2", "cuMemFree": "cuMemFree_v2", "cuMemcpyHtoD": "cuMemcpyHtoD_v2",
		"cuMemcpyDtoH": "cuMemcpyDtoH_v2", "cuMemcpyDtoD": "cuMemcpyDtoD_v2", "cuStreamDestroy": "cuStreamDestroy_v2",
		"cuEventDestroy": "cuEventDestroy_v2",
	}); err != nil {
		return nil, err
	}
	var ferr error
	g.thread.do(func() {
		a := &g.api
		if ferr = g.check("cuInit", a.cuInit(0)); ferr != nil {
			return
		}
		var n int32
		if ferr = g.check("cuDeviceGetCount", a.cuDeviceGetCount(&n)); ferr != nil {
			return
		}
		if n == 0 {
			ferr = errors.New("cuda: the CUDA driver loaded but there is no GPU")
			return
		}
		if ferr = g.check("cuDeviceGet", a.cuDeviceGet(&g.dev, 0)); ferr != nil {
			return
		}
		a.cuDeviceGetAttribute(&g.major, attrCCMajor, g.dev)
		a.cuDeviceGetAttribute(&g.minor, attrCCMinor, g.dev)
		buf := make([]byte, 256)
		a.cuDeviceGetName(&buf[0], int32(len(buf)), g.dev)
		g.name = cString(buf)
		if ferr = g.check("cuDevicePrimaryCtxRetain", a.cuDevicePrimaryCtxRetain(&g.ctx, g.dev)); ferr != nil {
			return
		}
		ferr = g.check("cuCtxSetCurrent", a.cuCtxSetCurrent(g.ctx))
	})
	if ferr != nil {
		return nil, ferr
	}
	return g, nil
}

// bindAll binds every func field of api (a pointer to a struct) to the
// library symbol of its name, or the name given in rename.
func bindAll(lib uintptr, api any, rename map[string]string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cuda: %v", r)
		}
	}()
	return bindFields(lib, api, rename)
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// check turns a CUresult into a Go error with the CUDA error's name.
func (g *GPU) check(call string, r cuResult) error {
	if r == 0 {
		return nil
	}
	name := fmt.Sprintf("CUDA error %d", int32(r))
	var s *byte
	if g.api.cuGetErrorName != nil && g.api.cuGetErrorName(r, &s) == 0 && s != nil {
		name = fmt.Sprintf("%s (%d)", goString(s), int32(r))
	}
	return fmt.Errorf("cuda: %s: %s", call, name)
}

// goString copies a NUL-terminated C string.
func goString(p *byte) string {
	var b []byte
	for q := unsafe.Pointer(p); *(*byte)(q) != 0; q = unsafe.Add(q, 1) {
		b = append(b, *(*byte)(q))
	}
	return string(b)
}

// Name returns "cuda".
func (g *GPU) Name() string { return "cuda" }

// Describe returns the GPU's name and compute capability.
func (g *GPU) Describe() string { return fmt.Sprintf("%s (sm_%d%d)", g.name, g.major, g.minor) }

// Arch returns the GPU architecture, such as "sm_90".
func (g *GPU) Arch() string { return fmt.Sprintf("sm_%d%d", g.major, g.minor) }

func (g *GPU) call(f func() error) error {
	var err error
	g.thread.do(func() { err = f() })
	return err
}

// Alloc allocates device memory.
func (g *GPU) Alloc(bytes int) (uint64, error) {
	var p uint64
	err := g.call(func() error { return g.check("cuMemAlloc", g.api.cuMemAlloc(&p, uint64(bytes))) })
	return p, err
}

// Free frees device memory.
func (g *GPU) Free(p uint64) error {
	return g.call(func() error { return g.check("cuMemFree", g.api.cuMemFree(p)) })
}

// CopyHtoD copies host memory to the device (after earlier work on the default stream).
func (g *GPU) CopyHtoD(dst uint64, src unsafe.Pointer, n int) error {
	return g.call(func() error { return g.check("cuMemcpyHtoD", g.api.cuMemcpyHtoD(dst, src, uint64(n))) })
}

// CopyDtoH copies device memory to the host, waiting for earlier work.
func (g *GPU) CopyDtoH(dst unsafe.Pointer, src uint64, n int) error {
	return g.call(func() error { return g.check("cuMemcpyDtoH", g.api.cuMemcpyDtoH(dst, src, uint64(n))) })
}

// CopyDtoD copies between device allocations.
func (g *GPU) CopyDtoD(dst, src uint64, n int) error {
	return g.call(func() error { return g.check("cuMemcpyDtoD", g.api.cuMemcpyDtoD(dst, src, uint64(n))) })
}

// Synchronize waits for all work on the device.
func (g *GPU) Synchronize() error {
	return g.call(func() error { return g.check("cuCtxSynchronize", g.api.cuCtxSynchronize()) })
}

// Launch launches a kernel on the default stream (asynchronously).
func (g *GPU) Launch(kernel string, grid, block [3]uint32, shared int, params []unsafe.Pointer) error {
	fn, err := g.function(kernel)
	if err != nil {
		return err
	}
	var p unsafe.Pointer
	if len(params) > 0 {
		p = unsafe.Pointer(&params[0])
	}
	return g.call(func() error {
		return g.check("cuLaunchKernel "+kernel, g.api.cuLaunchKernel(fn, grid[0], grid[1], grid[2], block[0], block[1], block[2], uint32(shared), 0, p, nil))
	})
}

// Stream is a CUDA stream.
type Stream uintptr

// Event is a CUDA event, for timing work on a stream.
type Event uintptr

// NewStream creates a stream.
func (g *GPU) NewStream() (Stream, error) {
	var s uintptr
	err := g.call(func() error { return g.check("cuStreamCreate", g.api.cuStreamCreate(&s, 0)) })
	return Stream(s), err
}

// SyncStream waits for the work on a stream.
func (g *GPU) SyncStream(s Stream) error {
	return g.call(func() error { return g.check("cuStreamSynchronize", g.api.cuStreamSynchronize(uintptr(s))) })
}

// DestroyStream destroys a stream.
func (g *GPU) DestroyStream(s Stream) error {
	return g.call(func() error { return g.check("cuStreamDestroy", g.api.cuStreamDestroy(uintptr(s))) })
}

// NewEvent creates an event.
func (g *GPU) NewEvent() (Event, error) {
	var e uintptr
	err := g.call(func() error { return g.check("cuEventCreate", g.api.cuEventCreate(&e, 0)) })
	return Event(e), err
}

// Record records an event on a stream (0: the default stream).
func (g *GPU) Record(e Event, s Stream) error {
	return g.call(func() error { return g.check("cuEventRecord", g.api.cuEventRecord(uintptr(e), uintptr(s))) })
}

// Elapsed waits for end and returns the milliseconds between two recorded events.
func (g *GPU) Elapsed(start, end Event) (float32, error) {
	var ms float32
	err := g.call(func() error {
		if err := g.check("cuEventSynchronize", g.api.cuEventSynchronize(uintptr(end))); err != nil {
			return err
		}
		return g.check("cuEventElapsedTime", g.api.cuEventElapsedTime(&ms, uintptr(start), uintptr(end)))
	})
	return ms, err
}

// DestroyEvent destroys an event.
func (g *GPU) DestroyEvent(e Event) error {
	return g.call(func() error { return g.check("cuEventDestroy", g.api.cuEventDestroy(uintptr(e))) })
}
