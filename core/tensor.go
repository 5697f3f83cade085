package core

import (
	"fmt"
	"math"
	"strings"
)

// Device names where a tensor's storage lives.
type Device string

// CPU is the host device; its storage is Tensor.Data.
const CPU Device = "cpu"

// Tensor is an n-dimensional float32 array, contiguous and row-major, with an
// optional gradient. Tensors created by operators while gradients are enabled
// remember how they were made so that Backward can run the chain rule.
type Tensor struct {
	// Data is the tensor's storage on the CPU, len(Data) == product(shape).
	Data []float32

	storage      Storage // device memory when Data is nil (see DeviceMemory)
	shape        []int
	device       Device
	requiresGrad bool
	grad         *Tensor
	node         *node
	name         string
}

// New returns a tensor with the given data and shape. It panics if the data
// length does not match the shape. The tensor takes ownership of data.
func New(data []float32, shape ...int) *Tensor {
	n := checkShape("core.New", shape)
	if len(data) != n {
		panic(fmt.Sprintf("core.New: %d values for shape %v (want %d)", len(data), copyShape(shape), n))
	}
	return header(data, nil, shape, CPU)
}

// header returns a new tensor header with a copy of shape: from the active
// arena's slabs (valid until its Reset) or from the heap.
func header(data []float32, storage Storage, shape []int, device Device) *Tensor {
	if a := activeArena.Load(); a != nil {
		a.mu.Lock()
		t := &a.tensors.take(1)[0]
		sh := a.ints.take(len(shape))
		a.mu.Unlock()
		copy(sh, shape)
		t.Data, t.storage, t.shape, t.device = data, storage, sh, device
		return t
	}
	return &Tensor{Data: data, storage: storage, shape: append([]int(nil), shape...), device: device}
}

// Zeros returns a tensor of zeros.
func Zeros(shape ...int) *Tensor {
	n := checkShape("core.Zeros", shape)
	return header(floats(n, true), nil, shape, CPU)
}

// Empty returns a tensor whose values are unspecified (zeros outside an
// Arena): for outputs that a kernel overwrites completely.
func Empty(shape ...int) *Tensor {
	n := checkShape("core.Empty", shape)
	return header(floats(n, false), nil, shape, CPU)
}

// Full returns a tensor filled with v.
func Full(v float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = v
	}
	return t
}

// Ones returns a tensor of ones.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// Scalar returns a 0-dimensional tensor holding v.
func Scalar(v float32) *Tensor {
	t := Empty() // from the active arena inside one
	t.Data[0] = v
	return t
}

// ZerosLike returns zeros with the shape of t.
func ZerosLike(t *Tensor) *Tensor { return ZerosOn(t.device, t.shape...) }

func checkShape(op string, shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("%s: negative dimension in shape %v", op, copyShape(shape)))
		}
		if d > 0 && n > math.MaxInt32*4/d {
			panic(fmt.Sprintf("%s: shape %v is too large", op, copyShape(shape)))
		}
		n *= d
	}
	return n
}

// copyShape returns a heap copy of shape for an error message, so that the
// shape a caller passes (often a variadic argument) stays on its stack.
func copyShape(shape []int) []int { return append([]int(nil), shape...) }

// Shape returns a copy of the tensor's shape.
func (t *Tensor) Shape() []int { return append([]int(nil), t.shape...) }

// Dims returns the tensor's shape without copying; callers must not modify it.
func (t *Tensor) Dims() []int { return t.shape }

// Rank returns the number of dimensions.
func (t *Tensor) Rank() int { return len(t.shape) }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	if i < 0 || i >= len(t.shape) {
		panic(fmt.Sprintf("core.Tensor.Dim: axis %d out of range for shape %v", i, t.shape))
	}
	return t.shape[i]
}

// Len returns the number of elements.
func (t *Tensor) Len() int {
	if t.storage != nil {
		return t.storage.Len()
	}
	return len(t.Data)
}

// Device returns where the tensor's storage lives.
func (t *Tensor) Device() Device { return t.device }

// Name returns the tensor's name (set for parameters), or "".
func (t *Tensor) Name() string { return t.name }

