package backendtest

import "math"

// The float64 references of the row-wise network kernels. Every function
// takes rows of width d (all leading axes flattened) and returns fresh
// slices; backward references return the analytic gradient of the forward
// reference beside it, added to the given initial gradient.

// refLogSumExp returns log Σ exp(x) of one row, stably.
func refLogSumExp(row []float64) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, v)
	}
	var s float64
	for _, v := range row {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// refSoftmax returns softmax (or log-softmax) of every row of x.
func refSoftmax(x []float64, d int, log bool) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < len(x)/d; r++ {
		row := x[r*d : (r+1)*d]
		lse := refLogSumExp(row)
		for i, v := range row {
			out[r*d+i] = v - lse
			if !log {
				out[r*d+i] = math.Exp(v - lse)
			}
		}
	}
	return out
}

// refSoftmaxBackward returns gx0 plus the gradient through y = softmax(x)
// (or log-softmax), where p = softmax(x) in float64:
// softmax: gxᵢ = pᵢ·(gᵢ − Σⱼ pⱼ·gⱼ); log-softmax: gxᵢ = gᵢ − pᵢ·Σⱼ gⱼ.
func refSoftmaxBackward(p, g, gx0 []float64, d int, log bool) []float64 {
	out := append([]float64(nil), gx0...)
	for r := 0; r < len(p)/d; r++ {
		pr, gr := p[r*d:(r+1)*d], g[r*d:(r+1)*d]
		var dot, sum float64
		for i := range pr {
			dot += pr[i] * gr[i]
			sum += gr[i]
		}
		for i := range pr {
			if log {
				out[r*d+i] += gr[i] - pr[i]*sum
			} else {
				out[r*d+i] += pr[i] * (gr[i] - dot)
			}
		}
	}
	return out
}

// refCrossEntropy returns, over the rows of logits (width v) whose target is
// not ignore, Σ wᵢ·(lseᵢ − xᵢ[tᵢ]) and Σ wᵢ (w = 1 when weights is nil), and
// dlogits = wᵢ·(softmax(xᵢ) − onehot(tᵢ)), zero on ignored rows.
func refCrossEntropy(logits []float64, v int, targets []int32, weights []float64, ignore int32) (loss, weight float64, dlogits []float64) {
	dlogits = make([]float64, len(logits))
	for r, t := range targets {
		if t == ignore {
			continue
		}
		w := 1.0
		if weights != nil {
			w = weights[r]
		}
		row := logits[r*v : (r+1)*v]
		lse := refLogSumExp(row)
		loss += w * (lse - row[t])
		weight += w
		for i, x := range row {
			dlogits[r*v+i] = w * math.Exp(x-lse)
		}
		dlogits[r*v+int(t)] -= w
	}
	return loss, weight, dlogits
}

// refRMSNorm returns y = x·r·w and r = 1/√(mean(x²) + eps) per row.
func refRMSNorm(x, w []float64, eps float64) (y, rstd []float64) {
	d := len(w)
	y = make([]float64, len(x))
	rstd = make([]float64, len(x)/d)
	for r := range rstd {
		row := x[r*d : (r+1)*d]
		var ss float64
		for _, v := range row {
			ss += v * v
		}
		rstd[r] = 1 / math.Sqrt(ss/float64(d)+eps)
		for i, v := range row {
			y[r*d+i] = v * rstd[r] * w[i]
		}
	}
	return y, rstd
}

// refRMSNormBackward returns gx0 and gw0 plus the gradients of RMSNorm: with
// ∂r/∂xⱼ = −r³·xⱼ/d, gxⱼ = r·gⱼ·wⱼ − r³·xⱼ·mean(g·w·x) and gwᵢ = Σ_rows gᵢ·xᵢ·r.
// gw0 nil skips gw.
func refRMSNormBackward(x, w, rstd, g, gx0, gw0 []float64) (gx, gw []float64) {
	d := len(w)
	gx = append([]float64(nil), gx0...)
	if gw0 != nil {
		gw = append([]float64(nil), gw0...)
	}
	for r, rs := range rstd {
		xr, gr := x[r*d:(r+1)*d], g[r*d:(r+1)*d]
		var dot float64
		for i := range xr {
			dot += gr[i] * w[i] * xr[i]
		}
		for i := range xr {
			gx[r*d+i] += rs*gr[i]*w[i] - rs*rs*rs*xr[i]*dot/float64(d)
			if gw != nil {
				gw[i] += gr[i] * xr[i] * rs
			}
		}
	}
	return gx, gw
}

