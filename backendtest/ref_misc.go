package backendtest

import "math"

// The float64 references of the convolution transforms, the codebook search
// and the optimizer step.

// convGeom is an im2col problem: x (B, C, H, W) unfolded by a KH×KW kernel
// with the given stride and zero padding into cols (B, C·KH·KW, OH·OW).
type convGeom struct{ b, c, h, w, kh, kw, stride, pad int }

// out returns OH and OW: ⌊(n + 2·pad − k)/stride⌋ + 1 per axis.
func (g convGeom) out() (oh, ow int) {
	return (g.h+2*g.pad-g.kh)/g.stride + 1, (g.w+2*g.pad-g.kw)/g.stride + 1
}

// each calls f(col, src) for every element of cols: col is its flat index
// and src the flat index in x it copies, or −1 where the window lies in the
// padding. Row (c·KH + ki)·KW + kj of batch element b, column oy·OW + ox
// reads x[b, c, oy·stride − pad + ki, ox·stride − pad + kj].
func (g convGeom) each(f func(col, src int)) {
	oh, ow := g.out()
	col := 0
	for b := 0; b < g.b; b++ {
		for c := 0; c < g.c; c++ {
			for ki := 0; ki < g.kh; ki++ {
				for kj := 0; kj < g.kw; kj++ {
					for oy := 0; oy < oh; oy++ {
						for ox := 0; ox < ow; ox++ {
							y, x := oy*g.stride-g.pad+ki, ox*g.stride-g.pad+kj
							src := -1
							if y >= 0 && y < g.h && x >= 0 && x < g.w {
								src = ((b*g.c+c)*g.h+y)*g.w + x
							}
							f(col, src)
							col++
						}
					}
				}
			}
		}
	}
}

// refIm2Col returns the columns of x.
func refIm2Col(x []float64, g convGeom) []float64 {
	oh, ow := g.out()
	cols := make([]float64, g.b*g.c*g.kh*g.kw*oh*ow)
	g.each(func(col, src int) {
		if src >= 0 {
			cols[col] = x[src]
		}
	})
	return cols
}

// refCol2Im returns gx0 plus the gradient of refIm2Col's output with respect
// to x for the column gradient cols: every column value adds into the input
// element it was copied from.
func refCol2Im(cols []float64, g convGeom, gx0 []float64) []float64 {
	gx := append([]float64(nil), gx0...)
	g.each(func(col, src int) {
		if src >= 0 {
			gx[src] += cols[col]
		}
	})
	return gx
}

// refSquaredDistances returns ‖xᵢ − cₖ‖² for every row i of x (N, D) and
// row k of the codebook (K, D), as an N×K matrix.
func refSquaredDistances(x, codebook []float64, d int) []float64 {
	n, k := len(x)/d, len(codebook)/d
	dist := make([]float64, n*k)
	for i := 0; i < n; i++ {
		for c := 0; c < k; c++ {
			var s float64
			for j := 0; j < d; j++ {
				e := x[i*d+j] - codebook[c*d+j]
				s += e * e
			}
			dist[i*k+c] = s
		}
	}
	return dist
}

// adamW holds the hyper-parameters of one AdamW step in float64.
type adamW struct {
	lr, beta1, beta2, eps, wd float64
	step                      int
}

// refAdamW returns the parameters and moments after one AdamW step:
// m' = β₁·m + (1 − β₁)·g, v' = β₂·v + (1 − β₂)·g², m̂ = m'/(1 − β₁ᵗ),
// v̂ = v'/(1 − β₂ᵗ), p' = p − lr·wd·p − lr·m̂/(√v̂ + eps).
func refAdamW(p, g, m, v []float64, c adamW) (p2, m2, v2 []float64) {
	p2, m2, v2 = make([]float64, len(p)), make([]float64, len(p)), make([]float64, len(p))
	bc1 := 1 - math.Pow(c.beta1, float64(c.step))
	bc2 := 1 - math.Pow(c.beta2, float64(c.step))
	for i := range p {
		m2[i] = c.beta1*m[i] + (1-c.beta1)*g[i]
		v2[i] = c.beta2*v[i] + (1-c.beta2)*g[i]*g[i]
		mh, vh := m2[i]/bc1, v2[i]/bc2
		p2[i] = p[i] - c.lr*c.wd*p[i] - c.lr*mh/(math.Sqrt(vh)+c.eps)
	}
	return p2, m2, v2
}
