package core

import "fmt"

// Storage is device memory holding a tensor's values when they do not live in
// host memory: such a tensor has Data == nil and its backend implements
// DeviceMemory. A backend's kernels find their device pointers through it.
type Storage interface {
	// Device returns where the values live.
	Device() Device
	// Len returns the number of float32 values.
	Len() int
}

// DeviceMemory is implemented by backends whose tensors live in their own
// memory. Operators allocate outputs through it (ZerosOn); moving tensors
// between the host and the device goes through ToDevice and ToHost.
type DeviceMemory interface {
	// Zeros returns a tensor of zeros of the given shape on the device.
	Zeros(shape ...int) *Tensor
	// ToDevice returns a device copy of the host tensor t.
	ToDevice(t *Tensor) *Tensor
	// ToHost returns a host copy (values in Data) of the device tensor t.
	ToHost(t *Tensor) *Tensor
	// Copy copies src's values into dst on the device (same size).
	Copy(dst, src *Tensor)
}

// FromStorage returns a tensor of the given shape whose values live in s.
// Backends use it to wrap their allocations.
func FromStorage(s Storage, shape ...int) *Tensor {
	if n := checkShape("core.FromStorage", shape); n != s.Len() {
		panic(fmt.Sprintf("core.FromStorage: storage of %d values for shape %v", s.Len(), copyShape(shape)))
	}
	return &Tensor{storage: s, shape: append([]int(nil), shape...), device: s.Device()}
}

// Storage returns the device storage of t, or nil for a host tensor.
func (t *Tensor) Storage() Storage { return t.storage }

// memoryOf returns the DeviceMemory of device d.
func memoryOf(d Device) (DeviceMemory, error) {
	b, err := BackendFor(d)
	if err != nil {
		return nil, err
	}
	m, ok := b.(DeviceMemory)
	if !ok {
		return nil, fmt.Errorf("backend %s has no device memory", d)
	}
	return m, nil
}

// ZerosOn returns a tensor of zeros on device d; operators allocate their
// outputs with it, on the device of their inputs. It panics if d has no
// backend (a tensor cannot be on such a device).
func ZerosOn(d Device, shape ...int) *Tensor {
	if d == CPU {
		return Zeros(shape...)
	}
	m, err := memoryOf(d)
	if err != nil {
		panic("core.ZerosOn: " + err.Error())
	}
	return m.Zeros(copyShape(shape)...) // an interface call: shape would escape
}

// To returns a copy of t's values on device d (t itself if it is there
// already), outside the graph.
func To(t *Tensor, d Device) (*Tensor, error) {
	if t.device == d {
		return t, nil
	}
	h := t
	if t.device != CPU {
		m, err := memoryOf(t.device)
		if err != nil {
			return nil, err
		}
		h = m.ToHost(t)
	}
	if d == CPU {
		return h, nil
	}
	m, err := memoryOf(d)
	if err != nil {
		return nil, err
	}
	return m.ToDevice(h), nil
}

// HostData returns t's values in host memory: Data itself for a host tensor,
// a downloaded copy for a device tensor.
func (t *Tensor) HostData() []float32 {
	if t.storage == nil {
		return t.Data
	}
	h, err := To(t, CPU)
	if err != nil {
		panic("core.Tensor.HostData: " + err.Error())
	}
	return h.Data
}

// MoveTo moves t's values (and its gradient, if any) to device d in place, so
// that every holder of t (a model's layers, an optimizer) sees the move.
func (t *Tensor) MoveTo(d Device) error {
	if t.device == d {
		return nil
	}
	m, err := To(t, d)
	if err != nil {
		return err
	}
	t.Data, t.storage, t.device = m.Data, m.storage, m.device
	if t.grad != nil {
		return t.grad.MoveTo(d)
	}
	return nil
}

// MoveAll moves every tensor to device d in place: a model's parameters, an
// optimizer's moments or a KV cache in one call.
func MoveAll(d Device, ts ...*Tensor) error {
	for _, t := range ts {
		if t == nil {
			continue
		}
		if err := t.MoveTo(d); err != nil {
			return fmt.Errorf("moving %s to %s: %w", t.name, d, err)
		}
	}
	return nil
}

// MoveTo moves every parameter (and gradient) to device d in place.
func (p *Params) MoveTo(d Device) error { return MoveAll(d, p.List()...) }

// DeviceEnv names the environment variable that selects the device of
// commands that run the model (their --device flag overrides it).
const DeviceEnv = "XPROMPT_DEVICE"

// AutoPreference lists the devices "auto" tries, in order, before the CPU.
var AutoPreference = []Device{"cuda"}

// ResolveDevice turns a device name into a usable device: "auto" (or "")
// picks the first device of AutoPreference whose backend opens, else the
// CPU; any other name must have a backend that opens, and the error of one
// that does not (such as "cuda: no CUDA driver …") is returned as it is.
func ResolveDevice(name string) (Device, error) {
	if name == "" || name == "auto" {
		for _, d := range AutoPreference {
			if _, err := BackendFor(d); err == nil {
				return d, nil
			}
		}
		return CPU, nil
	}
	if _, err := BackendFor(Device(name)); err != nil {
		return "", err
	}
	return Device(name), nil
}

// EmptyOn is Empty on device d: a tensor whose values a kernel will
// overwrite (zeros on devices, which allocate through DeviceMemory.Zeros).
func EmptyOn(d Device, shape ...int) *Tensor {
	if d == CPU {
		return Empty(shape...)
	}
	return ZerosOn(d, shape...)
}
