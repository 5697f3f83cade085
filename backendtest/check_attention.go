package backendtest

import (
	"fmt"
	"math"
	"strings"

	"xprompt/core"
)

// The cases of the fused masked attention: every mask kind, padding on the
// right and on the left, a custom segment rule, explicit (compressed) positions,
// fewer queries than keys (decoding), more queries than keys, queries that see
// no key at all, a nil mask, and sizes that are not multiples of any tile.

const (
	pad = core.SegPad
	bos = core.SegBOS
	ie  = core.SegIE
	xp  = core.SegXP
	td  = core.SegTD
)

// segRuns concatenates runs of segment ids: segRuns(bos, 1, ie, 3) = [0 1 1 1].
func segRuns(spec ...int32) []int32 {
	var out []int32
	for i := 0; i+1 < len(spec); i += 2 {
		for n := int32(0); n < spec[i+1]; n++ {
			out = append(out, spec[i])
		}
	}
	return out
}

// cat concatenates id slices.
func cat(parts ...[]int32) []int32 {
	var out []int32
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// ramp returns n consecutive positions from start.
func ramp(start, n int32) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = start + int32(i)
	}
	return out
}

type attnCase struct {
	name    string
	dm      attnDims
	mask    *core.Mask // nil: the zero mask (causal)
	scale   float32    // 0: 1/√hd
	weights bool       // ask Attention for the probabilities
	nilGrad string     // gradients AttentionBackward is given nil ("q", "k", "v")
}

func (tc attnCase) scaleOf() float32 {
	if tc.scale != 0 {
		return tc.scale
	}
	return float32(1 / math.Sqrt(float64(tc.dm.hd)))
}

func attnCases() []attnCase {
	rightPad := cat(segRuns(bos, 1, ie, 20, xp, 8, td, 41), segRuns(bos, 1, ie, 15, xp, 6, td, 30, pad, 18))
	leftPad := cat(segRuns(td, 45), segRuns(pad, 9, bos, 1, ie, 10, xp, 5, td, 20))
	custom := cat(segRuns(bos, 1, ie, 15, xp, 10, td, 24), segRuns(bos, 1, ie, 9, xp, 20, td, 15, pad, 5))
	// Two sequences of 29 tokens; the second is left-padded and its
	// in-context part compressed, so positions jump after IE.
	posSeg := cat(segRuns(bos, 1, ie, 8, xp, 4, td, 16), segRuns(pad, 6, bos, 1, ie, 6, xp, 4, td, 12))
	posPos := cat(ramp(0, 29), make([]int32, 6), ramp(0, 7), ramp(20, 16))
	decodeK := cat(segRuns(bos, 1, ie, 12, xp, 5, td, 12), segRuns(pad, 4, bos, 1, ie, 8, xp, 5, td, 12))
	return []attnCase{
		{name: "single token", dm: attnDims{1, 1, 1, 1, 4}, mask: &core.Mask{}},
		{name: "nil mask (causal)", dm: attnDims{2, 3, 37, 37, 16}, nilGrad: "k"},
		{name: "xprompt, right padding", dm: attnDims{2, 2, 70, 70, 32}, weights: true,
			mask: &core.Mask{Kind: core.MaskXPrompt, QSeg: rightPad, KSeg: rightPad}},
		{name: "full, left padding", dm: attnDims{2, 2, 45, 45, 8}, weights: true, nilGrad: "q",
			mask: &core.Mask{Kind: core.MaskFull, QSeg: leftPad, KSeg: leftPad}},
		{name: "custom: later segments see earlier ones", dm: attnDims{2, 1, 50, 50, 16},
			mask: &core.Mask{Kind: core.MaskCustom, QSeg: custom, KSeg: custom,
				Allow: func(qs, ks int32) bool { return ks <= qs }}},
		{name: "causal decode Tq=5 Tk=40", dm: attnDims{2, 2, 5, 40, 16}, mask: &core.Mask{}, nilGrad: "qk"},
		{name: "xprompt, explicit compressed positions", dm: attnDims{2, 2, 29, 29, 16}, weights: true,
			mask: &core.Mask{Kind: core.MaskXPrompt, QSeg: posSeg, KSeg: posSeg, QPos: posPos, KPos: posPos}},
		{name: "xprompt decode Tq=3 Tk=30 with positions", dm: attnDims{2, 2, 3, 30, 8},
			mask: &core.Mask{Kind: core.MaskXPrompt, QSeg: segRuns(td, 6), KSeg: decodeK,
				QPos: cat(ramp(27, 3), ramp(27, 3)), KPos: cat(ramp(0, 30), make([]int32, 4), ramp(0, 26))}},
		{name: "Tq=20 > Tk=12, early queries see nothing", dm: attnDims{1, 2, 20, 12, 8}, nilGrad: "v",
			mask: &core.Mask{Kind: core.MaskCausal, QPos: ramp(0, 20), KPos: ramp(5, 12)}},
		{name: "full Tq=9 > Tk=4", dm: attnDims{1, 1, 9, 4, 8}, mask: &core.Mask{Kind: core.MaskFull}},
		{name: "causal 130 tokens, scale 0.3", dm: attnDims{1, 2, 130, 130, 64}, scale: 0.3, weights: true,
			mask: &core.Mask{}},
	}
}

