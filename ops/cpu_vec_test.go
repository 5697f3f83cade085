package ops

import (
	"testing"

	"xprompt/core"
)

// TestSwiGLURowsMatchReference compares the AVX-512 SwiGLU rows with the
// portable ones on every tail length, large gates included (exp's clamps).
func TestSwiGLURowsMatchReference(t *testing.T) {
	if !attnAVX512 {
		t.Skip("no AVX-512 on this machine")
	}
	rng := core.NewRNG(3)
	vec := func(n int, s float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(s * rng.Normal())
		}
		return v
	}
	for n := 16; n <= 80; n++ {
		a, b, g := vec(n, 4), vec(n, 1), vec(n, 1)
		a[0], a[n-1] = 100, -100
		y, want := make([]float32, n), make([]float32, n)
		swigluRowAVX512(a, b, y)
		swigluRowGo(a, b, want)
		for i := range want {
			if !close(float64(y[i]), float64(want[i]), 1e-6) {
				t.Fatalf("n=%d: y[%d] = %g, reference %g (a=%g)", n, i, y[i], want[i], a[i])
			}
		}
		for _, acc := range []bool{false, true} {
			ga, gb := vec(n, 1), vec(n, 1)
			wa, wb := append([]float32(nil), ga...), append([]float32(nil), gb...)
			swigluBackRowAVX512(a, b, g, ga, gb, acc)
			swigluBackRowGo(a, b, g, wa, wb, acc)
			for i := range wa {
				if !close(float64(ga[i]), float64(wa[i]), 1e-6) || !close(float64(gb[i]), float64(wb[i]), 1e-6) {
					t.Fatalf("n=%d accumulate=%v: (ga, gb)[%d] = (%g, %g), reference (%g, %g)", n, acc, i, ga[i], gb[i], wa[i], wb[i])
				}
			}
		}
	}
}

// TestAdamWRowsMatchReference checks that the AVX-512 AdamW update equals the
// portable one exactly, on every tail length.
func TestAdamWRowsMatchReference(t *testing.T) {
	if !attnAVX512 {
		t.Skip("no AVX-512 on this machine")
	}
	rng := core.NewRNG(4)
	k := &adamwConsts{beta1: 0.9, oneMinusBeta1: 1 - float32(0.9), beta2: 0.95, oneMinusBeta2: 1 - float32(0.95),
		rbc2: 1.7, eps: 1e-8, decay: 1 - 3e-4*0.1, stepSize: 3e-3}
	for n := 1; n <= 70; n++ {
		set := make([][]float32, 8)
		for i := range set[:4] {
			set[i] = make([]float32, n)
			for j := range set[i] {
				set[i][j] = float32(rng.Normal())
			}
			if i == 3 { // v ≥ 0
				for j := range set[i] {
					set[i][j] *= set[i][j]
				}
			}
			set[i+4] = append([]float32(nil), set[i]...)
		}
		adamwAVX512(set[0], set[1], set[2], set[3], k)
		adamwRowGo(set[4], set[5], set[6], set[7], k)
		for i := 0; i < 4; i++ {
			for j := range set[i] {
				if set[i][j] != set[i+4][j] {
					t.Fatalf("n=%d: slice %d [%d] = %g, reference %g", n, i, j, set[i][j], set[i+4][j])
				}
			}
		}
	}
}

// TestRoPERowsMatchReference requires the AVX-512 rotation to equal
// ropeRows bit for bit, forward, back, and back added, at many positions.
func TestRoPERowsMatchReference(t *testing.T) {
	if !attnAVX512 {
		t.Skip("no AVX-512 on this machine")
	}
	rng := core.NewRNG(6)
	for _, hd := range []int{16, 32, 64} {
		cos, sin, ce, se := ropeExpanded(hd, 10000, 400)
		half := hd / 2
		for _, p := range []int{0, 1, 7, 100, 400} {
			c, s := cos[p*half:(p+1)*half], sin[p*half:(p+1)*half]
			x, y0 := randData(rng, hd), randData(rng, hd)
			for mode := 0; mode < 3; mode++ {
				got, want := append([]float32(nil), y0...), append([]float32(nil), y0...)
				ropeRowAVX512(&x[0], &got[0], &ce[p*hd], &se[p*hd], hd, mode)
				if mode == 0 {
					ropeRows(x, want, c, s, 1, false)
				} else {
					ropeRows(x, want, c, s, -1, mode == 2)
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("hd=%d pos=%d mode=%d: [%d] = %g, reference %g", hd, p, mode, i, got[i], want[i])
					}
				}
			}
		}
	}
}
