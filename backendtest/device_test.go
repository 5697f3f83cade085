package backendtest

import (
	"math"
	"strings"
	"testing"

	"xprompt/core"
	"xprompt/ops"
)

// fakeDevice is a backend with its own memory, to test the Transfer hook: a
// device tensor's Data holds NaNs, its values live in mem, and every kernel
// swaps them in for the call. A host tensor given to a kernel panics, and an
// output read without ToHost reads NaNs, so the suite passes on it only if
// it uploads every input and downloads every output.
type fakeDevice struct {
	core.Backend
	mem       map[*core.Tensor][]float32
	poison    map[*core.Tensor][]float32
	transfers int
}

func newFakeDevice() *fakeDevice {
	return &fakeDevice{Backend: ops.CPU, mem: map[*core.Tensor][]float32{}, poison: map[*core.Tensor][]float32{}}
}

func (f *fakeDevice) Name() string        { return "fake" }
func (f *fakeDevice) Device() core.Device { return "fake" }

func (f *fakeDevice) ToDevice(t *core.Tensor) *core.Tensor {
	f.transfers++
	nan := make([]float32, t.Len())
	for i := range nan {
		nan[i] = float32(math.NaN())
	}
	d := core.New(nan, t.Shape()...)
	f.mem[d], f.poison[d] = append([]float32(nil), t.Data...), nan
	return d
}

func (f *fakeDevice) ToHost(t *core.Tensor) *core.Tensor {
	f.transfers++
	m, ok := f.mem[t]
	if !ok {
		panic("fakeDevice.ToHost: not a device tensor")
	}
	return core.New(append([]float32(nil), m...), t.Shape()...)
}

// enter gives the kernel the device values of ts (nil entries are skipped)
// and returns the function that takes them back.
func (f *fakeDevice) enter(ts ...*core.Tensor) func() {
	for _, t := range ts {
		if t == nil {
			continue
		}
		m, ok := f.mem[t]
		if !ok {
			panic("fakeDevice: kernel given a host tensor")
		}
		t.Data = m
	}
	return func() {
		for _, t := range ts {
			if t != nil {
				t.Data = f.poison[t]
			}
		}
	}
}

func (f *fakeDevice) Gemm(s core.GemmSpec, a, b, c *core.Tensor) {
	defer f.enter(a, b, c)()
	f.Backend.Gemm(s, a, b, c)
}

func (f *fakeDevice) Unary(op core.UnaryOp, p float32, x, out *core.Tensor) {
	defer f.enter(x, out)()
	f.Backend.Unary(op, p, x, out)
}

func (f *fakeDevice) UnaryBackward(op core.UnaryOp, p float32, x, y, gy, gx *core.Tensor) {
	defer f.enter(x, y, gy, gx)()
	f.Backend.UnaryBackward(op, p, x, y, gy, gx)
}

func (f *fakeDevice) Binary(op core.BinaryOp, a, b, out *core.Tensor) {
	defer f.enter(a, b, out)()
	f.Backend.Binary(op, a, b, out)
}

func (f *fakeDevice) SumTo(x, out *core.Tensor, acc bool) {
	defer f.enter(x, out)()
	f.Backend.SumTo(x, out, acc)
}

func (f *fakeDevice) SumSquares(x *core.Tensor) float64 {
	defer f.enter(x)()
	return f.Backend.SumSquares(x)
}

func (f *fakeDevice) Permute(x, out *core.Tensor, perm []int, acc bool) {
	defer f.enter(x, out)()
	f.Backend.Permute(x, out, perm, acc)
}

func (f *fakeDevice) CopyAxis(src, dst *core.Tensor, axis, srcOff, dstOff, n int, acc bool) {
	defer f.enter(src, dst)()
	f.Backend.CopyAxis(src, dst, axis, srcOff, dstOff, n, acc)
}

func (f *fakeDevice) GatherRows(table *core.Tensor, ids []int32, out *core.Tensor) {
	defer f.enter(table, out)()
	f.Backend.GatherRows(table, ids, out)
}

func (f *fakeDevice) ScatterAddRows(g *core.Tensor, ids []int32, table *core.Tensor) {
	defer f.enter(g, table)()
	f.Backend.ScatterAddRows(g, ids, table)
}

func (f *fakeDevice) Softmax(x, y *core.Tensor, log bool) {
	defer f.enter(x, y)()
	f.Backend.Softmax(x, y, log)
}

func (f *fakeDevice) SoftmaxBackward(y, gy, gx *core.Tensor, log bool) {
	defer f.enter(y, gy, gx)()
	f.Backend.SoftmaxBackward(y, gy, gx, log)
}

func (f *fakeDevice) CrossEntropy(x *core.Tensor, t []int32, w []float32, ignore int32, d *core.Tensor) (float64, float64) {
	defer f.enter(x, d)()
	return f.Backend.CrossEntropy(x, t, w, ignore, d)
}

