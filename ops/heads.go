package ops

import (
	"fmt"

	"xprompt/core"
)

// SplitHeadsRoPE splits the fused projection qkv (B·T, 3·D) = [q | k | v]
// into q, k and v of shape (B, H, T, hd), hd = D/H, and rotates q and k by
// rotary position embeddings at positions (B·T entries, nil = 0…T−1; see
// RoPE). It equals
//
//	qkv = Permute(Reshape(qkv, B, T, 3, H, hd), 2, 0, 3, 1, 4)
//	q, k, v = RoPE(Slice(qkv, 0, 0, 1)), RoPE(Slice(qkv, 0, 1, 2)), Slice(qkv, 0, 2, 3)
//
// On the CPU the forward and each backward rule are one pass over qkv
// (splitHeadsRoPE); other backends compose the primitives as above.
func SplitHeadsRoPE(qkv *core.Tensor, b, t, heads int, positions []int32, base float32) (q, k, v *core.Tensor) {
	checkQKV("ops.SplitHeadsRoPE", qkv, b, t, heads, positions)
	if backendOf(qkv).Device() != core.CPU {
		return splitHeadsComposed(qkv, b, t, heads, positions, base)
	}
	l := qkvLayout(qkv, b, t, heads, positions, base)
	hd := l.hd
	outs := [3]*core.Tensor{}
	for part := range outs {
		out := core.Empty(b, heads, t, hd)
		l.split(qkv.Data, out.Data, part)
		outs[part] = recordArgs(out, "split_heads_rope", splitHeadsRule{l, qkv, part}, func(a *splitHeadsRule, g *core.Tensor) {
			a.l.merge(g.Data, a.qkv.EnsureGrad().Data, a.part)
		}, qkv)
	}
	return outs[0], outs[1], outs[2]
}

// checkQKV panics, naming op, unless qkv is a fused projection (B·T, 3·D)
// of heads heads of even size with B·T non-negative positions (or nil).
func checkQKV(op string, qkv *core.Tensor, b, t, heads int, positions []int32) {
	if qkv.Rank() != 2 || qkv.Dim(0) != b*t || heads <= 0 || qkv.Dim(1)%(3*heads) != 0 || (qkv.Dim(1)/(3*heads))%2 != 0 {
		panic(fmt.Sprintf("%s: qkv %v for B=%d T=%d H=%d (want (B·T, 3·D), D/H even)", op, qkv.Dims(), b, t, heads))
	}
	if positions != nil && len(positions) != b*t {
		panic(fmt.Sprintf("%s: %d positions for B·T = %d", op, len(positions), b*t))
	}
	for _, p := range positions {
		if p < 0 {
			panic(fmt.Sprintf("%s: negative position %d", op, p))
		}
	}
}

// qkvLayout returns the layout of a checked fused projection qkv, with the
// RoPE tables its positions need.
func qkvLayout(qkv *core.Tensor, b, t, heads int, positions []int32, base float32) headLayout {
	hd := qkv.Dim(1) / (3 * heads)
	maxPos := t - 1
	for _, p := range positions {
		maxPos = max(maxPos, int(p))
	}
	cos, sin, ce, se := ropeExpanded(hd, base, maxPos)
	return headLayout{b: b, t: t, h: heads, hd: hd, parts: 3, pos: positions, cos: cos, sin: sin, ce: ce, se: se}
}

// splitHeadsRule is what SplitHeadsRoPE's backward rule of one part needs.
type splitHeadsRule struct {
	l    headLayout
	qkv  *core.Tensor
	part int
}

// splitHeadsComposed is SplitHeadsRoPE composed of primitives: the reference
// for the fused CPU path and the path of other backends.
func splitHeadsComposed(qkv *core.Tensor, b, t, heads int, positions []int32, base float32) (q, k, v *core.Tensor) {
	hd := qkv.Dim(1) / (3 * heads)
	x := Permute(Reshape(qkv, b, t, 3, heads, hd), 2, 0, 3, 1, 4) // (3, B, H, T, hd)
	q = RoPE(Reshape(Slice(x, 0, 0, 1), b, heads, t, hd), positions, base)
	k = RoPE(Reshape(Slice(x, 0, 1, 2), b, heads, t, hd), positions, base)
	return q, k, Reshape(Slice(x, 0, 2, 3), b, heads, t, hd)
}

// headLayout maps between a row layout (B·T, parts, H, hd) and the head
// layout (B, H, T, hd) of each part: parts is 3 for a fused QKV projection,
// 1 for merged attention heads. With RoPE tables cos, sin (hd/2 per
// position) parts 0 and 1 (queries and keys) are rotated; nil means none.
type headLayout struct {
	b, t, h, hd int
	parts       int
	pos         []int32
	cos, sin    []float32
	ce, se      []float32 // cos and sin expanded to lanes (ropeTable), for ropeRowAVX512
}

