package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"xprompt/img"
)

// fromFormula returns the w×h image with values float32(k(x, y, c))/255,
// as testdata/ssim_reference.py builds them.
func fromFormula(w, h int, k func(x, y, c int) int) *img.Image {
	m := img.New(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				m.Pix[(y*w+x)*3+c] = float32(k(x, y, c)) / 255
			}
		}
	}
	return m
}

func clamp255(k int) int { return max(0, min(255, k)) }

func blocks(x, y, c int) int {
	if (x/4+y/4+c)%2 == 0 {
		return 255
	}
	return 30
}

// ssimPairs are the image pairs of testdata/ssim_reference.py, formula for
// formula.
var ssimPairs = []struct {
	name   string
	w, h   int
	ka, kb func(x, y, c int) int
}{
	{"ramp_vs_noisy", 32, 32,
		func(x, y, c int) int { return (3*x + 5*y + 40*c) % 256 },
		func(x, y, c int) int { return clamp255((3*x+5*y+40*c)%256 + (x*7+y*11+c*3)%17 - 8) }},
	{"hash_vs_shifted", 40, 24,
		func(x, y, c int) int { return (x*x*31 + x*y*17 + y*y*7 + c*101 + 7) % 256 },
		func(x, y, c int) int { return ((x+1)*(x+1)*31 + (x+1)*y*17 + y*y*7 + c*101 + 7) % 256 }},
	{"blocks_vs_mixed", 16, 13,
		blocks,
		func(x, y, c int) int { return (blocks(x, y, c)*3 + 60 + x*y) % 256 }},
	{"one_window_11x11", 11, 11,
		func(x, y, c int) int { return (x*23 + y*9 + c*50) % 256 },
		func(x, y, c int) int { return (x*y*5 + c*70 + 13) % 256 }},
}

// skimageSSIM holds the output of
//
//	/usr/bin/python3 metrics/testdata/ssim_reference.py
//
// (scikit-image 0.19.3, scipy 1.10.1, numpy 1.24.2), which calls
// structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False, data_range=1.0, channel_axis=-1).
var skimageSSIM = map[string]float64{
	"ramp_vs_noisy":    0.9072557382224181,
	"hash_vs_shifted":  -0.057063926469338944,
	"blocks_vs_mixed":  -0.6459243239721406,
	"one_window_11x11": 0.5503102128685929,
}

func TestSSIMAgainstSkimage(t *testing.T) {
	for _, p := range ssimPairs {
		t.Run(p.name, func(t *testing.T) {
			a, b := fromFormula(p.w, p.h, p.ka), fromFormula(p.w, p.h, p.kb)
			got, err := SSIM(a, b)
			if err != nil {
				t.Fatal(err)
			}
			want := skimageSSIM[p.name]
			t.Logf("SSIM = %.17g, skimage %.17g, Δ %.2g", got, want, got-want)
			if math.Abs(got-want) > 1e-10 {
				t.Errorf("SSIM = %.17g, skimage %.17g (Δ %.2g)", got, want, got-want)
			}
			if sym, _ := SSIM(b, a); math.Abs(sym-got) > 1e-12 {
				t.Errorf("not symmetric: %.17g vs %.17g", sym, got)
			}
		})
	}
}

