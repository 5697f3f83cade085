package cuda

import (
	"fmt"
	"math"

	"xprompt/core"
)

// maskArgs mirrors struct MaskArgs of attention.cu.
type maskArgs struct {
	Kind, TQ, TK                       int32
	HasQSeg, HasKSeg, HasQPos, HasKPos int32
	Allow                              [32]uint32
}

// maskFor converts a core.Mask to kernel arguments and uploads its id arrays
// (released by the returned function). A custom rule is tabulated over
// segment ids 0…31 (the pad id −1 never attends).
func (b *Backend) maskFor(m *core.Mask, bs, tq, tk int) (maskArgs, [4]scratch, func()) {
	if m == nil {
		m = &core.Mask{}
	}
	m.Check(string(b.device)+".Attention", bs, tq, tk)
	a := maskArgs{Kind: int32(m.Kind), TQ: int32(tq), TK: int32(tk),
		HasQSeg: cbool(m.QSeg != nil), HasKSeg: cbool(m.KSeg != nil), HasQPos: cbool(m.QPos != nil), HasKPos: cbool(m.KPos != nil)}
	if m.Kind == core.MaskCustom {
		for _, segs := range [][]int32{m.QSeg, m.KSeg} {
			for _, s := range segs {
				if s < core.SegPad || s > 31 {
					panic(fmt.Sprintf("%s.Attention: custom masks need segment ids in [-1, 31], got %d", b.device, s))
				}
			}
		}
		for qs := int32(0); qs < 32; qs++ {
			for ks := int32(0); ks < 32; ks++ {
				if m.Allow == nil || m.Allow(qs, ks) {
					a.Allow[qs] |= 1 << ks
				}
			}
		}
	}
	ids := [4]scratch{upload(b, m.QSeg), upload(b, m.KSeg), upload(b, m.QPos), upload(b, m.KPos)}
	return a, ids, func() {
		for _, s := range ids {
			s.release()
		}
	}
}

// attnDims checks q, k, v and returns B, H, Tq, Tk, hd.
func (b *Backend) attnDims(q, k, v *core.Tensor) (bs, h, tq, tk, hd int) {
	if q.Rank() != 4 || k.Rank() != 4 || v.Rank() != 4 || !core.SameShape(k, v) ||
		q.Dim(0) != k.Dim(0) || q.Dim(1) != k.Dim(1) || q.Dim(3) != k.Dim(3) {
		panic(fmt.Sprintf("%s.Attention: q %v, k %v, v %v", b.device, q.Dims(), k.Dims(), v.Dims()))
	}
	if q.Dim(3) > 256 {
		panic(fmt.Sprintf("%s.Attention: head dimension %d > 256", b.device, q.Dim(3)))
	}
	return q.Dim(0), q.Dim(1), q.Dim(2), k.Dim(2), q.Dim(3)
}

// Attention runs attention_fwd: one warp per query row.
func (b *Backend) Attention(q, k, v *core.Tensor, mask *core.Mask, scale float32, out, lse, weights *core.Tensor) {
	bs, h, tq, tk, hd := b.attnDims(q, k, v)
	if out.Len() != q.Len() || lse.Len() != bs*h*tq || (weights != nil && weights.Len() != bs*h*tq*tk) {
		panic(fmt.Sprintf("%s.Attention: out %v, lse %v for q %v", b.device, out.Dims(), lse.Dims(), q.Dims()))
	}
	rowsN := bs * h * tq
	if rowsN == 0 {
		return
	}
	a, ids, done := b.maskFor(mask, bs, tq, tk)
	defer done()
	b.launch("attention_fwd", rowsN, 32, 0, q, k, v, out, lse, weights, cbool(weights != nil), int32(h), int32(hd), scale, a,
		ids[0], ids[1], ids[2], ids[3])
}

// AttentionBackward runs attention_bwd: one warp per query row, gk and gv by atomics.
func (b *Backend) AttentionBackward(q, k, v, out, lse, gout *core.Tensor, mask *core.Mask, scale float32, gq, gk, gv *core.Tensor) {
	bs, h, tq, tk, hd := b.attnDims(q, k, v)
	rowsN := bs * h * tq
	if rowsN == 0 || (gq == nil && gk == nil && gv == nil) {
		return
	}
	a, ids, done := b.maskFor(mask, bs, tq, tk)
	defer done()
	b.launch("attention_bwd", rowsN, 32, 0, q, k, v, out, lse, gout, gq, gk, gv, cbool(gq != nil), cbool(gk != nil), cbool(gv != nil),
		int32(h), int32(hd), scale, a, ids[0], ids[1], ids[2], ids[3])
}