// rmsNormBackwardRounding returns, per element of refRMSNormBackward's gx,
// the float32 rounding of its terms: 8u times gx0, rstd·g·w and
// rstd³·x·Σ|g·w·x|/d in magnitude (the order of the roundings of one
// element, each relative to the term it rounds). Where rstd is large the
// terms dwarf their difference.
func rmsNormBackwardRounding(x, w, rstd, g, gx0 []float64) []float64 {
	d := len(w)
	out := make([]float64, len(x))
	for r, rs := range rstd {
		var dot float64
		for i := 0; i < d; i++ {
			dot += math.Abs(g[r*d+i] * w[i] * x[r*d+i])
		}
		for i := 0; i < d; i++ {
			j := r*d + i
			out[j] = 8 * unitRoundoff * (math.Abs(gx0[j]) + rs*math.Abs(g[j]*w[i]) + rs*rs*rs*math.Abs(x[j])*dot/float64(d))
		}
	}
	return out
}

// refLayerNorm returns y = (x − μ)·r·w + b, μ and r = 1/√(var + eps) per row
// (biased variance); nil w means 1 and nil b means 0.
func refLayerNorm(x, w, b []float64, d int, eps float64) (y, mean, rstd []float64) {
	n := len(x) / d
	y, mean, rstd = make([]float64, len(x)), make([]float64, n), make([]float64, n)
	for r := 0; r < n; r++ {
		row := x[r*d : (r+1)*d]
		for _, v := range row {
			mean[r] += v / float64(d)
		}
		var ss float64
		for _, v := range row {
			ss += (v - mean[r]) * (v - mean[r])
		}
		rstd[r] = 1 / math.Sqrt(ss/float64(d)+eps)
		for i, v := range row {
			o := (v - mean[r]) * rstd[r]
			if w != nil {
				o *= w[i]
			}
			if b != nil {
				o += b[i]
			}
			y[r*d+i] = o
		}
	}
	return y, mean, rstd
}

// refLayerNormBackward returns gx0, gw0, gb0 plus the gradients of
// LayerNorm: with x̂ = (x − μ)·r and ĝ = g·w,
// gx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), gw = Σ_rows g·x̂, gb = Σ_rows g.
// A nil w means 1; a nil gw0 or gb0 skips that gradient.
func refLayerNormBackward(x, w, mean, rstd, g, gx0, gw0, gb0 []float64, d int) (gx, gw, gb []float64) {
	gx = append([]float64(nil), gx0...)
	if gw0 != nil {
		gw = append([]float64(nil), gw0...)
	}
	if gb0 != nil {
		gb = append([]float64(nil), gb0...)
	}
	gh := make([]float64, d)
	xh := make([]float64, d)
	for r, rs := range rstd {
		var mg, mgx float64
		for i := 0; i < d; i++ {
			xh[i] = (x[r*d+i] - mean[r]) * rs
			gh[i] = g[r*d+i]
			if w != nil {
				gh[i] *= w[i]
			}
			mg += gh[i] / float64(d)
			mgx += gh[i] * xh[i] / float64(d)
			if gw != nil {
				gw[i] += g[r*d+i] * xh[i]
			}
			if gb != nil {
				gb[i] += g[r*d+i]
			}
		}
		for i := 0; i < d; i++ {
			gx[r*d+i] += rs * (gh[i] - mg - xh[i]*mgx)
		}
	}
	return gx, gw, gb
}

// layerNormRounding returns, per element of refLayerNorm's y, the float32
// rounding of x − mean carried into y: 4u·rstd·(|x| + |mean|), times |w|
// where there is a weight. Inputs far from zero (offset 3) make x − mean a
// difference of larger terms.
func layerNormRounding(x, w, mean, rstd []float64, d int) []float64 {
	out := make([]float64, len(x))
	for j, v := range x {
		r := j / d
		out[j] = 4 * unitRoundoff * rstd[r] * (math.Abs(v) + math.Abs(mean[r]))
		if w != nil {
			out[j] *= math.Abs(w[j%d])
		}
	}
	return out
}

