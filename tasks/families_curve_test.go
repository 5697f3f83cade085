package tasks

import (
	"math"
	"testing"
)

// TestToneCurveParams checks the parameter ranges and the distance from
// the identity over many seeds, and that the draws spread over the range
// (both brightening and darkening, both exponent sides).
func TestToneCurveParams(t *testing.T) {
	var brighter, darker, lowExp, highExp int
	for seed := uint64(0); seed < 2000; seed++ {
		a, e := ToneCurveParams(seed)
		if a < 0.2-1e-12 || a > 5+1e-12 || e < 0.5-1e-12 || e > 2+1e-12 {
			t.Fatalf("seed %d: a=%g e=%g out of range", seed, a, e)
		}
		if math.Abs(math.Log(a))+math.Abs(math.Log(e)) < 0.4 {
			t.Fatalf("seed %d: a=%g e=%g too close to the identity", seed, a, e)
		}
		if a2, e2 := ToneCurveParams(seed); a2 != a || e2 != e {
			t.Fatalf("seed %d: parameters not deterministic", seed)
		}
		if a > 2 {
			brighter++
		}
		if a < 0.5 {
			darker++
		}
		if e < 0.7 {
			lowExp++
		}
		if e > 1.4 {
			highExp++
		}
	}
	for name, n := range map[string]int{"a>2": brighter, "a<0.5": darker, "e<0.7": lowExp, "e>1.4": highExp} {
		if n < 200 {
			t.Errorf("only %d of 2000 seeds have %s", n, name)
		}
	}
}

// TestToneCurveFamily checks every output pixel against the curve computed
// here in float64, for the family and its inverse, and that the two are
// each other's reverse.
func TestToneCurveFamily(t *testing.T) {
	for _, seed := range []uint64{3, 77, 1 << 21} {
		a, e := ToneCurveParams(seed)
		curve := func(v float32) float64 { return math.Min(1, a*math.Pow(float64(v), e)) }
		fwd := ToneCurveFamily(seed)
		inv := mustFamily(fwd.Reverse)
		for _, f := range []*Family{fwd, inv} {
			ex := f.Sample(NewRand(seed), 32)
			src, dst := ex.Input, ex.Output
			if f == inv {
				src, dst = dst, src
			}
			for i, v := range src.Pix {
				if d := math.Abs(float64(dst.Pix[i]) - curve(v)); d > 1e-5 {
					t.Fatalf("%s pixel %d: %g → %g, curve gives %g", f.Name, i, v, dst.Pix[i], curve(v))
				}
			}
			r, ok := ex.Reversed()
			if !ok || r.Family != f.Reverse || !sameImage(r.Input, ex.Output) || !sameImage(r.Output, ex.Input) {
				t.Fatalf("%s: reverse example %q does not swap the images", f.Name, r.Family)
			}
		}
	}
}
