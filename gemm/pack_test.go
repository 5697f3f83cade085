package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPack checks every variant's packing routines element by element
// against their definitions, for every strip width w ≤ W and depths around
// the 16-step blocks; dst starts as NaN so missing zero padding shows.
func TestPack(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const ld = 300
	src := randSlice(rng, 256*ld)
	for _, v := range variants {
		for _, W := range []int{v.mr, v.nr} {
			for w := 1; w <= W; w++ {
				for _, kc := range []int{1, 15, 16, 17, 33, 256} {
					dst := make([]float32, kc*W+3)
					for name, pack := range map[string]func(dst, src []float32, ld, kc, w, W int){
						"packRows": v.packRows, "packCols": v.packCols,
					} {
						for i := range dst {
							dst[i] = float32(math.NaN())
						}
						pack(dst, src, ld, kc, w, W)
						for p := 0; p < kc; p++ {
							for r := 0; r < W; r++ {
								var want float32
								switch {
								case r >= w:
								case name == "packRows":
									want = src[p*ld+r]
								default:
									want = src[r*ld+p]
								}
								if got := dst[p*W+r]; got != want {
									t.Fatalf("%s %s W=%d w=%d kc=%d: dst[%d·W+%d] = %v, want %v",
										v.name, name, W, w, kc, p, r, got, want)
								}
							}
						}
						for i := kc * W; i < len(dst); i++ {
							if !math.IsNaN(float64(dst[i])) {
								t.Fatalf("%s %s W=%d w=%d kc=%d: wrote past the strip at %d", v.name, name, W, w, kc, i)
							}
						}
					}
				}
			}
		}
	}
}
