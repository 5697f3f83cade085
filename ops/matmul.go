package ops

import (
	"fmt"

	"xprompt/core"
)

// MatMul returns a·b. a is (…, M, K); b is (…, K, N) with the same leading
// axes, or a 2-D (K, N) matrix shared across a's leading axes.
func MatMul(a, b *core.Tensor) *core.Tensor { return MatMulT(a, b, false, false) }

// MatMulT returns op(a)·op(b), where op transposes the last two axes when
// the flag is set. Shapes follow MatMul.
func MatMulT(a, b *core.Tensor, transA, transB bool) *core.Tensor {
	if a.Rank() < 2 || b.Rank() < 2 {
		panic(fmt.Sprintf("ops.MatMul: need matrices, got %v and %v", a.Dims(), b.Dims()))
	}
	ar, br := a.Rank(), b.Rank()
	m, k := a.Dim(-2), a.Dim(-1)
	if transA {
		m, k = k, m
	}
	kb, n := b.Dim(-2), b.Dim(-1)
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("ops.MatMul: inner dimensions differ: %v%s · %v%s", a.Dims(), tr(transA), b.Dims(), tr(transB)))
	}
	batch := a.Len() / max(a.Dim(-2)*a.Dim(-1), 1)
	shared := br == 2
	if !shared {
		if !core.EqualShapes(a.Dims()[:ar-2], b.Dims()[:br-2]) {
			panic(fmt.Sprintf("ops.MatMul: batch axes differ: %v · %v", a.Dims(), b.Dims()))
		}
	}
	shape := stepInts(a.Dims()...)
	shape[ar-2], shape[ar-1] = m, n
	out := core.EmptyOn(a.Device(), shape...) // Gemm with beta 0 writes every value
	be := backendOf(a, b)
	strideB := k * n
	if shared {
		strideB = 0
	}
	fold := shared && !transA // fold the batch into M: one large GEMM
	spec := core.GemmSpec{Batch: batch, M: m, N: n, K: k, TransA: transA, TransB: transB,
		StrideA: m * k, StrideB: strideB, StrideC: m * n, Alpha: 1}
	if fold {
		spec = core.GemmSpec{Batch: 1, M: batch * m, N: n, K: k, TransB: transB, Alpha: 1}
	}
	be.Gemm(spec, a, b, out)
	return recordArgs(out, "matmul", matmulRule{be, a, b, batch, m, n, k, strideB, transA, transB, shared, fold}, func(r *matmulRule, g *core.Tensor) {
		be, a, b, batch, m, n, k, strideB, transA, transB, shared, fold := r.be, r.a, r.b, r.batch, r.m, r.n, r.k, r.strideB, r.transA, r.transB, r.shared, r.fold
		// C = op(A)·op(B): dop(A) = G·op(B)ᵀ, dop(B) = op(A)ᵀ·G.
		// A gradient made here is written (beta 0), an existing one added to.
		if a.RequiresGrad() {
			ga, beta := gradTarget(a)
			if fold {
				be.Gemm(core.GemmSpec{Batch: 1, M: batch * m, N: k, K: n, TransB: !transB, Alpha: 1, Beta: beta}, g, b, ga)
			} else if !transA { // dA (m×k) = G·op(B)ᵀ
				be.Gemm(core.GemmSpec{Batch: batch, M: m, N: k, K: n, TransB: !transB,
					StrideA: m * n, StrideB: strideB, StrideC: m * k, Alpha: 1, Beta: beta}, g, b, ga)
			} else { // A is k×m: dA = op(B)·Gᵀ
				be.Gemm(core.GemmSpec{Batch: batch, M: k, N: m, K: n, TransA: transB, TransB: true,
					StrideA: strideB, StrideB: m * n, StrideC: m * k, Alpha: 1, Beta: beta}, b, g, ga)
			}
		}
		if b.RequiresGrad() {
			if shared && transA { // sum over the batch one product at a time
				gb := b.EnsureGrad()
				for i := 0; i < batch; i++ {
					gemmBackBShared(be, a, g, gb, i, m, n, k, transA, transB)
				}
				return
			}
			gb, beta := gradTarget(b)
			if shared { // sum over the batch: fold it into the reduction axis
				if !transB { // dB (k×n) = Aᵀ·G over all rows
					be.Gemm(core.GemmSpec{Batch: 1, M: k, N: n, K: batch * m, TransA: true, Alpha: 1, Beta: beta}, a, g, gb)
				} else { // B is n×k: dB = Gᵀ·A
					be.Gemm(core.GemmSpec{Batch: 1, M: n, N: k, K: batch * m, TransA: true, Alpha: 1, Beta: beta}, g, a, gb)
				}
			} else if !transB { // dB (k×n) = op(A)ᵀ·G
				be.Gemm(core.GemmSpec{Batch: batch, M: k, N: n, K: m, TransA: !transA,
					StrideA: m * k, StrideB: m * n, StrideC: k * n, Alpha: 1, Beta: beta}, a, g, gb)
			} else { // B is n×k: dB = Gᵀ·op(A)
				be.Gemm(core.GemmSpec{Batch: batch, M: n, N: k, K: m, TransA: true, TransB: transA,
					StrideA: m * n, StrideB: m * k, StrideC: k * n, Alpha: 1, Beta: beta}, g, a, gb)
			}
		}
	}, a, b)
}