// convGeom mirrors struct ConvGeom of conv.cu.
type convGeom struct{ B, C, H, W, KH, KW, Stride, Pad, OH, OW int32 }

func (b *Backend) convGeom(op string, x, cols *core.Tensor, kh, kw, stride, pad int) convGeom {
	if x.Rank() != 4 || kh < 1 || kw < 1 || stride < 1 || pad < 0 {
		panic(fmt.Sprintf("%s.%s: x %v, kernel %d×%d, stride %d, pad %d", b.device, op, x.Dims(), kh, kw, stride, pad))
	}
	bn, c, h, w := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	oh, ow := (h+2*pad-kh)/stride+1, (w+2*pad-kw)/stride+1
	if oh < 1 || ow < 1 || cols.Len() != bn*c*kh*kw*oh*ow {
		panic(fmt.Sprintf("%s.%s: x %v and cols %v disagree for kernel %d×%d, stride %d, pad %d", b.device, op, x.Dims(), cols.Dims(), kh, kw, stride, pad))
	}
	return convGeom{int32(bn), int32(c), int32(h), int32(w), int32(kh), int32(kw), int32(stride), int32(pad), int32(oh), int32(ow)}
}

// Im2Col runs im2col: one thread per element of cols.
func (b *Backend) Im2Col(x, cols *core.Tensor, kh, kw, stride, pad int) {
	g := b.convGeom("Im2Col", x, cols, kh, kw, stride, pad)
	if n := cols.Len(); n > 0 {
		b.launch("im2col", grid1(n), 256, 0, x, cols, g)
	}
}

// Col2Im runs col2im: atomics add each column element into gx.
func (b *Backend) Col2Im(cols, gx *core.Tensor, kh, kw, stride, pad int) {
	g := b.convGeom("Col2Im", gx, cols, kh, kw, stride, pad)
	if n := cols.Len(); n > 0 {
		b.launch("col2im", grid1(n), 256, 0, cols, gx, g)
	}
}

// NearestCodes runs nearest_codes: one warp per row of x.
func (b *Backend) NearestCodes(x, codebook *core.Tensor, ids []int32, dist []float32) {
	if codebook.Rank() != 2 || x.Rank() < 1 || x.Dim(-1) != codebook.Dim(1) {
		panic(fmt.Sprintf("%s.NearestCodes: x %v, codebook %v", b.device, x.Dims(), codebook.Dims()))
	}
	n, d := rows(x)
	k := codebook.Dim(0)
	if len(ids) != n || len(dist) != n || k == 0 {
		panic(fmt.Sprintf("%s.NearestCodes: %d rows, %d ids, %d distances, %d codes", b.device, n, len(ids), len(dist), k))
	}
	if n == 0 {
		return
	}
	idsDev, distDev := upload(b, ids), upload(b, dist)
	defer idsDev.release()
	defer distDev.release()
	b.launch("nearest_codes", n, 32, 0, x, codebook, idsDev, distDev, int32(n), int32(k), int32(d))
	copy(ids, download[int32](b, idsDev, n))
	copy(dist, download[float32](b, distDev, n))
}

// AdamW runs adamw with the bias corrections computed in float64 here.
func (b *Backend) AdamW(p, g, m, v *core.Tensor, c core.AdamWConfig) {
	if p.Len() != g.Len() || p.Len() != m.Len() || p.Len() != v.Len() || c.Step < 1 {
		panic(fmt.Sprintf("%s.AdamW: p %v, g %v, m %v, v %v, step %d", b.device, p.Dims(), g.Dims(), m.Dims(), v.Dims(), c.Step))
	}
	bc1 := 1 - math.Pow(float64(c.Beta1), float64(c.Step))
	bc2 := 1 - math.Pow(float64(c.Beta2), float64(c.Step))
	stepSize := float32(float64(c.LR) / bc1)
	rbc2 := float32(1 / math.Sqrt(bc2))
	decay := 1 - c.LR*c.WeightDecay
	if n := p.Len(); n > 0 {
		b.launch("adamw", grid1(n), 256, 0, p, g, m, v, int64(n), c.Beta1, c.Beta2, c.Eps, stepSize, rbc2, decay)
	}
}

var _ core.Backend = (*Backend)(nil)
var _ core.DeviceMemory = (*Backend)(nil)