// attnInputs draws q, k (standard normal: scores of unit scale) and v.
func attnInputs(c *checker, dm attnDims) (q, k, v []float32) {
	nq, nk := dm.b*dm.h*dm.tq*dm.hd, dm.b*dm.h*dm.tk*dm.hd
	return c.normal(nq, 1), c.normal(nk, 1), c.uniform(nk, -1, 1)
}

func checkAttention(c *checker) {
	for _, tc := range attnCases() {
		c.run(tc.name, func() {
			dm := tc.dm
			qShape, kShape := []int{dm.b, dm.h, dm.tq, dm.hd}, []int{dm.b, dm.h, dm.tk, dm.hd}
			lseShape, wShape := []int{dm.b, dm.h, dm.tq}, []int{dm.b, dm.h, dm.tq, dm.tk}
			q, k, v := attnInputs(c, dm)
			out := c.dev(c.uniform(size(qShape), -1, 1), qShape...)
			lse := c.dev(c.uniform(size(lseShape), -1, 1), lseShape...)
			var weights *core.Tensor
			if tc.weights {
				weights = c.dev(c.uniform(size(wShape), -1, 1), wShape...)
			}
			c.be.Attention(c.dev(q, qShape...), c.dev(k, kShape...), c.dev(v, kShape...), tc.mask, tc.scaleOf(),
				out, lse, weights)
			wantOut, wantLSE, wantP := refAttention(f64(q), f64(k), f64(v), dm, tc.mask, float64(tc.scaleOf()))
			c.near("out", qShape, c.host(out), wantOut)
			c.near("lse", lseShape, c.host(lse), wantLSE)
			if weights != nil {
				c.near("weights", wShape, c.host(weights), wantP)
			}
		})
	}
}

// checkAttentionBackward passes out and lse of the reference forward,
// rounded, and checks that the gradients given (some are nil) grow by the
// analytic gradient of the reference.
func checkAttentionBackward(c *checker) {
	for _, tc := range attnCases() {
		c.run(fmt.Sprintf("%s, nil gradients %q", tc.name, tc.nilGrad), func() {
			dm := tc.dm
			qShape, kShape := []int{dm.b, dm.h, dm.tq, dm.hd}, []int{dm.b, dm.h, dm.tk, dm.hd}
			q, k, v := attnInputs(c, dm)
			gout := c.uniform(len(q), -1, 1)
			gq0, gk0, gv0 := c.uniform(len(q), -1, 1), c.uniform(len(k), -1, 1), c.uniform(len(v), -1, 1)
			scale := float64(tc.scaleOf())
			out, lse, p := refAttention(f64(q), f64(k), f64(v), dm, tc.mask, scale)
			wq, wk, wv := refAttentionBackward(f64(q), f64(k), f64(v), p, f64(gout), dm, scale)
			grads := []struct {
				name  string
				g0    []float32
				shape []int
				want  []float64
				t     *core.Tensor
			}{{"q", gq0, qShape, wq, nil}, {"k", gk0, kShape, wk, nil}, {"v", gv0, kShape, wv, nil}}
			for i := range grads {
				g := &grads[i]
				if !strings.Contains(tc.nilGrad, g.name) {
					g.t = c.dev(g.g0, g.shape...)
				}
			}
			c.be.AttentionBackward(c.dev(q, qShape...), c.dev(k, kShape...), c.dev(v, kShape...),
				c.dev(f32(out), qShape...), c.dev(f32(lse), dm.b, dm.h, dm.tq), c.dev(gout, qShape...),
				tc.mask, float32(scale), grads[0].t, grads[1].t, grads[2].t)
			for _, g := range grads {
				if g.t == nil {
					continue
				}
				want := f64(g.g0)
				for i, w := range g.want {
					want[i] += w
				}
				c.near("g"+g.name, g.shape, c.host(g.t), want)
			}
		})
	}
}
