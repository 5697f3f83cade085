package ops

import (
	"math"
	"testing"

	"xprompt/core"
)

// refConv2d is the direct float64 cross-correlation: four nested loops over
// the output and the filter, zeros outside x.
func refConv2d(x, w, b []float64, bn, c, h, wd, o, kh, kw, stride, pad int) []float64 {
	oh, ow := (h+2*pad-kh)/stride+1, (wd+2*pad-kw)/stride+1
	out := make([]float64, bn*o*oh*ow)
	for n := 0; n < bn; n++ {
		for oc := 0; oc < o; oc++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					s := 0.0
					if b != nil {
						s = b[oc]
					}
					for ic := 0; ic < c; ic++ {
						for p := 0; p < kh; p++ {
							for q := 0; q < kw; q++ {
								y, xx := i*stride+p-pad, j*stride+q-pad
								if y < 0 || y >= h || xx < 0 || xx >= wd {
									continue
								}
								s += w[((oc*c+ic)*kh+p)*kw+q] * x[((n*c+ic)*h+y)*wd+xx]
							}
						}
					}
					out[((n*o+oc)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return out
}

func TestConv2d(t *testing.T) {
	cases := []struct {
		name                  string
		b, c, h, w, o, kh, kw int
		stride, pad           int
		bias                  bool
	}{
		{"3x3_s1_p1", 2, 2, 5, 5, 3, 3, 3, 1, 1, true},
		{"3x3_s1_p0_odd", 1, 3, 7, 5, 2, 3, 3, 1, 0, true},
		{"3x3_s2_p1_odd", 2, 2, 7, 7, 3, 3, 3, 2, 1, true},
		{"3x3_s2_p0", 1, 2, 6, 8, 2, 3, 3, 2, 0, false},
		{"4x4_s2_p1", 2, 1, 8, 6, 2, 4, 4, 2, 1, true},
		{"3x2_s1_p1_rect", 1, 2, 5, 4, 2, 3, 2, 1, 1, true},
		{"1x1_direct", 2, 3, 4, 3, 4, 1, 1, 1, 0, true},
		{"1x1_s2", 1, 2, 5, 5, 2, 1, 1, 2, 0, false},
	}
	for _, tc := range cases {
		tc := tc
		shapes := [][]int{{tc.b, tc.c, tc.h, tc.w}, {tc.o, tc.c, tc.kh, tc.kw}}
		if tc.bias {
			shapes = append(shapes, []int{tc.o})
		}
		checkOp(t, opCase{
			name:   "conv2d_" + tc.name,
			shapes: shapes,
			op: func(in []*core.Tensor) *core.Tensor {
				var b *core.Tensor
				if tc.bias {
					b = in[2]
				}
				return Conv2d(in[0], in[1], b, tc.stride, tc.pad)
			},
			ref: func(in [][]float64) []float64 {
				var b []float64
				if tc.bias {
					b = in[2]
				}
				return refConv2d(in[0], in[1], b, tc.b, tc.c, tc.h, tc.w, tc.o, tc.kh, tc.kw, tc.stride, tc.pad)
			},
		})
	}
	// Known value: a 3×3 box filter over ones with padding 1 counts the
	// in-bounds neighbours: 4 at corners, 6 on edges, 9 inside.
	y := Conv2d(core.Ones(1, 1, 3, 3), core.Ones(1, 1, 3, 3), nil, 1, 1)
	want := []float32{4, 6, 4, 6, 9, 6, 4, 6, 4}
	for i, v := range want {
		if y.Data[i] != v {
			t.Fatalf("box filter over ones: out[%d] = %g, want %g", i, y.Data[i], v)
		}
	}
	if got := Conv2d(core.Zeros(2, 3, 8, 8), core.Zeros(5, 3, 3, 3), nil, 2, 1).Dims(); !core.EqualShapes(got, []int{2, 5, 4, 4}) {
		t.Fatalf("conv 8×8 stride 2 pad 1: shape %v, want [2 5 4 4]", got)
	}
	mustPanic(t, func() { Conv2d(core.Zeros(1, 2, 4, 4), core.Zeros(3, 4, 3, 3), nil, 1, 1) }, "Conv2d", "[1 2 4 4]", "[3 4 3 3]")
	mustPanic(t, func() { Conv2d(core.Zeros(1, 2, 4, 4), core.Zeros(3, 2, 3, 3), core.Zeros(2), 1, 1) }, "Conv2d", "bias")
	mustPanic(t, func() { Conv2d(core.Zeros(1, 1, 2, 2), core.Zeros(1, 1, 3, 3), nil, 1, 0) }, "Conv2d", "empty")
}

func TestGroupNorm(t *testing.T) {
	const eps = 1e-5
	bn, c, h, w := 2, 4, 3, 2
	for _, tc := range []struct {
		groups int
		affine bool
	}{{2, true}, {1, true}, {4, true}, {2, false}} {
		tc := tc
		shapes := [][]int{{bn, c, h, w}}
		if tc.affine {
			shapes = append(shapes, []int{c}, []int{c})
		}
		checkOp(t, opCase{
			name:   "group_norm",
			shapes: shapes,
			op: func(in []*core.Tensor) *core.Tensor {
				if tc.affine {
					return GroupNorm(in[0], in[1], in[2], tc.groups, eps)
				}
				return GroupNorm(in[0], nil, nil, tc.groups, eps)
			},
			ref: func(in [][]float64) []float64 {
				x := in[0]
				out := make([]float64, len(x))
				cg := c / tc.groups
				per := cg * h * w
				for n := 0; n < bn; n++ {
					for g := 0; g < tc.groups; g++ {
						base := (n*c + g*cg) * h * w // the group's values are contiguous
						var mu, va float64
						for i := 0; i < per; i++ {
							mu += x[base+i] / float64(per)
						}
						for i := 0; i < per; i++ {
							va += (x[base+i] - mu) * (x[base+i] - mu) / float64(per)
						}
						for i := 0; i < per; i++ {
							v := (x[base+i] - mu) / math.Sqrt(va+eps)
							if tc.affine {
								ch := g*cg + i/(h*w)
								v = v*in[1][ch] + in[2][ch]
							}
							out[base+i] = v
						}
					}
				}
				return out
			},
		})
	}
	mustPanic(t, func() { GroupNorm(core.Zeros(1, 6, 2, 2), nil, nil, 4, 1e-5) }, "GroupNorm", "4 groups")
}

func TestUpsampleNearest(t *testing.T) {
	for _, f := range []int{2, 3} {
		f := f
		bn, c, h, w := 2, 2, 3, 2
		checkOp(t, opCase{
			name:   "upsample_nearest",
			shapes: [][]int{{bn, c, h, w}},
			op:     func(in []*core.Tensor) *core.Tensor { return UpsampleNearest(in[0], f) },
			ref: func(in [][]float64) []float64 {
				oh, ow := h*f, w*f
				out := make([]float64, bn*c*oh*ow)
				for nc := 0; nc < bn*c; nc++ {
					for i := 0; i < oh; i++ {
						for j := 0; j < ow; j++ {
							out[(nc*oh+i)*ow+j] = in[0][(nc*h+i/f)*w+j/f]
						}
					}
				}
				return out
			},
		})
	}
	x := core.New([]float32{1, 2, 3, 4}, 1, 1, 2, 2)
	want := []float32{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}
	y := UpsampleNearest(x, 2)
	for i, v := range want {
		if y.Data[i] != v {
			t.Fatalf("upsample [[1 2][3 4]] ×2: out[%d] = %g, want %g", i, y.Data[i], v)
		}
	}
	mustPanic(t, func() { UpsampleNearest(core.Zeros(2, 3), 2) }, "UpsampleNearest", "[2 3]")
}

func BenchmarkConv2d(b *testing.B) {
	for _, s := range []struct {
		name               string
		bn, c, hw, o, k, s int
	}{
		{"32px_c32_k3", 16, 32, 32, 32, 3, 1},
		{"16px_c64_k3", 16, 64, 16, 64, 3, 1},
	} {
		b.Run(s.name, func(b *testing.B) {
			rng := core.NewRNG(1)
			x := rng.Randn(1, s.bn, s.c, s.hw, s.hw).SetRequiresGrad(true)
			w := rng.Randn(0.1, s.o, s.c, s.k, s.k).SetRequiresGrad(true)
			oh := s.hw / s.s
			flops := 3 * 2 * float64(s.bn*s.o*oh*oh*s.c*s.k*s.k) // forward + two backward products
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Sum(Conv2d(x, w, nil, s.s, s.k/2)).Backward()
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestIm2ColMatchesReference compares the row-wise kernels with the direct
// definitions on shapes where the padding exceeds the kernel overlap, the
// stride skips columns and the kernel is wider than the image.
func TestIm2ColMatchesReference(t *testing.T) {
	rng := core.NewRNG(5)
	for _, s := range [][6]int{ // h, w, kh, kw, stride, pad
		{5, 5, 3, 3, 1, 1}, {7, 6, 3, 3, 2, 1}, {8, 8, 4, 4, 2, 1}, {4, 9, 1, 1, 1, 0},
		{5, 7, 3, 2, 3, 2}, {3, 3, 5, 5, 1, 2}, {6, 5, 2, 3, 2, 0}, {2, 2, 3, 3, 1, 3},
	} {
		h, w, kh, kw, stride, pad := s[0], s[1], s[2], s[3], s[4], s[5]
		oh, ow := convOut(h, kh, stride, pad), convOut(w, kw, stride, pad)
		x := rng.Randn(1, 2, 3, h, w)
		got, want := rng.Randn(1, 2, 3*kh*kw, oh*ow), core.Zeros(2, 3*kh*kw, oh*ow) // got starts dirty
		CPU.Im2Col(x, got, kh, kw, stride, pad)
		im2colReference(x, want, kh, kw, stride, pad)
		for i := range want.Data {
			if got.Data[i] != want.Data[i] {
				t.Fatalf("Im2Col %v: cols[%d] = %g, reference %g", s, i, got.Data[i], want.Data[i])
			}
		}
		g := rng.Randn(1, 2, 3*kh*kw, oh*ow)
		gx, gxRef := rng.Randn(1, 2, 3, h, w), core.Zeros(2, 3, h, w)
		copy(gxRef.Data, gx.Data) // both accumulate onto the same values
		CPU.Col2Im(g, gx, kh, kw, stride, pad)
		col2imReference(g, gxRef, kh, kw, stride, pad)
		for i := range gxRef.Data {
			if math.Abs(float64(gx.Data[i]-gxRef.Data[i])) > 1e-5 {
				t.Fatalf("Col2Im %v: gx[%d] = %g, reference %g", s, i, gx.Data[i], gxRef.Data[i])
			}
		}
	}
}
