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