// split writes part (0 q, 1 k, 2 v) of rows (B·T, 3·D) into heads (B, H, T,
// hd), rotated for q and k.
func (l headLayout) split(rows, heads []float32, part int) {
	var hs [3][]float32
	hs[part] = heads
	l.run(rows, hs, false, false, 0)
}

// merge adds part's gradient heads (B, H, T, hd) into the gradient of rows
// (B·T, 3·D), rotated back for q and k.
func (l headLayout) merge(heads, rows []float32, part int) {
	var hs [3][]float32
	hs[part] = heads
	l.run(rows, hs, true, true, 0)
}

// run moves every part p with heads[p] set, row by row in one pass: from rows
// into heads (rotated), or with back from heads into rows (rotated back),
// adding to rows when accumulate is set and overwriting them otherwise. In
// the same pass, parts whose bit is set in backInPlace (and whose heads are
// nil) are rotated back where they are in rows.
func (l headLayout) run(rows []float32, heads [3][]float32, back, accumulate bool, backInPlace uint8) {
	parallelArgs(l.b*l.t, 64, headRunArgs{l, rows, heads, back, accumulate, backInPlace}, func(a *headRunArgs, lo, hi int) {
		l, rows, back, acc, d, half := a.l, a.rows, a.back, a.accumulate, a.l.h*a.l.hd, a.l.hd/2
		for r := lo; r < hi; r++ {
			bi, ti := r/l.t, r%l.t
			p := ti
			if l.pos != nil {
				p = int(l.pos[r])
			}
			var c, s, ce, se []float32
			if l.cos != nil {
				c, s = l.cos[p*half:(p+1)*half], l.sin[p*half:(p+1)*half]
			}
			if vec := attnAVX512 && l.hd%16 == 0 && l.ce != nil; vec {
				ce, se = l.ce[p*l.hd:(p+1)*l.hd], l.se[p*l.hd:(p+1)*l.hd]
			}
			for part := 0; part < l.parts; part++ {
				heads := a.heads[part]
				rotate := c != nil && part < 2
				row := rows[(r*l.parts+part)*d : (r*l.parts+part+1)*d]
				if heads == nil {
					if rotate && a.backInPlace&(1<<part) != 0 {
						for h := 0; h < l.h; h++ {
							x := row[h*l.hd : (h+1)*l.hd]
							if ce != nil {
								ropeRowAVX512(&x[0], &x[0], &ce[0], &se[0], l.hd, 1)
							} else {
								ropeRows(x, x, c, s, -1, false)
							}
						}
					}
					continue
				}
				for h := 0; h < l.h; h++ {
					o := ((bi*l.h+h)*l.t + ti) * l.hd
					x, y := row[h*l.hd:(h+1)*l.hd], heads[o:o+l.hd]
					switch {
					case rotate && ce != nil && back:
						mode := 1
						if acc {
							mode = 2
						}
						ropeRowAVX512(&y[0], &x[0], &ce[0], &se[0], l.hd, mode)
					case rotate && ce != nil:
						ropeRowAVX512(&x[0], &y[0], &ce[0], &se[0], l.hd, 0)
					case rotate && back:
						ropeRows(y, x, c, s, -1, acc)
					case rotate:
						ropeRows(x, y, c, s, 1, false)
					case back && acc:
						for i, v := range y {
							x[i] += v
						}
					case back:
						copy(x, y)
					default:
						copy(y, x)
					}
				}
			}
		}
	})
}

// headRunArgs are the operands of headLayout.run's loop.
type headRunArgs struct {
	l                headLayout
	rows             []float32
	heads            [3][]float32
	back, accumulate bool
	backInPlace      uint8
}

// ropeRows rotates the pairs of x by the angles whose cosines and sines are
// c and s (sign −1 rotates back) into y, adding when accumulate is set.
func ropeRows(x, y, c, s []float32, sign float32, accumulate bool) {
	y = y[:len(x)]
	c, s = c[:len(x)/2], s[:len(x)/2]
	for i := range c {
		x0, x1 := x[2*i], x[2*i+1]
		si := sign * s[i]
		y0, y1 := x0*c[i]-x1*si, x0*si+x1*c[i]
		if accumulate {
			y[2*i] += y0
			y[2*i+1] += y1
		} else {
			y[2*i], y[2*i+1] = y0, y1
		}
	}
}