// ssimDirect is the textbook definition, computed independently of the
// separable filter: for every window position wholly inside the image, the
// 2-D Gaussian weights exp(−(dx²+dy²)/(2σ²)) normalised over the window,
// two-pass weighted mean and (co)variances, the SSIM formula, then the mean
// over positions and channels. Windows are min(11, side) long per axis,
// centred at (n−1)/2.
func ssimDirect(a, b *img.Image) float64 {
	nx, ny := min(11, a.W), min(11, a.H)
	w := make([]float64, nx*ny)
	sum := 0.0
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			dx, dy := float64(i)-float64(nx-1)/2, float64(j)-float64(ny-1)/2
			w[j*nx+i] = math.Exp(-(dx*dx + dy*dy) / (2 * 1.5 * 1.5))
			sum += w[j*nx+i]
		}
	}
	for i := range w {
		w[i] /= sum
	}
	c1, c2 := 0.01*0.01, 0.03*0.03
	total, count := 0.0, 0
	for c := 0; c < 3; c++ {
		for oy := 0; oy+ny <= a.H; oy++ {
			for ox := 0; ox+nx <= a.W; ox++ {
				px := func(m *img.Image, i, j int) float64 { return float64(m.Pix[((oy+j)*m.W+ox+i)*3+c]) }
				var mx, my float64
				for j := 0; j < ny; j++ {
					for i := 0; i < nx; i++ {
						mx += w[j*nx+i] * px(a, i, j)
						my += w[j*nx+i] * px(b, i, j)
					}
				}
				var vx, vy, cxy float64
				for j := 0; j < ny; j++ {
					for i := 0; i < nx; i++ {
						dx, dy := px(a, i, j)-mx, px(b, i, j)-my
						vx += w[j*nx+i] * dx * dx
						vy += w[j*nx+i] * dy * dy
						cxy += w[j*nx+i] * dx * dy
					}
				}
				total += (2*mx*my + c1) * (2*cxy + c2) / ((mx*mx + my*my + c1) * (vx + vy + c2))
				count++
			}
		}
	}
	return total / float64(count)
}

func randomImage(w, h int, seed uint64) *img.Image {
	r := rand.New(rand.NewPCG(seed, 7))
	m := img.New(w, h)
	for i := range m.Pix {
		m.Pix[i] = r.Float32()
	}
	return m
}

// blend returns (1−t)·a + t·b.
func blend(a, b *img.Image, t float32) *img.Image {
	m := a.Clone()
	for i := range m.Pix {
		m.Pix[i] = (1-t)*a.Pix[i] + t*b.Pix[i]
	}
	return m
}

func TestSSIMDirectReference(t *testing.T) {
	for _, sz := range []struct{ w, h int }{
		{32, 32}, {11, 11}, {23, 12}, {7, 5}, {1, 1}, {11, 3}, {20, 9}, {2, 30},
	} {
		a := randomImage(sz.w, sz.h, uint64(sz.w*100+sz.h))
		b := blend(a, randomImage(sz.w, sz.h, 99), 0.3)
		got, err := SSIM(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if want := ssimDirect(a, b); math.Abs(got-want) > 1e-12 {
			t.Errorf("%d×%d: SSIM = %.17g, direct %.17g", sz.w, sz.h, got, want)
		}
	}
	for _, p := range ssimPairs {
		a, b := fromFormula(p.w, p.h, p.ka), fromFormula(p.w, p.h, p.kb)
		got, _ := SSIM(a, b)
		if want := ssimDirect(a, b); math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: SSIM = %.17g, direct %.17g", p.name, got, want)
		}
	}
}

func TestSSIMIdenticalAndOrdering(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{32, 32}, {5, 17}, {1, 1}} {
		a := randomImage(sz.w, sz.h, 3)
		if s, _ := SSIM(a, a.Clone()); math.Abs(s-1) > 1e-12 {
			t.Errorf("%d×%d identical: SSIM = %.17g, want 1", sz.w, sz.h, s)
		}
	}
	// More noise, lower SSIM.
	a, n := randomImage(32, 32, 1), randomImage(32, 32, 2)
	prev := 1.0
	for _, tt := range []float32{0.05, 0.2, 0.5, 1} {
		s, _ := SSIM(a, blend(a, n, tt))
		if s >= prev {
			t.Errorf("blend %.2f: SSIM %.6f not below %.6f", tt, s, prev)
		}
		prev = s
	}
}

func BenchmarkSSIM32(b *testing.B) {
	x, y := randomImage(32, 32, 1), randomImage(32, 32, 2)
	for b.Loop() {
		SSIM(x, y)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}
