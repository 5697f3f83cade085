package ops

import (
	"math"
	"testing"

	"xprompt/core"
)

// refNearest is the brute-force float64 nearest-code search.
func refNearest(z, cb []float64, n, k, d int) []int {
	ids := make([]int, n)
	for i := 0; i < n; i++ {
		best, bestD := -1, math.Inf(1)
		for c := 0; c < k; c++ {
			s := 0.0
			for j := 0; j < d; j++ {
				e := z[i*d+j] - cb[c*d+j]
				s += e * e
			}
			if s < bestD {
				best, bestD = c, s
			}
		}
		ids[i] = best
	}
	return ids
}

func to64(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, v := range xs {
		out[i] = float64(v)
	}
	return out
}

func TestVectorQuantizeForward(t *testing.T) {
	const n, k, d = 60, 24, 5
	rng := core.NewRNG(3)
	z := rng.Randn(1, n, d)
	cb := rng.Randn(1, k, d)
	// Rows 0..3 sit exactly on codes 7, 0, 23, 7.
	for i, c := range []int{7, 0, 23, 7} {
		copy(z.Data[i*d:(i+1)*d], cb.Data[c*d:(c+1)*d])
	}
	zq, ids, _ := VectorQuantize(z, cb, 0.25)
	want := refNearest(to64(z.Data), to64(cb.Data), n, k, d)
	for i := range want {
		if int(ids[i]) != want[i] {
			t.Fatalf("row %d: code %d, brute-force nearest %d", i, ids[i], want[i])
		}
		for j := 0; j < d; j++ {
			if zq.Data[i*d+j] != cb.Data[want[i]*d+j] {
				t.Fatalf("zq[%d,%d] = %g, want exactly codebook[%d,%d] = %g", i, j, zq.Data[i*d+j], want[i], j, cb.Data[want[i]*d+j])
			}
		}
	}
	for i, c := range []int32{7, 0, 23, 7} {
		if ids[i] != c {
			t.Fatalf("row %d equals code %d but was assigned %d", i, c, ids[i])
		}
	}
	mustPanic(t, func() { VectorQuantize(core.Zeros(3, 4), core.Zeros(5, 3), 0.25) }, "VectorQuantize", "[3 4]", "[5 3]")
}

func TestVectorQuantizeGradients(t *testing.T) {
	const n, k, d = 20, 6, 4
	const beta = 0.25
	rng := core.NewRNG(11)
	z := rng.Randn(1, n, d).SetRequiresGrad(true)
	cb := rng.Randn(1, k, d).SetRequiresGrad(true)

	// Straight-through: the gradient of zq reaches z unchanged and never the codebook.
	zq, ids, _ := VectorQuantize(z, cb, beta)
	r := rng.Randn(1, n, d)
	Sum(Mul(zq, r)).Backward()
	for i, v := range r.Data {
		if z.Grad().Data[i] != v {
			t.Fatalf("straight-through: dz[%d] = %g, want the upstream gradient %g", i, z.Grad().Data[i], v)
		}
	}
	if g := cb.Grad(); g != nil && core.Stats(g.Data).Max != 0 {
		t.Fatal("straight-through output sent a gradient to the codebook")
	}

	// The loss and its gradients against hand-derived float64 formulas:
	// L = (1+β)·mean((z−q)²); dL/dz = β·2(z−q)/(N·D); dL/dc = Σ_{i→c} 2(c−zᵢ)/(N·D).
	z.ZeroGrad()
	cb.ZeroGrad()
	_, ids, loss := VectorQuantize(z, cb, beta)
	loss.Backward()
	nd := float64(n * d)
	var mse float64
	gcb := make([]float64, k*d)
	for i := 0; i < n; i++ {
		c := int(ids[i])
		for j := 0; j < d; j++ {
			e := float64(z.Data[i*d+j]) - float64(cb.Data[c*d+j])
			mse += e * e / nd
			if got, want := float64(z.Grad().Data[i*d+j]), beta*2*e/nd; !close(got, want, 1e-5) {
				t.Fatalf("dL/dz[%d,%d] = %g, want β·2(z−q)/ND = %g", i, j, got, want)
			}
			gcb[c*d+j] -= 2 * e / nd
		}
	}
	if got, want := float64(loss.Item()), (1+beta)*mse; !close(got, want, 1e-5) {
		t.Fatalf("loss = %g, want (1+β)·mse = %g", got, want)
	}
	for i, want := range gcb {
		if got := float64(cb.Grad().Data[i]); !close(got, want, 1e-5) {
			t.Fatalf("dL/dcodebook[%d] = %g, want %g", i, got, want)
		}
	}

	// With β = 0 the loss is the codebook term alone: its codebook gradient is
	// the derivative of mean((z − codebook[nearest])²), checked by finite
	// differences (the assignment is locally constant).
	checkOp(t, opCase{
		name:   "vq_codebook_loss",
		shapes: [][]int{{n, d}, {k, d}},
		skip:   []bool{true, false},
		op: func(in []*core.Tensor) *core.Tensor {
			_, _, l := VectorQuantize(in[0], in[1], 0)
			return l
		},
		ref: func(in [][]float64) []float64 {
			nearest := refNearest(in[0], in[1], n, k, d)
			s := 0.0
			for i, c := range nearest {
				for j := 0; j < d; j++ {
					e := in[0][i*d+j] - in[1][c*d+j]
					s += e * e
				}
			}
			return []float64{s / nd}
		},
	})
}
