package core

import (
	"math"
	"testing"
)

func TestHalfRoundTrip(t *testing.T) {
	for _, c := range []struct {
		in   float32
		bits uint16
	}{{0, 0}, {1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {1e6, 0x7c00}, {5.960464477539063e-08, 1}, {0.333251953125, 0x3555}} {
		if got := ToHalf(c.in); got != c.bits {
			t.Fatalf("ToHalf(%g) = %#04x, want %#04x", c.in, got, c.bits)
		}
	}
	rng := NewRNG(1)
	for i := 0; i < 10000; i++ {
		v := float32(rng.Normal())
		back := FromHalf(ToHalf(v))
		if math.Abs(float64(back-v)) > math.Abs(float64(v))/1024+1e-7 {
			t.Fatalf("half round trip of %g gave %g", v, back)
		}
	}
}

// refHalf finds the float16 nearest to v by searching every finite half
// value (ties to the even bit pattern), independently of ToHalf's bit tricks.
func refHalf(v float32, table []float64) uint16 {
	best, bestD := uint16(0), math.Inf(1)
	for h := 0; h < 1<<16; h++ {
		x := table[h]
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		d := math.Abs(x - float64(v))
		if d < bestD || (d == bestD && h&1 == 0 && best&1 == 1) {
			best, bestD = uint16(h), d
		}
	}
	// Beyond the largest half plus half an ulp (65520) the value rounds to infinity.
	if math.Abs(float64(v)) >= 65520 {
		return uint16(math.Float32bits(v)>>16)&0x8000 | 0x7c00
	}
	return best
}

func TestHalfConversion(t *testing.T) {
	for _, c := range []struct {
		h uint16
		v float32
	}{{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 1.0 / (1 << 24)}, {0x0400, 1.0 / (1 << 14)}, {0x3555, 0.333251953125}, {0x7c00, float32(math.Inf(1))}} {
		if got := FromHalf(c.h); got != c.v {
			t.Fatalf("FromHalf(%#04x) = %g, want %g", c.h, got, c.v)
		}
		if got := ToHalf(c.v); got != c.h {
			t.Fatalf("ToHalf(%g) = %#04x, want %#04x", c.v, got, c.h)
		}
	}
	table := make([]float64, 1<<16)
	for h := range table {
		table[h] = float64(FromHalf(uint16(h)))
	}
	r := func(i int) float32 { // values spread over the whole range, including subnormals
		u := math.Sin(float64(i)*12.9898) * 43758.5453
		u -= math.Floor(u)
		return float32((u - 0.5) * math.Pow(2, float64(i%44)-26))
	}
	vals := []float32{0, 65519, 65520, 65536, 1e-8, 2.9802322e-08, 2.98023259e-08, 6.1e-5}
	for i := 0; i < 400; i++ {
		vals = append(vals, r(i))
	}
	for _, v := range vals {
		if got, want := ToHalf(v), refHalf(v, table); got != want && !(FromHalf(got) == 0 && FromHalf(want) == 0) {
			t.Fatalf("ToHalf(%g) = %#04x (%g), nearest half %#04x (%g)", v, got, FromHalf(got), want, FromHalf(want))
		}
	}
	if h := ToHalf(float32(math.NaN())); !math.IsNaN(float64(FromHalf(h))) {
		t.Fatalf("ToHalf(NaN) = %#04x, not a NaN", h)
	}
}
