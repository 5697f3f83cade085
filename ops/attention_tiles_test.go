package ops

import (
	"fmt"
	"testing"

	"xprompt/core"
)

// randomMask returns a mask of a random kind over random runs of segment ids
// (padding, the four segments, an unnamed id and one outside the table's
// range) with random positions; tq ≤ tk.
func randomMask(r *core.RNG, b, tq, tk int) *core.Mask {
	ids := []int32{pad, bos, ie, xp, td, 5, 100}
	segs := func(n int) []int32 {
		out := make([]int32, 0, n)
		for len(out) < n {
			s, run := ids[r.IntN(len(ids))], 1+r.IntN(8)
			for i := 0; i < run && len(out) < n; i++ {
				out = append(out, s)
			}
		}
		return out
	}
	positions := func(n int) []int32 {
		out := make([]int32, n)
		p := int32(r.IntN(5))
		for i := range out {
			if r.IntN(4) == 0 {
				out[i] = int32(r.IntN(2 * n)) // out of order, as after reordering a cache
			} else {
				p += int32(r.IntN(3))
				out[i] = p
			}
		}
		return out
	}
	m := &core.Mask{Kind: core.MaskKind(r.IntN(4))}
	if r.IntN(5) > 0 {
		m.KSeg = segs(b * tk)
		m.QSeg = m.KSeg
		if tq != tk {
			m.QSeg = segs(b * tq)
		}
	}
	if r.IntN(3) > 0 {
		m.QPos, m.KPos = positions(b*tq), positions(b*tk)
	}
	if m.Kind == core.MaskCustom && r.IntN(6) > 0 {
		seed := int32(r.IntN(1000))
		m.Allow = func(q, k int32) bool { return (q*31+k*17+seed)%3 != 0 }
	}
	return m
}

// TestAttentionTileClassification checks on random layouts and tile sizes
// that the plan never skips a tile holding an allowed pair, never calls a
// tile full that holds a masked pair, and never trims an allowed key off a
// partial tile.
func TestAttentionTileClassification(t *testing.T) {
	r := core.NewRNG(2024)
	var skipped, full, partial, trimmed int
	for trial := 0; trial < 300; trial++ {
		b, tk := 1+r.IntN(3), 1+r.IntN(60)
		tq := 1 + r.IntN(tk)
		m := randomMask(r, b, tq, tk)
		bq, bk := 1+r.IntN(12), 1+r.IntN(12)
		p := newAttnPlan(m, b, tq, tk, bq, bk)
		for bi := 0; bi < b; bi++ {
			for qt := 0; qt < p.nqt; qt++ {
				for kt := 0; kt < p.nkt; kt++ {
					class, lo, hi := p.tile(bi, qt, kt)
					allowed, total, outside := 0, 0, 0
					for i := qt * bq; i < min(tq, (qt+1)*bq); i++ {
						for j := kt * bk; j < min(tk, (kt+1)*bk); j++ {
							total++
							if m.Allowed(bi, i, j, tq, tk) {
								allowed++
								if j < kt*bk+lo || j >= kt*bk+hi {
									outside++
								}
							}
						}
					}
					where := func() string {
						return fmt.Sprintf("trial %d (%v): tile (%d,%d,%d)", trial, m.Kind, bi, qt, kt)
					}
					switch class {
					case tileSkip:
						skipped++
						if allowed > 0 {
							t.Fatalf("%s skipped with %d allowed pairs", where(), allowed)
						}
					case tileFull:
						full++
						if allowed != total {
							t.Fatalf("%s full with %d of %d allowed", where(), allowed, total)
						}
					default:
						partial++
						if outside > 0 {
							t.Fatalf("%s: %d allowed pairs outside the key span [%d, %d)", where(), outside, lo, hi)
						}
						if hi-lo < min(bk, tk-kt*bk) {
							trimmed++
						}
					}
				}
			}
		}
	}
	if skipped == 0 || full == 0 || partial == 0 || trimmed == 0 {
		t.Fatalf("tiles skipped %d, full %d, partial %d (trimmed %d): some case never occurred", skipped, full, partial, trimmed)
	}
}

// TestAttentionRandomLayouts compares the fused kernels with the reference on
// random masks and tile sizes.
func TestAttentionRandomLayouts(t *testing.T) {
	r := core.NewRNG(99)
	for trial := 0; trial < 60; trial++ {
		c := attnCase{name: fmt.Sprint("random ", trial), b: 1 + r.IntN(3), h: 1 + r.IntN(2), tk: 1 + r.IntN(40), hd: 1 + r.IntN(9)}
		c.tq = 1 + r.IntN(c.tk)
		c.mask = randomMask(r, c.b, c.tq, c.tk)
		q := randData(r, c.b*c.h*c.tq*c.hd)
		k := randData(r, c.b*c.h*c.tk*c.hd)
		v := randData(r, c.b*c.h*c.tk*c.hd)
		gout := randData(r, len(q))
		scale := float32(0.3)
		out, lse, p := attentionReference(toF64(q), toF64(k), toF64(v), c.b, c.h, c.tq, c.tk, c.hd, c.mask, 0.3)
		gq, gk, gv := attentionReferenceBackward(toF64(q), toF64(k), toF64(v), p, toF64(gout), c.b, c.h, c.tq, c.tk, c.hd, float64(scale))
		var f fusedRun
		avx := attnPaths()[trial%len(attnPaths())]
		onAttnPath(avx, func() { f = runFused(c, q, k, v, gout, scale, 1+r.IntN(12), 1+r.IntN(12)) })
		compareSlices(t, c.name+" out", f.out, out, 1e-4)
		compareSlices(t, c.name+" lse", f.lse, lse, 1e-4)
		compareSlices(t, c.name+" weights", f.w, p, 1e-4)
		compareSlices(t, c.name+" dq", f.gq, gq, 2e-4)
		compareSlices(t, c.name+" dk", f.gk, gk, 2e-4)
		compareSlices(t, c.name+" dv", f.gv, gv, 2e-4)
	}
}
