package ops

import (
	"fmt"

	"xprompt/core"
)

// convOut returns the output size of a convolution along one axis.
func convOut(in, k, stride, pad int) int { return (in+2*pad-k)/stride + 1 }

func checkIm2Col(op string, x, cols *core.Tensor, kh, kw, stride, pad int) (b, c, h, w, oh, ow int) {
	if x.Rank() != 4 || kh < 1 || kw < 1 || stride < 1 || pad < 0 {
		panic(fmt.Sprintf("%s: x %v, kernel %d×%d, stride %d, pad %d", op, x.Dims(), kh, kw, stride, pad))
	}
	b, c, h, w = x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	oh, ow = convOut(h, kh, stride, pad), convOut(w, kw, stride, pad)
	if oh < 1 || ow < 1 || cols.Len() != b*c*kh*kw*oh*ow {
		panic(fmt.Sprintf("%s: x %v with kernel %d×%d stride %d pad %d gives %d×%d; cols %v", op, x.Dims(), kh, kw, stride, pad, oh, ow, cols.Dims()))
	}
	return
}

func (cpuBackend) Im2Col(x, cols *core.Tensor, kh, kw, stride, pad int) {
	b, c, h, w, oh, ow := checkIm2Col("cpu.Im2Col", x, cols, kh, kw, stride, pad)
	parallelFor(b*c, 1, func(lo, hi int) {
		for bc := lo; bc < hi; bc++ {
			src := x.Data[bc*h*w : (bc+1)*h*w]
			for ki := 0; ki < kh; ki++ {
				for kj := 0; kj < kw; kj++ {
					row := (bc*kh+ki)*kw + kj
					dst := cols.Data[row*oh*ow : (row+1)*oh*ow]
					for oy := 0; oy < oh; oy++ {
						y := oy*stride - pad + ki
						for ox := 0; ox < ow; ox++ {
							xx := ox*stride - pad + kj
							v := float32(0)
							if y >= 0 && y < h && xx >= 0 && xx < w {
								v = src[y*w+xx]
							}
							dst[oy*ow+ox] = v
						}
					}
				}
			}
		}
	})
}

func (cpuBackend) Col2Im(cols, gx *core.Tensor, kh, kw, stride, pad int) {
	b, c, h, w, oh, ow := checkIm2Col("cpu.Col2Im", gx, cols, kh, kw, stride, pad)
	parallelFor(b*c, 1, func(lo, hi int) {
		for bc := lo; bc < hi; bc++ {
			dst := gx.Data[bc*h*w : (bc+1)*h*w]
			for ki := 0; ki < kh; ki++ {
				for kj := 0; kj < kw; kj++ {
					row := (bc*kh+ki)*kw + kj
					src := cols.Data[row*oh*ow : (row+1)*oh*ow]
					for oy := 0; oy < oh; oy++ {
						y := oy*stride - pad + ki
						if y < 0 || y >= h {
							continue
						}
						for ox := 0; ox < ow; ox++ {
							xx := ox*stride - pad + kj
							if xx >= 0 && xx < w {
								dst[y*w+xx] += src[oy*ow+ox]
							}
						}
					}
				}
			}
		}
	})
}

func (cpuBackend) NearestCodes(x, codebook *core.Tensor, ids []int32, dist []float32) {
	n, d := rows(x)
	if codebook.Rank() != 2 || codebook.Dim(1) != d || len(ids) != n || len(dist) != n {
		panic(fmt.Sprintf("cpu.NearestCodes: x %v, codebook %v, %d ids, %d dists", x.Dims(), codebook.Dims(), len(ids), len(dist)))
	}
	k := codebook.Dim(0)
	parallelFor(n, 16, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xs := x.Data[i*d : (i+1)*d]
			best, bestD := int32(-1), float32(0)
			for c := 0; c < k; c++ {
				cs := codebook.Data[c*d : (c+1)*d]
				var s float32
				for j, v := range xs {
					e := v - cs[j]
					s += e * e
				}
				if best < 0 || s < bestD {
					best, bestD = int32(c), s
				}
			}
			ids[i], dist[i] = best, bestD
		}
	})
}
