package cuda

import (
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"unsafe"

	"xprompt/core"
)

// The devices the package registers with core.
const (
	// Device is a real NVIDIA GPU through libcuda and NVRTC.
	Device core.Device = "cuda"
	// EmuDevice is the CPU emulator of package cuda/emu running the same kernels.
	EmuDevice core.Device = "cuda-emu"
)

// Backend implements core.Backend with the kernels of package cuda/kernels on
// a Driver. Its tensors live in device memory (core.Storage); it implements
// core.DeviceMemory and the Transfer of the conformance suite. Kernels run on
// the driver's default stream, in order; methods that return host values
// (CrossEntropy, SumSquares, NearestCodes) wait for them.
type Backend struct {
	drv    Driver
	device core.Device
	mem    *allocator

	gcMu   sync.Mutex
	gcMark int // bytes in use above which a GC runs to reclaim dropped tensors
}

// NewBackend returns a backend for device d on the driver.
func NewBackend(drv Driver, d core.Device) *Backend {
	return &Backend{drv: drv, device: d, mem: newAllocator(drv), gcMark: 256 << 20}
}

// Name returns the device name.
func (b *Backend) Name() string { return string(b.device) }

// Device returns the device.
func (b *Backend) Device() core.Device { return b.device }

// Driver returns the driver the backend launches on.
func (b *Backend) Driver() Driver { return b.drv }

// buffer is the device storage of a tensor: an allocation of n float32 values.
type buffer struct {
	be  *Backend
	ptr uint64
	n   int
}

func (s *buffer) Device() core.Device { return s.be.device }
func (s *buffer) Len() int            { return s.n }

// newBuffer allocates n float32 values (uninitialised). The block goes back
// to the allocator's cache when the tensor is garbage collected.
func (b *Backend) newBuffer(n int) *buffer {
	p, err := b.mem.alloc(4 * n)
	if err != nil {
		panic(fmt.Sprintf("%s: allocating %d values: %v", b.device, n, err))
	}
	s := &buffer{be: b, ptr: p, n: n}
	mem := b.mem
	runtime.AddCleanup(s, func(p uint64) { mem.release(p) }, p)
	b.maybeCollect()
	return s
}

// maybeCollect runs the garbage collector when device memory in use has
// doubled since the last collection: device tensors are small Go objects, so
// the Go heap alone would rarely trigger one.
func (b *Backend) maybeCollect() {
	inUse, _ := b.mem.stats()
	b.gcMu.Lock()
	defer b.gcMu.Unlock()
	if inUse > b.gcMark {
		runtime.GC()
		b.gcMark = max(2*inUse, 256<<20)
	}
}

// empty returns an uninitialised device tensor.
func (b *Backend) empty(shape ...int) *core.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return core.FromStorage(b.newBuffer(n), shape...)
}

// Zeros returns a device tensor of zeros.
func (b *Backend) Zeros(shape ...int) *core.Tensor {
	t := b.empty(shape...)
	b.fill(t, 0)
	return t
}

func (b *Backend) fill(t *core.Tensor, v float32) {
	n := t.Len()
	if n == 0 {
		return
	}
	b.launch("fill", grid1(n), 256, 0, t, v, int64(n))
}

// ToDevice returns a device copy of a host tensor.
func (b *Backend) ToDevice(t *core.Tensor) *core.Tensor {
	if t.Storage() != nil {
		panic(fmt.Sprintf("%s.ToDevice: tensor is on %s, not the host", b.device, t.Device()))
	}
	d := b.empty(t.Dims()...)
	if n := t.Len(); n > 0 {
		b.check("copy to device", b.drv.CopyHtoD(b.ptr(d), unsafe.Pointer(&t.Data[0]), 4*n))
	}
	return d
}

// ToHost returns a host copy of a device tensor.
func (b *Backend) ToHost(t *core.Tensor) *core.Tensor {
	h := core.Zeros(t.Dims()...)
	if n := t.Len(); n > 0 {
		b.check("copy to host", b.drv.CopyDtoH(unsafe.Pointer(&h.Data[0]), b.ptr(t), 4*n))
	}
	return h
}

