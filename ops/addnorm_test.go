package ops

import (
	"math"
	"testing"

	"xprompt/core"
)

// TestNormSumsMatchReference compares the four-way float64 sums of the
// RMSNorm kernels with one running sum (the order of additions differs:
// float64 rounding only) on lengths around the unrolling, and counts how
// often the float32 1/√mean they feed differs at all.
func TestNormSumsMatchReference(t *testing.T) {
	r := core.NewRNG(8)
	differ, total := 0, 0
	for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 31, 256, 257, 704} {
		for rep := 0; rep < 50; rep++ {
			xs, g, w := randData(r, n), randData(r, n), randData(r, n)
			rs := float32(0.7)
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"sumSquares64", sumSquares64(xs), sumSquares64Ref(xs)},
				{"normDot64", normDot64(g, w, xs, rs), normDot64Ref(g, w, xs, rs)},
			} {
				scale := 1.0
				for _, v := range xs {
					scale += math.Abs(float64(v)) * 4
				}
				if math.Abs(c.got-c.want) > 1e-13*scale {
					t.Fatalf("%s, n=%d: %.17g, reference %.17g", c.name, n, c.got, c.want)
				}
			}
			sum := make([]float32, n)
			if got, want := addSumSquares64(xs, g, sum), sumSquares64(sum); got != want {
				t.Fatalf("addSumSquares64, n=%d: %.17g, sumSquares64 of the sum %.17g", n, got, want)
			}
			for i := range sum {
				if sum[i] != xs[i]+g[i] {
					t.Fatalf("addSumSquares64, n=%d: s[%d] = %g, want %g", n, i, sum[i], xs[i]+g[i])
				}
			}
			if n > 0 {
				total++
				a := float32(1 / math.Sqrt(sumSquares64(xs)/float64(n)+1e-5))
				b := float32(1 / math.Sqrt(sumSquares64Ref(xs)/float64(n)+1e-5))
				if a != b {
					differ++
				}
			}
		}
	}
	t.Logf("float32 1/√mean differs in %d of %d rows", differ, total)
	if differ > total/20 {
		t.Errorf("float32 1/√mean differs in %d of %d rows: more than float64 rounding explains", differ, total)
	}
}

// BenchmarkNormSums times the float64 sums of a 256-wide row, the
// reference (one running sum) and the four-way version alternately.
func BenchmarkNormSums(b *testing.B) {
	r := core.NewRNG(9)
	xs, g, w := randData(r, 256), randData(r, 256), randData(r, 256)
	var sink float64
	for _, c := range []struct {
		name string
		f    func() float64
	}{
		{"sumSquares64Ref", func() float64 { return sumSquares64Ref(xs) }},
		{"sumSquares64", func() float64 { return sumSquares64(xs) }},
		{"normDot64Ref", func() float64 { return normDot64Ref(g, w, xs, 0.7) }},
		{"normDot64", func() float64 { return normDot64(g, w, xs, 0.7) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sink += c.f()
			}
		})
	}
	_ = sink
}
