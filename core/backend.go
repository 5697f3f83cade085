package core

import (
	"fmt"
	"sort"
	"sync"
)

// Backend is the list of primitive kernels a device implements. Operators in
// package ops compose these primitives and give each one backward rule; a new
// device implements only this interface. Kernels write into the tensors they
// are given (outputs are allocated by the caller, with the right shapes) and
// panic on misuse. "Accumulate" arguments add into the output instead of
// overwriting it, which is how backward rules sum gradients.
type Backend interface {
	Name() string
	Device() Device
	LinearAlgebra
	Elementwise
	Layout
	NeuralNet
	AttentionKernels
	ConvKernels
	QuantizeKernels
	OptimizerKernels
}

// GemmSpec describes a batched matrix product C = alpha·op(A)·op(B) + beta·C
// over contiguous row-major matrices; op(A) is M×K, op(B) is K×N, C is M×N.
// A batch stride of 0 reuses the same matrix for every batch element; parts of
// C between batch elements are left untouched; K = 0 gives C = beta·C.
type GemmSpec struct {
	Batch, M, N, K            int
	TransA, TransB            bool
	StrideA, StrideB, StrideC int
	Alpha, Beta               float32
}

// LinearAlgebra holds the matrix products.
type LinearAlgebra interface {
	Gemm(s GemmSpec, a, b, c *Tensor)
}

// UnaryOp names an elementwise function y = f(x; p).
type UnaryOp int

// The elementwise functions.
const (
	OpNeg UnaryOp = iota
	OpExp
	OpLog
	OpTanh
	OpSigmoid
	OpSiLU
	OpGELU // tanh approximation
	OpReLU
	OpSqrt
	OpSquare
	OpAbs
	OpScale     // p·x
	OpAddScalar // x + p
	OpPow       // x^p
)

// BinaryOp names a broadcasting binary function.
type BinaryOp int

// The binary functions.
const (
	OpAdd BinaryOp = iota
	OpSub
	OpMul
	OpDiv
)

// Elementwise holds pointwise kernels and reductions.
type Elementwise interface {
	// Unary sets out = f(x; p).
	Unary(op UnaryOp, p float32, x, out *Tensor)
	// UnaryBackward adds f'(x)·gy to gx; y = f(x) is given for ops whose
	// derivative is cheapest from the output.
	UnaryBackward(op UnaryOp, p float32, x, y, gy, gx *Tensor)
	// Binary sets out = a ∘ b with NumPy broadcasting; out has the broadcast shape.
	Binary(op BinaryOp, a, b, out *Tensor)
	// SumTo sets (or, with accumulate, adds to) out the sum of x over the
	// axes where out has size 1 (or is missing on the left): the adjoint of
	// broadcasting.
	SumTo(x, out *Tensor, accumulate bool)
	// SumSquares returns Σ x² in float64.
	SumSquares(x *Tensor) float64
}

// Layout holds data movement kernels.
type Layout interface {
	// Permute sets (or adds to) out = x with axes reordered: out axis i is x axis perm[i].
	Permute(x, out *Tensor, perm []int, accumulate bool)
	// CopyAxis copies n slices along axis from src starting at srcOff into dst
	// starting at dstOff (tensors agree on every other axis); accumulate adds.
	CopyAxis(src, dst *Tensor, axis, srcOff, dstOff, n int, accumulate bool)
	// GatherRows sets out[i] = table[ids[i]] for a 2-D table (rows of width D).
	GatherRows(table *Tensor, ids []int32, out *Tensor)
	// ScatterAddRows adds g[i] into table[ids[i]].
	ScatterAddRows(g *Tensor, ids []int32, table *Tensor)
}

// NeuralNet holds fused kernels of the network's layers. Every kernel works on
// rows: the last axis of size D, all leading axes flattened.
type NeuralNet interface {
	// Softmax sets y = softmax(x) (or log-softmax) over the last axis.
	Softmax(x, y *Tensor, log bool)
	// SoftmaxBackward adds the gradient through y = softmax(x) (or log-softmax) to gx.
	SoftmaxBackward(y, gy, gx *Tensor, log bool)
	// CrossEntropy computes, for logits of shape (N, V), targets and
	// per-token weights (nil = 1; target == ignore contributes nothing),
	// Σ wᵢ·(−log softmax(xᵢ)[tᵢ]) and Σ wᵢ over counted tokens, and writes
	// dlogits = wᵢ·(softmax(xᵢ) − onehot(tᵢ)) in the same pass (overwritten;
	// zero on ignored rows).
	CrossEntropy(logits *Tensor, targets []int32, weights []float32, ignore int32, dlogits *Tensor) (loss, weight float64)
	// RMSNorm sets y = x / rms(x) · w and stores 1/rms per row in rstd.
	RMSNorm(x, w, y, rstd *Tensor, eps float32)
	// RMSNormBackward adds the gradients to gx and gw (gw may be nil).
	RMSNormBackward(x, w, rstd, gy, gx, gw *Tensor)
	// LayerNorm sets y = (x − mean)/std · w + b; mean and rstd per row.
	LayerNorm(x, w, b, y, mean, rstd *Tensor, eps float32)
	// LayerNormBackward adds gradients to gx, gw, gb (gw, gb may be nil).
	LayerNormBackward(x, w, mean, rstd, gy, gx, gw, gb *Tensor)
	// SwiGLU sets y = silu(a)·b where x = [a | b] splits the last axis (2h) in halves.
	SwiGLU(x, y *Tensor)
	// SwiGLUBackward adds the gradient through SwiGLU to gx.
	SwiGLUBackward(x, gy, gx *Tensor)
	// RoPE rotates pairs (x[2i], x[2i+1]) of x (B, H, T, hd) by angle
	// pos·θᵢ, θᵢ = base^(−2i/hd), with pos from positions (B·T entries, nil =
	// 0…T−1). inverse rotates the other way (the backward rule). Accumulate adds.
	RoPE(x, out *Tensor, positions []int32, base float32, inverse, accumulate bool)
}