// Copy copies src into dst on the device.
func (b *Backend) Copy(dst, src *core.Tensor) {
	if dst.Len() != src.Len() {
		panic(fmt.Sprintf("%s.Copy: %v into %v", b.device, src.Dims(), dst.Dims()))
	}
	if n := src.Len(); n > 0 {
		b.check("device copy", b.drv.CopyDtoD(b.ptr(dst), b.ptr(src), 4*n))
	}
}

// MemoryStats returns the device bytes held by live tensors and by the
// allocator's cache.
func (b *Backend) MemoryStats() (inUse, cached int) { return b.mem.stats() }

// ptr returns the device address of t's values (0 for nil).
func (b *Backend) ptr(t *core.Tensor) uint64 {
	if t == nil {
		return 0
	}
	s, ok := t.Storage().(*buffer)
	if !ok || s.be != b {
		panic(fmt.Sprintf("%s: given a tensor %v on %s; move it with core.To or Tensor.MoveTo", b.device, t.Dims(), t.Device()))
	}
	return s.ptr
}

func (b *Backend) check(op string, err error) {
	if err != nil {
		panic(fmt.Sprintf("%s: %s: %v", b.device, op, err))
	}
}

// scratch is a temporary device buffer for host-side inputs of a kernel
// (ids, targets, segment ids); release returns it to the cache.
type scratch struct {
	b   *Backend
	ptr uint64
}

func (s scratch) release() {
	if s.ptr != 0 {
		s.b.mem.release(s.ptr)
	}
}

// upload copies a host slice of 4-byte values (int32 or float32) to a
// scratch buffer; an empty or nil slice gives address 0.
func upload[T int32 | float32](b *Backend, xs []T) scratch {
	if len(xs) == 0 {
		return scratch{b: b}
	}
	p, err := b.mem.alloc(4 * len(xs))
	b.check("scratch allocation", err)
	b.check("copy to device", b.drv.CopyHtoD(p, unsafe.Pointer(&xs[0]), 4*len(xs)))
	return scratch{b, p}
}

// download copies a scratch buffer of n 4-byte values to the host.
func download[T int32 | float32](b *Backend, s scratch, n int) []T {
	out := make([]T, n)
	if n > 0 {
		b.check("copy to host", b.drv.CopyDtoH(unsafe.Pointer(&out[0]), s.ptr, 4*n))
	}
	return out
}

// grid1 returns the blocks of a grid-stride launch over n elements with 256
// threads per block.
func grid1(n int) int { return max(1, min((n+255)/256, 4096)) }

// launch runs a kernel on a 1-D grid; see launch3.
func (b *Backend) launch(kernel string, grid, block, shared int, args ...any) {
	b.launch3(kernel, [3]uint32{uint32(grid), 1, 1}, [3]uint32{uint32(block), 1, 1}, shared, args...)
}

// launch3 runs a kernel with parameters of the exact C types: *core.Tensor
// (its device address), scratch, uint64, int32, int64, float32, and structs
// mirroring C structs. A plain int panics: its C width would be ambiguous.
func (b *Backend) launch3(kernel string, grid, block [3]uint32, shared int, args ...any) {
	params := make([]unsafe.Pointer, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case *core.Tensor:
			p := b.ptr(v)
			params[i] = unsafe.Pointer(&p)
		case scratch:
			p := v.ptr
			params[i] = unsafe.Pointer(&p)
		case uint64, int32, int64, float32, uint32:
			pv := reflect.New(reflect.TypeOf(v))
			pv.Elem().Set(reflect.ValueOf(v))
			params[i] = pv.UnsafePointer()
		case int:
			panic(fmt.Sprintf("cuda.launch %s: argument %d is a Go int; say int32 or int64", kernel, i))
		default:
			pv := reflect.New(reflect.TypeOf(v))
			pv.Elem().Set(reflect.ValueOf(v))
			params[i] = pv.UnsafePointer()
		}
	}
	if err := b.drv.Launch(kernel, grid, block, shared, params); err != nil {
		panic(fmt.Sprintf("%s: %v", b.device, err))
	}
	runtime.KeepAlive(args)
}
