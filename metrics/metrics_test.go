package metrics

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"xprompt/img"
)

func filled(w, h int, v float32) *img.Image {
	m := img.New(w, h)
	for i := range m.Pix {
		m.Pix[i] = v
	}
	return m
}

func TestPSNRAndRMSEByHand(t *testing.T) {
	one := img.New(2, 1)
	one.Set(0, 0, 0.5, 0, 0) // a single difference of 0.5 among 6 values
	quarter := filled(3, 2, 0.25)
	for _, tc := range []struct {
		name       string
		a, b       *img.Image
		mse, psnr  float64
		tolP, tolR float64
	}{
		// MSE = 0.25/6 = 1/24; PSNR = 10·log10(24).
		{"one pixel off", img.New(2, 1), one, 1.0 / 24, 13.802112417116060, 1e-12, 1e-15},
		// MSE = 0.0625 (0.25 is exact in float32); PSNR = 10·log10(16).
		{"constant 0.25", img.New(3, 2), quarter, 0.0625, 12.041199826559248, 1e-12, 1e-15},
		// 0.1 is not exact in float32: MSE = float32(0.1)², PSNR ≈ 20.
		{"constant 0.1", img.New(4, 4), filled(4, 4, 0.1), float64(float32(0.1)) * float64(float32(0.1)), 20, 1e-6, 1e-15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PSNR(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := RMSE(tc.a, tc.b)
			m, _ := MSE(tc.b, tc.a)
			if math.Abs(p-tc.psnr) > tc.tolP {
				t.Errorf("PSNR = %.15g, want %.15g", p, tc.psnr)
			}
			if math.Abs(m-tc.mse) > tc.tolR || math.Abs(r-math.Sqrt(tc.mse)) > tc.tolR {
				t.Errorf("MSE = %.17g, RMSE = %.17g, want %.17g and its root", m, r, tc.mse)
			}
		})
	}
	a := filled(5, 5, 0.3)
	if p, _ := PSNR(a, a.Clone()); !math.IsInf(p, 1) {
		t.Errorf("identical: PSNR = %g, want +Inf", p)
	}
	if r, _ := RMSE(a, a.Clone()); r != 0 {
		t.Errorf("identical: RMSE = %g, want 0", r)
	}
}

func TestSizeMismatchNamesBothSizes(t *testing.T) {
	a, b := img.New(32, 32), img.New(16, 8)
	for name, f := range map[string]func(a, b *img.Image) (float64, error){
		"PSNR": PSNR, "RMSE": RMSE, "MSE": MSE, "SSIM": SSIM, "MeanAngleError": MeanAngleError,
		"Compare": func(a, b *img.Image) (float64, error) { s, err := Compare(a, b); return s.PSNR, err },
	} {
		_, err := f(a, b)
		if err == nil || !strings.Contains(err.Error(), "32×32") || !strings.Contains(err.Error(), "16×8") {
			t.Errorf("%s: err = %v, want one naming 32×32 and 16×8", name, err)
		}
	}
}

func TestCompareAndJSON(t *testing.T) {
	a := randomImage(20, 20, 5)
	b := blend(a, randomImage(20, 20, 6), 0.25)
	s, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := PSNR(a, b)
	q, _ := SSIM(a, b)
	r, _ := RMSE(a, b)
	if s.PSNR != p || s.SSIM != q || s.RMSE != r {
		t.Errorf("Compare = %+v, separate calls give %g %g %g", s, p, q, r)
	}
	var back map[string]float64
	js, _ := json.Marshal(s)
	if err := json.Unmarshal(js, &back); err != nil || back["psnr"] != p || back["ssim"] != q || back["rmse"] != r {
		t.Errorf("JSON %s does not round-trip (%v)", js, err)
	}
	js, err = json.Marshal(Scores{PSNR: math.Inf(1), SSIM: 1, RMSE: 0})
	if err != nil || string(js) != `{"psnr":null,"ssim":1,"rmse":0}` {
		t.Errorf("identical images: JSON %s, err %v", js, err)
	}
}

func TestMIoU(t *testing.T) {
	for _, tc := range []struct {
		name        string
		pred, truth []uint8
		classes     int
		want        float64
	}{
		// class 0: ∩1 ∪2 → 1/2; class 1: ∩2 ∪3 → 2/3; class 2 absent.
		{"partial", []uint8{0, 0, 1, 1}, []uint8{0, 1, 1, 1}, 3, (0.5 + 2.0/3) / 2},
		{"perfect", []uint8{2, 0, 2}, []uint8{2, 0, 2}, 4, 1},
		{"disjoint", []uint8{0, 0}, []uint8{1, 1}, 2, 0},
		// class 0: ∩0 ∪1; class 1: ∩1 ∪1; class 3: ∩0 ∪1 → 1/3.
		{"predicted-only class counts", []uint8{3, 1}, []uint8{0, 1}, 4, 1.0 / 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MIoU(tc.pred, tc.truth, tc.classes); math.Abs(got-tc.want) > 1e-15 {
				t.Errorf("MIoU = %.17g, want %.17g", got, tc.want)
			}
		})
	}
	if !math.IsNaN(MIoU(nil, nil, 3)) {
		t.Error("empty maps: want NaN")
	}
	for name, f := range map[string]func(){
		"length": func() { MIoU([]uint8{0}, []uint8{0, 1}, 2) },
		"label":  func() { MIoU([]uint8{0, 5}, []uint8{0, 1}, 2) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "metrics.MIoU") {
					t.Errorf("%s: panic %v, want one naming metrics.MIoU", name, r)
				}
			}()
			f()
		}()
	}
}

func TestMeanAngleError(t *testing.T) {
	// Normals n = 2v−1: +x = (1,.5,.5), +y = (.5,1,.5), −x = (0,.5,.5),
	// none = (.5,.5,.5).
	px := func(vals ...[3]float32) *img.Image {
		m := img.New(len(vals), 1)
		for i, v := range vals {
			m.Set(i, 0, v[0], v[1], v[2])
		}
		return m
	}
	X, Y, negX, none := [3]float32{1, .5, .5}, [3]float32{.5, 1, .5}, [3]float32{0, .5, .5}, [3]float32{.5, .5, .5}
	for _, tc := range []struct {
		name        string
		pred, truth *img.Image
		want        float64
	}{
		{"same", px(X, Y), px(X, Y), 0},
		{"orthogonal", px(X), px(Y), 90},
		{"opposite", px(X), px(negX), 180},
		{"mean, zero normal skipped", px(X, X, none), px(X, Y, X), 45},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MeanAngleError(tc.pred, tc.truth)
			if err != nil || math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("MeanAngleError = %.12g (%v), want %g", got, err, tc.want)
			}
		})
	}
}
