package ops

import (
	"math"

	"xprompt/core"
)

// attentionReference is the simple attention the fused kernel is tested
// against, in float64: for each batch element b and head, the whole Tq×Tk
// score matrix sᵢⱼ = scale·qᵢ·kⱼ is materialised, masked entries (where
// mask.Allowed is false) are dropped, each row is normalised with a softmax,
// and out = p·v. It returns out (B, H, Tq, hd), lse (B, H, Tq; −Inf for a
// row with no allowed key, whose output and probabilities are zero) and p
// (B, H, Tq, Tk). q is (B, H, Tq, hd), k and v (B, H, Tk, hd), all flat.
func attentionReference(q, k, v []float64, b, h, tq, tk, hd int, mask *core.Mask, scale float64) (out, lse, p []float64) {
	if mask == nil {
		mask = &core.Mask{}
	}
	out = make([]float64, b*h*tq*hd)
	lse = make([]float64, b*h*tq)
	p = make([]float64, b*h*tq*tk)
	for bh := 0; bh < b*h; bh++ {
		bi := bh / h
		for i := 0; i < tq; i++ {
			row := p[(bh*tq+i)*tk : (bh*tq+i+1)*tk]
			qi := q[(bh*tq+i)*hd : (bh*tq+i+1)*hd]
			m := math.Inf(-1)
			for j := range row {
				if !mask.Allowed(bi, i, j, tq, tk) {
					row[j] = math.Inf(-1)
					continue
				}
				var s float64
				for d, x := range qi {
					s += x * k[(bh*tk+j)*hd+d]
				}
				row[j] = s * scale
				m = math.Max(m, row[j])
			}
			if math.IsInf(m, -1) {
				clear(row)
				lse[bh*tq+i] = math.Inf(-1)
				continue
			}
			var sum float64
			for j, s := range row {
				row[j] = math.Exp(s - m) // exp(−∞) = 0 for masked keys
				sum += row[j]
			}
			lse[bh*tq+i] = m + math.Log(sum)
			oi := out[(bh*tq+i)*hd : (bh*tq+i+1)*hd]
			for j := range row {
				row[j] /= sum
				for d := range oi {
					oi[d] += row[j] * v[(bh*tk+j)*hd+d]
				}
			}
		}
	}
	return out, lse, p
}

// attentionReferenceBackward returns the gradients of q, k and v given the
// gradient gout of out, through the materialised probabilities p of
// attentionReference and the softmax Jacobian: dv = pᵀ·gout,
// dpᵢⱼ = goutᵢ·vⱼ, dsᵢⱼ = pᵢⱼ·(dpᵢⱼ − Σₗ pᵢₗ·dpᵢₗ), dq = ds·k·scale,
// dk = dsᵀ·q·scale.
func attentionReferenceBackward(q, k, v, p, gout []float64, b, h, tq, tk, hd int, scale float64) (gq, gk, gv []float64) {
	gq = make([]float64, len(q))
	gk = make([]float64, len(k))
	gv = make([]float64, len(v))
	dp := make([]float64, tk)
	for bh := 0; bh < b*h; bh++ {
		for i := 0; i < tq; i++ {
			pr := p[(bh*tq+i)*tk : (bh*tq+i+1)*tk]
			gi := gout[(bh*tq+i)*hd : (bh*tq+i+1)*hd]
			var dot float64
			for j := range pr {
				var s float64
				for d, g := range gi {
					s += g * v[(bh*tk+j)*hd+d]
					gv[(bh*tk+j)*hd+d] += pr[j] * g
				}
				dp[j] = s
				dot += pr[j] * s
			}
			for j := range pr {
				ds := pr[j] * (dp[j] - dot) * scale
				for d := 0; d < hd; d++ {
					gq[(bh*tq+i)*hd+d] += ds * k[(bh*tk+j)*hd+d]
					gk[(bh*tk+j)*hd+d] += ds * q[(bh*tq+i)*hd+d]
				}
			}
		}
	}
	return gq, gk, gv
}