// layerNormBackwardRounding returns, per element of refLayerNormBackward's
// gx, the float32 rounding of its terms: 8u times gx0 and rstd times gh, the
// row mean of |gh| and (|x̂| plus the rounding of x − mean, amplified by
// rstd) times the row mean of |gh·x̂|, in magnitude. Where rstd is large
// (small inputs, small eps) the terms dwarf their difference.
func layerNormBackwardRounding(x, w, mean, rstd, g, gx0 []float64, d int) []float64 {
	out := make([]float64, len(x))
	for r, rs := range rstd {
		var mg, mgx float64
		for i := 0; i < d; i++ {
			gh := math.Abs(g[r*d+i])
			if w != nil {
				gh *= w[i]
			}
			mg += gh / float64(d)
			mgx += gh * math.Abs(x[r*d+i]-mean[r]) * rs / float64(d)
		}
		for i := 0; i < d; i++ {
			j := r*d + i
			gh := math.Abs(g[j])
			if w != nil {
				gh *= w[i]
			}
			xh := math.Abs(x[j]-mean[r])*rs + rs*(math.Abs(x[j])+math.Abs(mean[r]))
			out[j] = 8 * unitRoundoff * (math.Abs(gx0[j]) + rs*(gh+mg+xh*mgx))
		}
	}
	return out
}

// refSwiGLU returns silu(a)·b for rows x = [a | b] of width 2h.
func refSwiGLU(x []float64, h int) []float64 {
	n := len(x) / (2 * h)
	y := make([]float64, n*h)
	for r := 0; r < n; r++ {
		for i := 0; i < h; i++ {
			a, b := x[r*2*h+i], x[r*2*h+h+i]
			y[r*h+i] = a * sigmoid64(a) * b
		}
	}
	return y
}

// refSwiGLUBackward returns gx0 plus the gradient of SwiGLU:
// ga = g·b·silu'(a), silu'(a) = σ(a)·(1 + a·(1 − σ(a))), gb = g·silu(a).
func refSwiGLUBackward(x, g, gx0 []float64, h int) []float64 {
	gx := append([]float64(nil), gx0...)
	for r := 0; r < len(g)/h; r++ {
		for i := 0; i < h; i++ {
			a, b := x[r*2*h+i], x[r*2*h+h+i]
			s := sigmoid64(a)
			gx[r*2*h+i] += g[r*h+i] * b * s * (1 + a*(1-s))
			gx[r*2*h+h+i] += g[r*h+i] * a * s
		}
	}
	return gx
}

// refRoPE returns init (or zeros) plus x (B, H, T, hd) with every pair
// (x[2i], x[2i+1]) of the token at position p multiplied by the rotation
// R = [[cos, −sin], [sin, cos]] of angle p·θᵢ, θᵢ = base^(−2i/hd), or, with
// adjoint, by Rᵀ (the gradient of the rotation). positions (B·T entries)
// nil means p = t.
func refRoPE(x []float64, b, h, t, hd int, positions []int32, base float64, adjoint bool, init []float64) []float64 {
	out := make([]float64, len(x))
	copy(out, init)
	for bi := 0; bi < b; bi++ {
		for hi := 0; hi < h; hi++ {
			for ti := 0; ti < t; ti++ {
				p := float64(ti)
				if positions != nil {
					p = float64(positions[bi*t+ti])
				}
				off := ((bi*h+hi)*t + ti) * hd
				for i := 0; i < hd/2; i++ {
					theta := math.Pow(base, -2*float64(i)/float64(hd))
					c, s := math.Cos(p*theta), math.Sin(p*theta)
					r00, r01, r10, r11 := c, -s, s, c
					if adjoint {
						r01, r10 = r10, r01
					}
					x0, x1 := x[off+2*i], x[off+2*i+1]
					out[off+2*i] += r00*x0 + r01*x1
					out[off+2*i+1] += r10*x0 + r11*x1
				}
			}
		}
	}
	return out
}
