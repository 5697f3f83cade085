package emu

import (
	"math"
	"testing"
	"unsafe"
)

// openKernels builds the backend's kernels or skips without a compiler.
func openKernels(t *testing.T) *Driver {
	t.Helper()
	d, err := Open(KernelSources())
	if err == ErrNoCompiler {
		t.Skip("no C++ compiler: skipping the CUDA emulator")
	}
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func upload(t *testing.T, d *Driver, xs []float32) uint64 {
	t.Helper()
	p, err := d.Alloc(4 * len(xs))
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) > 0 {
		if err := d.CopyHtoD(p, unsafe.Pointer(&xs[0]), 4*len(xs)); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func download(t *testing.T, d *Driver, p uint64, n int) []float32 {
	t.Helper()
	out := make([]float32, n)
	if err := d.CopyDtoH(unsafe.Pointer(&out[0]), p, 4*n); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUnaryExp runs one kernel end to end: exp of 1000 values over 4 blocks.
func TestUnaryExp(t *testing.T) {
	d := openKernels(t)
	n := 1000
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = float32(i)/100 - 5
	}
	x, y := upload(t, d, xs), upload(t, d, make([]float32, n))
	op, p, nn := int32(1), float32(0), int64(n)
	err := d.Launch("unary_fwd", [3]uint32{4, 1, 1}, [3]uint32{256, 1, 1}, 0,
		[]unsafe.Pointer{unsafe.Pointer(&op), unsafe.Pointer(&p), unsafe.Pointer(&x), unsafe.Pointer(&y), unsafe.Pointer(&nn)})
	if err != nil {
		t.Fatal(err)
	}
	got := download(t, d, y, n)
	for i, v := range got {
		if want := math.Exp(float64(xs[i])); math.Abs(float64(v)-want) > 1e-6*want {
			t.Fatalf("exp(%g) = %g, want %g", xs[i], v, want)
		}
	}
}
