package backendtest

import (
	"math"

	"xprompt/core"
)

// attnDims are the sizes of one attention problem: q (B, H, Tq, hd), k and
// v (B, H, Tk, hd).
type attnDims struct{ b, h, tq, tk, hd int }

// refAttention returns, for every batch element, head and query i, the
// softmax over the keys j that mask.Allowed admits of sᵢⱼ = scale·qᵢ·kⱼ
// (p, B×H×Tq×Tk, zero where masked), out = p·v and lse = log Σⱼ exp(sᵢⱼ).
// A query with no allowed key gets p = 0, out = 0 and lse = −Inf. A nil mask
// is the zero core.Mask (causal).
func refAttention(q, k, v []float64, dm attnDims, mask *core.Mask, scale float64) (out, lse, p []float64) {
	if mask == nil {
		mask = &core.Mask{}
	}
	tq, tk, hd := dm.tq, dm.tk, dm.hd
	out = make([]float64, dm.b*dm.h*tq*hd)
	lse = make([]float64, dm.b*dm.h*tq)
	p = make([]float64, dm.b*dm.h*tq*tk)
	s := make([]float64, tk)
	for bh := 0; bh < dm.b*dm.h; bh++ {
		bi := bh / dm.h
		for i := 0; i < tq; i++ {
			qi := q[(bh*tq+i)*hd : (bh*tq+i+1)*hd]
			var allowed []float64 // scores of the allowed keys, for the lse
			for j := 0; j < tk; j++ {
				s[j] = math.Inf(-1)
				if !mask.Allowed(bi, i, j, tq, tk) {
					continue
				}
				var dot float64
				for d := 0; d < hd; d++ {
					dot += qi[d] * k[(bh*tk+j)*hd+d]
				}
				s[j] = scale * dot
				allowed = append(allowed, s[j])
			}
			row := bh*tq + i
			if len(allowed) == 0 {
				lse[row] = math.Inf(-1)
				continue
			}
			lse[row] = refLogSumExp(allowed)
			for j := 0; j < tk; j++ {
				pj := math.Exp(s[j] - lse[row]) // exp(−Inf) = 0 for masked keys
				p[row*tk+j] = pj
				for d := 0; d < hd; d++ {
					out[row*hd+d] += pj * v[(bh*tk+j)*hd+d]
				}
			}
		}
	}
	return out, lse, p
}

// refAttentionBackward returns the gradients of refAttention's out with
// respect to q, k and v, given its probabilities p and the gradient gout:
// gv = pᵀ·gout; dpᵢⱼ = goutᵢ·vⱼ; dsᵢⱼ = pᵢⱼ·(dpᵢⱼ − Σₗ pᵢₗ·dpᵢₗ);
// gq = scale·ds·k; gk = scale·dsᵀ·q. Masked pairs have p = 0 and pass
// nothing.
func refAttentionBackward(q, k, v, p, gout []float64, dm attnDims, scale float64) (gq, gk, gv []float64) {
	tq, tk, hd := dm.tq, dm.tk, dm.hd
	gq, gk, gv = make([]float64, len(q)), make([]float64, len(k)), make([]float64, len(v))
	dp := make([]float64, tk)
	for bh := 0; bh < dm.b*dm.h; bh++ {
		for i := 0; i < tq; i++ {
			row := bh*tq + i
			var dot float64
			for j := 0; j < tk; j++ {
				pij := p[row*tk+j]
				var s float64
				for d := 0; d < hd; d++ {
					s += gout[row*hd+d] * v[(bh*tk+j)*hd+d]
					gv[(bh*tk+j)*hd+d] += pij * gout[row*hd+d]
				}
				dp[j] = s
				dot += pij * s
			}
			for j := 0; j < tk; j++ {
				ds := p[row*tk+j] * (dp[j] - dot) * scale
				if ds == 0 {
					continue
				}
				for d := 0; d < hd; d++ {
					gq[row*hd+d] += ds * k[(bh*tk+j)*hd+d]
					gk[(bh*tk+j)*hd+d] += ds * q[row*hd+d]
				}
			}
		}
	}
	return gq, gk, gv
}
