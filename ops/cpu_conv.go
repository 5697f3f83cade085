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

// validRange returns the output columns [lo, hi) of an axis whose input
// index o·stride − pad + k falls inside [0, n).
func validRange(n, out, k, stride, pad int) (lo, hi int) {
	// o·stride ≥ pad − k  and  o·stride ≤ n − 1 + pad − k.
	a, b := pad-k, n-1+pad-k
	if a > 0 {
		lo = (a + stride - 1) / stride
	}
	if b < 0 {
		return lo, lo
	}
	hi = min(out, b/stride+1)
	return lo, max(lo, hi)
}

// Im2Col copies whole rows: for each filter tap the in-bounds output columns
// of an output row read one contiguous (stride 1) or strided input row, and
// the columns that fall in the padding are zero.
func (cpuBackend) Im2Col(x, cols *core.Tensor, kh, kw, stride, pad int) {
	b, c, h, w, oh, ow := checkIm2Col("cpu.Im2Col", x, cols, kh, kw, stride, pad)
	parallelFor(b*c, 1, func(lo, hi int) {
		for bc := lo; bc < hi; bc++ {
			src := x.Data[bc*h*w : (bc+1)*h*w]
			for ki := 0; ki < kh; ki++ {
				for kj := 0; kj < kw; kj++ {
					row := (bc*kh+ki)*kw + kj
					dst := cols.Data[row*oh*ow : (row+1)*oh*ow]
					x0, x1 := validRange(w, ow, kj, stride, pad)
					off := kj - pad // input column of output column 0
					for oy := 0; oy < oh; oy++ {
						d := dst[oy*ow : (oy+1)*ow]
						y := oy*stride - pad + ki
						if y < 0 || y >= h {
							clear(d)
							continue
						}
						clear(d[:x0])
						clear(d[x1:])
						s := src[y*w : (y+1)*w]
						if stride == 1 {
							copy(d[x0:x1], s[x0+off:x1+off])
							continue
						}
						for ox := x0; ox < x1; ox++ {
							d[ox] = s[ox*stride+off]
						}
					}
				}
			}
		}
	})
}

// Col2Im is Im2Col's adjoint with the same row structure: in-bounds columns
// add into one input row; padding columns are dropped.
func (cpuBackend) Col2Im(cols, gx *core.Tensor, kh, kw, stride, pad int) {
	b, c, h, w, oh, ow := checkIm2Col("cpu.Col2Im", gx, cols, kh, kw, stride, pad)
	parallelFor(b*c, 1, func(lo, hi int) {
		for bc := lo; bc < hi; bc++ {
			dst := gx.Data[bc*h*w : (bc+1)*h*w]
			for ki := 0; ki < kh; ki++ {
				for kj := 0; kj < kw; kj++ {
					row := (bc*kh+ki)*kw + kj
					src := cols.Data[row*oh*ow : (row+1)*oh*ow]
					x0, x1 := validRange(w, ow, kj, stride, pad)
					off := kj - pad
					for oy := 0; oy < oh; oy++ {
						y := oy*stride - pad + ki
						if y < 0 || y >= h {
							continue
						}
						s := src[oy*ow : (oy+1)*ow]
						d := dst[y*w : (y+1)*w]
						if stride == 1 {
							dd := d[x0+off : x1+off]
							for i, v := range s[x0:x1] {
								dd[i] += v
							}
							continue
						}
						for ox := x0; ox < x1; ox++ {
							d[ox*stride+off] += s[ox]
						}
					}
				}
			}
		}
	})
}

// im2colReference is the direct definition of Im2Col, one bounds check per
// value; tests compare the row-wise kernel against it.
func im2colReference(x, cols *core.Tensor, kh, kw, stride, pad int) {
	b, c, h, w, oh, ow := checkIm2Col("im2colReference", x, cols, kh, kw, stride, pad)
	for bc := 0; bc < b*c; bc++ {
		for ki := 0; ki < kh; ki++ {
			for kj := 0; kj < kw; kj++ {
				row := (bc*kh+ki)*kw + kj
				for oy := 0; oy < oh; oy++ {
					for ox := 0; ox < ow; ox++ {
						y, xx := oy*stride-pad+ki, ox*stride-pad+kj
						v := float32(0)
						if y >= 0 && y < h && xx >= 0 && xx < w {
							v = x.Data[(bc*h+y)*w+xx]
						}
						cols.Data[(row*oh+oy)*ow+ox] = v
					}
				}
			}
		}
	}
}

// col2imReference is the direct definition of Col2Im.
func col2imReference(cols, gx *core.Tensor, kh, kw, stride, pad int) {
	b, c, h, w, oh, ow := checkIm2Col("col2imReference", gx, cols, kh, kw, stride, pad)
	for bc := 0; bc < b*c; bc++ {
		for ki := 0; ki < kh; ki++ {
			for kj := 0; kj < kw; kj++ {
				row := (bc*kh+ki)*kw + kj
				for oy := 0; oy < oh; oy++ {
					for ox := 0; ox < ow; ox++ {
						y, xx := oy*stride-pad+ki, ox*stride-pad+kj
						if y >= 0 && y < h && xx >= 0 && xx < w {
							gx.Data[(bc*h+y)*w+xx] += cols.Data[(row*oh+oy)*ow+ox]
						}
					}
				}
			}
		}
	}
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