func (f *fakeDevice) RMSNorm(x, w, y, rstd *core.Tensor, eps float32) {
	defer f.enter(x, w, y, rstd)()
	f.Backend.RMSNorm(x, w, y, rstd, eps)
}

func (f *fakeDevice) RMSNormBackward(x, w, rstd, gy, gx, gw *core.Tensor) {
	defer f.enter(x, w, rstd, gy, gx, gw)()
	f.Backend.RMSNormBackward(x, w, rstd, gy, gx, gw)
}

func (f *fakeDevice) LayerNorm(x, w, b, y, mean, rstd *core.Tensor, eps float32) {
	defer f.enter(x, w, b, y, mean, rstd)()
	f.Backend.LayerNorm(x, w, b, y, mean, rstd, eps)
}

func (f *fakeDevice) LayerNormBackward(x, w, mean, rstd, gy, gx, gw, gb *core.Tensor) {
	defer f.enter(x, w, mean, rstd, gy, gx, gw, gb)()
	f.Backend.LayerNormBackward(x, w, mean, rstd, gy, gx, gw, gb)
}

func (f *fakeDevice) SwiGLU(x, y *core.Tensor) {
	defer f.enter(x, y)()
	f.Backend.SwiGLU(x, y)
}

func (f *fakeDevice) SwiGLUBackward(x, gy, gx *core.Tensor) {
	defer f.enter(x, gy, gx)()
	f.Backend.SwiGLUBackward(x, gy, gx)
}

func (f *fakeDevice) RoPE(x, out *core.Tensor, pos []int32, base float32, inverse, acc bool) {
	defer f.enter(x, out)()
	f.Backend.RoPE(x, out, pos, base, inverse, acc)
}

func (f *fakeDevice) Attention(q, k, v *core.Tensor, m *core.Mask, scale float32, out, lse, w *core.Tensor) {
	defer f.enter(q, k, v, out, lse, w)()
	f.Backend.Attention(q, k, v, m, scale, out, lse, w)
}

func (f *fakeDevice) AttentionBackward(q, k, v, out, lse, gout *core.Tensor, m *core.Mask, scale float32, gq, gk, gv *core.Tensor) {
	defer f.enter(q, k, v, out, lse, gout, gq, gk, gv)()
	f.Backend.AttentionBackward(q, k, v, out, lse, gout, m, scale, gq, gk, gv)
}

func (f *fakeDevice) Im2Col(x, cols *core.Tensor, kh, kw, stride, pad int) {
	defer f.enter(x, cols)()
	f.Backend.Im2Col(x, cols, kh, kw, stride, pad)
}

func (f *fakeDevice) Col2Im(cols, gx *core.Tensor, kh, kw, stride, pad int) {
	defer f.enter(cols, gx)()
	f.Backend.Col2Im(cols, gx, kh, kw, stride, pad)
}

func (f *fakeDevice) NearestCodes(x, book *core.Tensor, ids []int32, dist []float32) {
	defer f.enter(x, book)()
	f.Backend.NearestCodes(x, book, ids, dist)
}

func (f *fakeDevice) AdamW(p, g, m, v *core.Tensor, c core.AdamWConfig) {
	defer f.enter(p, g, m, v)()
	f.Backend.AdamW(p, g, m, v, c)
}

// TestTransferHook runs the suite on the fake device: it passes only if every
// tensor goes through ToDevice and every output comes back through ToHost.
func TestTransferHook(t *testing.T) {
	f := newFakeDevice()
	if _, ok := TransferFor(f).(*fakeDevice); !ok {
		t.Fatalf("TransferFor(fake device) = %T, want the backend itself", TransferFor(f))
	}
	if _, ok := TransferFor(ops.CPU).(HostTransfer); !ok {
		t.Fatalf("TransferFor(ops.CPU) = %T, want HostTransfer", TransferFor(ops.CPU))
	}
	Run(t, f)
	if f.transfers == 0 {
		t.Error("the suite never called ToDevice or ToHost")
	}
}

// TestFakeDeviceIsStrict checks that the fake device catches the two
// mistakes TestTransferHook relies on it to catch.
func TestFakeDeviceIsStrict(t *testing.T) {
	f := newFakeDevice()
	x := f.ToDevice(core.New([]float32{1, 2, 3}, 3))
	if !math.IsNaN(float64(x.Data[0])) {
		t.Errorf("device tensor reads %v on the host, want NaNs", x.Data)
	}
	if got := f.ToHost(x).Data; got[2] != 3 {
		t.Errorf("ToHost = %v, want [1 2 3]", got)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "host tensor") {
			t.Errorf("a host tensor given to a kernel: recover() = %v, want a panic naming the host tensor", r)
		}
	}()
	f.Unary(core.OpNeg, 0, x, core.Zeros(3))
}