// gradTarget returns the tensor a backward rule writes t's gradient into and
// the factor for what it holds: t's gradient with beta 1 (add to it), or, when
// t has none yet, fresh unset storage that becomes its gradient, with beta 0
// (overwrite it). It saves zeroing and re-reading a buffer of t's size.
func gradTarget(t *core.Tensor) (g *core.Tensor, beta float32) {
	if g := t.Grad(); g != nil {
		return g, 1
	}
	t.AdoptGrad(core.EmptyOn(t.Device(), t.Dims()...))
	return t.Grad(), 0
}

// gemmBackBShared accumulates batch element i's contribution to the gradient
// of a shared B when A is transposed.
func gemmBackBShared(be core.Backend, a, g, gb *core.Tensor, i, m, n, k int, transA, transB bool) {
	ai := batchSlice(be, a, i, k, m)
	gi := batchSlice(be, g, i, m, n)
	if !transB { // dB (k×n) = op(A)ᵀ·G = A_i(k×m)·G
		be.Gemm(core.GemmSpec{Batch: 1, M: k, N: n, K: m, Alpha: 1, Beta: 1}, ai, gi, gb)
	} else { // dB (n×k) = Gᵀ·A_iᵀ
		be.Gemm(core.GemmSpec{Batch: 1, M: n, N: k, K: m, TransA: true, TransB: true, Alpha: 1, Beta: 1}, gi, ai, gb)
	}
}

func tr(t bool) string {
	if t {
		return "ᵀ"
	}
	return ""
}

// Linear returns x·wᵀ for x (…, in) and weights w (out, in), the layout of
// PyTorch's nn.Linear.
func Linear(x, w *core.Tensor) *core.Tensor {
	if w.Rank() != 2 || x.Rank() < 1 || x.Dim(-1) != w.Dim(1) {
		panic(fmt.Sprintf("ops.Linear: x %v with weight %v (want weight (out, %d))", x.Dims(), w.Dims(), x.Dim(-1)))
	}
	if x.Rank() == 1 {
		return Reshape(MatMulT(Reshape(x, 1, -1), w, false, true), -1)
	}
	return MatMulT(x, w, false, true)
}

// matmulRule is what a backward rule needs (see recordArgs).
type matmulRule struct {
	be                           core.Backend
	a, b                         *core.Tensor
	batch, m, n, k, strideB      int
	transA, transB, shared, fold bool
}