// AttentionKernels holds the fused masked attention.
type AttentionKernels interface {
	// Attention computes out = softmax(q·kᵀ·scale + mask)·v for q (B, H, Tq, hd),
	// k and v (B, H, Tk, hd), out (B, H, Tq, hd), without a Tq×Tk buffer.
	// lse (B, H, Tq) receives the log-sum-exp of each row for the backward
	// pass. If weights is non-nil (B, H, Tq, Tk) the attention probabilities
	// are written there for inspection. A nil mask is causal. A query that
	// sees no key gets a zero output row, lse −Inf, zero weights, and passes
	// no gradient; masked weights are 0.
	Attention(q, k, v *Tensor, mask *Mask, scale float32, out, lse, weights *Tensor)
	// AttentionBackward adds the gradients of q, k and v (any may be nil).
	AttentionBackward(q, k, v, out, lse, gout *Tensor, mask *Mask, scale float32, gq, gk, gv *Tensor)
}

// ConvKernels holds the image-to-column transforms behind conv2d.
type ConvKernels interface {
	// Im2Col unfolds x (B, C, H, W) into cols (B, C·KH·KW, OH·OW).
	Im2Col(x, cols *Tensor, kh, kw, stride, pad int)
	// Col2Im adds the columns back into gx (B, C, H, W): the adjoint of Im2Col.
	Col2Im(cols, gx *Tensor, kh, kw, stride, pad int)
}

// QuantizeKernels holds the vector-quantisation search.
type QuantizeKernels interface {
	// NearestCodes finds, for each row of x (N, D), the nearest row of the
	// codebook (K, D) in squared Euclidean distance: ids[i] and dist[i].
	NearestCodes(x, codebook *Tensor, ids []int32, dist []float32)
}

// AdamWConfig holds the hyper-parameters of one AdamW step.
type AdamWConfig struct {
	LR, Beta1, Beta2, Eps, WeightDecay float32
	Step                               int // 1-based, for bias correction
}

// OptimizerKernels holds parameter update kernels.
type OptimizerKernels interface {
	// AdamW updates p in place from gradient g and moments m, v (decoupled
	// weight decay, bias-corrected moments).
	AdamW(p, g, m, v *Tensor, c AdamWConfig)
}

var (
	backendsMu sync.Mutex
	backends   = map[Device]Backend{}
	lazy       = map[Device]*lazyBackend{}
)

// lazyBackend is a backend opened on first use (a GPU driver, an emulator
// that must be compiled); a failure to open is remembered.
type lazyBackend struct {
	open func() (Backend, error)
	once sync.Once
	b    Backend
	err  error
}

// RegisterLazy makes a device available whose backend is opened by open on
// first use; BackendFor returns open's error (such as "no CUDA driver") when
// it fails. Registering a device twice panics.
func RegisterLazy(d Device, open func() (Backend, error)) {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if _, dup := backends[d]; dup || lazy[d] != nil {
		panic("core.RegisterLazy: backend registered twice for device " + string(d))
	}
	lazy[d] = &lazyBackend{open: open}
}

// Register makes a backend available for its device. Backends register
// themselves from init; registering a device twice panics.
func Register(b Backend) {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if _, dup := backends[b.Device()]; dup || lazy[b.Device()] != nil {
		panic("core.Register: backend registered twice for device " + string(b.Device()))
	}
	backends[b.Device()] = b
}

// BackendFor returns the backend of a device.
func BackendFor(d Device) (Backend, error) {
	backendsMu.Lock()
	b, ok := backends[d]
	l := lazy[d]
	if !ok && l == nil {
		defer backendsMu.Unlock()
		return nil, fmt.Errorf("no backend for device %q (have %v)", d, devicesLocked())
	}
	backendsMu.Unlock()
	if ok {
		return b, nil
	}
	l.once.Do(func() {
		b, err := l.open()
		backendsMu.Lock() // OpenedBackend reads l.b under the lock
		l.b, l.err = b, err
		backendsMu.Unlock()
	})
	return l.b, l.err
}

// OpenedBackend returns the backend of d if it is open (registered with
// Register, or a lazy one already opened successfully), without opening it.
func OpenedBackend(d Device) (Backend, bool) {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if b, ok := backends[d]; ok {
		return b, true
	}
	if l := lazy[d]; l != nil && l.b != nil {
		return l.b, true
	}
	return nil, false
}

// Devices lists the registered devices.
func Devices() []Device {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	return devicesLocked()
}

func devicesLocked() []Device {
	var ds []Device
	for d := range backends {
		ds = append(ds, d)
	}
	for d := range lazy {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds
}

// BackendOf returns the backend for t's device, panicking if none is registered.
func BackendOf(t *Tensor) Backend {
	b, err := BackendFor(t.device)
	if err != nil {
		panic("core.BackendOf: " + err.Error())
	}
	return b
}