// SetName names the tensor and returns it.
func (t *Tensor) SetName(name string) *Tensor { t.name = name; return t }

// Item returns the single value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if t.Len() != 1 {
		panic(fmt.Sprintf("core.Tensor.Item: tensor of shape %v has %d elements", t.shape, t.Len()))
	}
	return t.HostData()[0]
}

// At returns the element at the given index.
func (t *Tensor) At(idx ...int) float32 { return t.Data[t.offset("At", idx)] }

// Set sets the element at the given index.
func (t *Tensor) Set(v float32, idx ...int) { t.Data[t.offset("Set", idx)] = v }

func (t *Tensor) offset(op string, idx []int) int {
	if len(idx) != len(t.shape) {
		panic(fmt.Sprintf("core.Tensor.%s: %d indices for shape %v", op, len(idx), t.shape))
	}
	off := 0
	for i, x := range idx {
		if x < 0 || x >= t.shape[i] {
			panic(fmt.Sprintf("core.Tensor.%s: index %v out of range for shape %v", op, idx, t.shape))
		}
		off = off*t.shape[i] + x
	}
	return off
}

// Clone returns a copy of t's values that does not require gradients.
func (t *Tensor) Clone() *Tensor {
	if t.storage != nil {
		m, err := memoryOf(t.device)
		if err != nil {
			panic("core.Tensor.Clone: " + err.Error())
		}
		c := m.Zeros(t.shape...)
		m.Copy(c, t)
		c.name = t.name
		return c
	}
	return &Tensor{Data: append([]float32(nil), t.Data...), shape: t.Shape(), device: t.device, name: t.name}
}

// Detach returns a tensor sharing t's storage but cut from the graph: no
// gradient flows through it.
func (t *Tensor) Detach() *Tensor {
	return header(t.Data, t.storage, t.shape, t.device)
}

// View returns a tensor sharing t's storage with another shape of the same
// size, outside the graph. Operators use it; users want ops.Reshape.
func (t *Tensor) View(shape ...int) *Tensor {
	if n := checkShape("core.Tensor.View", shape); n != t.Len() {
		panic(fmt.Sprintf("core.Tensor.View: cannot view shape %v as %v", t.shape, copyShape(shape)))
	}
	return header(t.Data, t.storage, shape, t.device)
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b *Tensor) bool { return EqualShapes(a.shape, b.shape) }

// EqualShapes reports whether two shapes are identical.
func EqualShapes(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// String describes the tensor: shape, statistics and a short preview.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v float32", t.shape)
	if t.device != CPU {
		fmt.Fprintf(&b, " on %s", t.device)
	}
	if t.requiresGrad {
		b.WriteString(" grad")
	}
	if t.Len() == 0 {
		return b.String()
	}
	data := t.HostData()
	s := Stats(data)
	fmt.Fprintf(&b, " min=%.4g max=%.4g mean=%.4g std=%.4g", s.Min, s.Max, s.Mean, s.Std)
	if s.NaN > 0 {
		fmt.Fprintf(&b, " nan=%d", s.NaN)
	}
	b.WriteString(" [")
	for i, v := range data {
		if i == 6 {
			b.WriteString(" …")
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.4g", v)
	}
	b.WriteByte(']')
	return b.String()
}

// Summary holds simple statistics of a slice of values (NaNs excluded).
type Summary struct {
	Min, Max, Mean, Std float64
	NaN                 int
}

// Stats returns the statistics of xs.
func Stats(xs []float32) Summary {
	s := Summary{Min: math.Inf(1), Max: math.Inf(-1)}
	var sum, sq float64
	n := 0
	for _, v := range xs {
		f := float64(v)
		if math.IsNaN(f) {
			s.NaN++
			continue
		}
		n++
		sum += f
		sq += f * f
		s.Min = math.Min(s.Min, f)
		s.Max = math.Max(s.Max, f)
	}
	if n > 0 {
		s.Mean = sum / float64(n)
		s.Std = math.Sqrt(math.Max(0, sq/float64(n)-s.Mean*s.Mean))
	}
	return s
}
