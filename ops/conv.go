package ops

import (
	"fmt"

	"xprompt/core"
)

// Conv2d returns the 2-D cross-correlation of x (B, C, H, W) with filters
// w (O, C, KH, KW) plus an optional bias b (O) (nil for none):
//
//	out[n,o,i,j] = b[o] + Σ_{c,p,q} w[o,c,p,q] · x[n, c, i·stride+p−pad, j·stride+q−pad]
//
// with zeros outside x. The result is (B, O, OH, OW), OH = (H+2·pad−KH)/stride + 1
// (likewise OW). It unfolds x with the backend's Im2Col and multiplies with one
// batched Gemm, out_n (O, OH·OW) = W (O, C·KH·KW) · cols_n (C·KH·KW, OH·OW);
// the backward pass uses the transposed products and Col2Im. A 1×1 filter
// with stride 1 and no padding skips the unfolding.
func Conv2d(x, w, b *core.Tensor, stride, pad int) *core.Tensor {
	if x.Rank() != 4 || w.Rank() != 4 || x.Dim(1) != w.Dim(1) || stride < 1 || pad < 0 {
		panic(fmt.Sprintf("ops.Conv2d: x %v (want B,C,H,W), w %v (want O,C,KH,KW), stride %d, pad %d", x.Dims(), w.Dims(), stride, pad))
	}
	bn, c, h, wd := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	o, kh, kw := w.Dim(0), w.Dim(2), w.Dim(3)
	if b != nil && b.Len() != o {
		panic(fmt.Sprintf("ops.Conv2d: bias %v for %d output channels", b.Dims(), o))
	}
	oh, ow := convOut(h, kh, stride, pad), convOut(wd, kw, stride, pad)
	if oh < 1 || ow < 1 {
		panic(fmt.Sprintf("ops.Conv2d: x %v with kernel %d×%d, stride %d, pad %d gives an empty output", x.Dims(), kh, kw, stride, pad))
	}
	be := backendOf(x, w, b)
	k, p := c*kh*kw, oh*ow
	direct := kh == 1 && kw == 1 && stride == 1 && pad == 0
	var cols *core.Tensor
	if direct {
		cols = x.Detach().View(bn, k, p)
	} else {
		cols = core.ZerosOn(x.Device(), bn, k, p)
		be.Im2Col(x, cols, kh, kw, stride, pad)
	}
	out := core.ZerosOn(x.Device(), bn, o, oh, ow)
	be.Gemm(core.GemmSpec{Batch: bn, M: o, N: p, K: k, StrideA: 0, StrideB: k * p, StrideC: o * p, Alpha: 1}, w, cols, out)
	if b != nil { // rows of OH·OW values share a bias
		o3 := out.View(bn, o, p)
		be.Binary(core.OpAdd, o3, b.View(1, o, 1), o3)
	}
	inputs := []*core.Tensor{x, w}
	if b != nil {
		inputs = append(inputs, b)
	}
	return core.Record(out, "conv2d", inputs, func(g *core.Tensor) {
		if w.RequiresGrad() { // dW (O, K) += Σ_n G_n (O, P) · cols_nᵀ (P, K)
			gw := w.EnsureGrad()
			for n := 0; n < bn; n++ {
				gn := batchSlice(be, g, n, o, p)
				cn := batchSlice(be, cols, n, k, p)
				be.Gemm(core.GemmSpec{Batch: 1, M: o, N: k, K: p, TransB: true, Alpha: 1, Beta: 1}, gn, cn, gw)
			}
		}
		if b != nil && b.RequiresGrad() {
			be.SumTo(g.View(bn, o, p), b.EnsureGrad().View(1, o, 1), true)
		}
		if x.RequiresGrad() { // dcols_n (K, P) = Wᵀ (K, O) · G_n (O, P), folded back by Col2Im
			spec := core.GemmSpec{Batch: bn, M: k, N: p, K: o, TransA: true, StrideA: 0, StrideB: o * p, StrideC: k * p, Alpha: 1}
			if direct {
				spec.Beta = 1
				be.Gemm(spec, w, g, x.EnsureGrad())
				return
			}
			// The weight gradient above was the last use of cols: reuse it.
			be.Gemm(spec, w, g, cols)
			be.Col2Im(cols, x.EnsureGrad(), kh, kw, stride, pad)
		}
	})
}

// GroupNorm normalises x (B, C, …) over groups of C/groups channels and all
// spatial positions, then applies a per-channel affine map:
//
//	y[n,c,…] = (x[n,c,…] − μ[n,g]) / √(σ²[n,g] + eps) · w[c] + b[c],  g = c / (C/groups)
//
// w and b (C) may be nil (no scale, no shift). It is composed from Reshape,
// LayerNorm without affine parameters, Mul and Add, so its gradient follows.
func GroupNorm(x, w, b *core.Tensor, groups int, eps float32) *core.Tensor {
	if x.Rank() < 2 || groups < 1 || x.Dim(1)%groups != 0 {
		panic(fmt.Sprintf("ops.GroupNorm: x %v with %d groups (need rank ≥ 2 and C divisible by groups)", x.Dims(), groups))
	}
	c := x.Dim(1)
	if (w != nil && w.Len() != c) || (b != nil && b.Len() != c) {
		panic(fmt.Sprintf("ops.GroupNorm: weight/bias for x %v must have %d values", x.Dims(), c))
	}
	bn := x.Dim(0)
	// Normalise rows of (B·G, C/G·rest); apply the affine map on (B, C, rest)
	// so that broadcasting runs over long rows.
	y := Reshape(LayerNorm(Reshape(x, bn*groups, -1), nil, nil, eps), bn, c, -1)
	if w != nil {
		y = Mul(y, Reshape(w, 1, c, 1))
	}
	if b != nil {
		y = Add(y, Reshape(b, 1, c, 1))
	}
	return Reshape(y, x.Dims()...)
}

// UpsampleNearest repeats every pixel of x (B, C, H, W) factor×factor times:
// out[n,c,i,j] = x[n, c, i/factor, j/factor], shape (B, C, H·factor, W·factor).
// The forward pass broadcasts x to (B, C·factor², H·W) columns and folds them
// with the backend's Col2Im (kernel = stride = factor); the backward pass is
// the adjoint: Im2Col of the gradient summed over the factor² copies.
func UpsampleNearest(x *core.Tensor, factor int) *core.Tensor {
	if x.Rank() != 4 || factor < 1 {
		panic(fmt.Sprintf("ops.UpsampleNearest: x %v (want B,C,H,W), factor %d", x.Dims(), factor))
	}
	if factor == 1 {
		return x
	}
	bn, c, h, w := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	ff, hw := factor*factor, h*w
	be := backendOf(x)
	cols := core.ZerosOn(x.Device(), bn, c, ff, hw)
	be.Binary(core.OpAdd, cols, x.Detach().View(bn, c, 1, hw), cols)
	out := core.ZerosOn(x.Device(), bn, c, h*factor, w*factor)
	be.Col2Im(cols.View(bn, c*ff, hw), out, factor, factor, factor, 0)
	return core.Record(out, "upsample_nearest", []*core.Tensor{x}, func(g *core.Tensor) {
		gcols := core.ZerosOn(x.Device(), bn, c*ff, hw)
		be.Im2Col(g, gcols, factor, factor, factor, 0)
		be.SumTo(gcols.View(bn, c, ff, hw), x.EnsureGrad().View(bn, c, 1, hw), true)
	})
}
