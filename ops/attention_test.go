package ops

import (
	"math"
	"runtime"
	"testing"

	"xprompt/core"
)

// segRuns concatenates runs of segment ids: segRuns(SegBOS, 1, SegIE, 4) = [0 1 1 1 1].
func segRuns(spec ...int32) []int32 {
	var out []int32
	for i := 0; i+1 < len(spec); i += 2 {
		for n := int32(0); n < spec[i+1]; n++ {
			out = append(out, spec[i])
		}
	}
	return out
}

func cat(parts ...[]int32) []int32 {
	var out []int32
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// ramp returns n positions from start, step 1.
func ramp(start, n int32) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = start + int32(i)
	}
	return out
}

const (
	pad = core.SegPad
	bos = core.SegBOS
	ie  = core.SegIE
	xp  = core.SegXP
	td  = core.SegTD
)

type attnCase struct {
	name             string
	b, h, tq, tk, hd int
	mask             *core.Mask
}

// attnCases covers every mask kind, padding, several layouts in one batch,
// explicit positions with fewer queries than keys, and sizes that are not
// multiples of the tiles.
func attnCases() []attnCase {
	xp75 := cat(xpromptSegments(75, 4), segRuns(bos, 1, ie, 10, xp, 6, td, 58))
	padded := cat(segRuns(pad, 7), xpromptSegments(65, 4), xpromptSegments(60, 4), segRuns(pad, 12))
	padPos := cat(make([]int32, 7), ramp(0, 65), ramp(0, 60), make([]int32, 12))
	custom := cat(segRuns(bos, 1, ie, 20, 7, 9, xp, 5, 99, 6, td, 29), segRuns(bos, 1, 99, 10, ie, 15, xp, 4, td, 38, pad, 2))
	// The compressed prompt: keys are BOS and XP kept from a prefill with
	// their original positions, then the TD tokens; queries are the TD tokens.
	kvK := cat(segRuns(bos, 1, xp, 4, td, 51), segRuns(bos, 1, xp, 4, td, 51))
	kvKPos := cat([]int32{0}, ramp(35, 4), ramp(39, 51), []int32{0}, ramp(21, 4), ramp(25, 51))
	kvQ := segRuns(td, 102)
	kvQPos := cat(ramp(39, 51), ramp(25, 51))
	return []attnCase{
		{"causal", 2, 2, 70, 70, 8, &core.Mask{Kind: core.MaskCausal}},
		{"nil_mask", 1, 1, 9, 9, 4, nil},
		{"xprompt_two_layouts", 2, 2, 75, 75, 8, &core.Mask{Kind: core.MaskXPrompt, QSeg: xp75, KSeg: xp75}},
		{"xprompt_padded", 2, 1, 72, 72, 8, &core.Mask{Kind: core.MaskXPrompt, QSeg: padded, KSeg: padded, QPos: padPos, KPos: padPos}},
		{"full_padded", 2, 2, 70, 70, 8, &core.Mask{Kind: core.MaskFull, QSeg: cat(segRuns(td, 70), segRuns(td, 60, pad, 10)), KSeg: cat(segRuns(td, 70), segRuns(td, 60, pad, 10))}},
		{"custom", 2, 2, 70, 70, 8, &core.Mask{Kind: core.MaskCustom, QSeg: custom, KSeg: custom,
			Allow: func(q, k int32) bool { return q == k || k == bos || (q == 99 && k == 7) }}},
		{"custom_td_blind", 1, 2, 70, 70, 8, &core.Mask{Kind: core.MaskCustom, QSeg: custom[:70], KSeg: custom[:70],
			Allow: func(q, k int32) bool { return q != td }}}, // TD rows see nothing: zeros
		{"kv_cache", 2, 2, 51, 56, 8, &core.Mask{Kind: core.MaskXPrompt, QSeg: kvQ, KSeg: kvK, QPos: kvQPos, KPos: kvKPos}},
		{"decode_step", 2, 3, 1, 40, 8, &core.Mask{Kind: core.MaskXPrompt, QSeg: []int32{td, td}, KSeg: cat(xpromptSegments(40, 4), xpromptSegments(40, 8))}},
		{"full_more_queries", 1, 2, 10, 6, 4, &core.Mask{Kind: core.MaskFull}},
		{"hd32_T130", 1, 2, 130, 130, 32, &core.Mask{Kind: core.MaskXPrompt, QSeg: xpromptSegments(130, 8), KSeg: xpromptSegments(130, 8)}},
		{"hd64_T130", 1, 1, 130, 130, 64, &core.Mask{Kind: core.MaskCausal}},
	}
}

// attnTiles are the tile sizes the kernels are run with: the default and
// odd ones that split every case into many partial tiles.
var attnTiles = [][2]int{{attnBq, attnBk}, {5, 7}, {16, 8}, {1, 13}}

func toF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func randData(r *core.RNG, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.Normal())
	}
	return out
}

// fusedRun runs the fused forward (with weights) and backward with tiles bq×bk.
type fusedRun struct {
	out, lse, w, gq, gk, gv []float32
}

func runFused(c attnCase, q, k, v, gout []float32, scale float32, bq, bk int) fusedRun {
	p := newAttnPlan(c.mask, c.b, c.tq, c.tk, bq, bk)
	r := fusedRun{
		out: make([]float32, len(q)), lse: make([]float32, c.b*c.h*c.tq), w: make([]float32, c.b*c.h*c.tq*c.tk),
		gq: make([]float32, len(q)), gk: make([]float32, len(k)), gv: make([]float32, len(v)),
	}
	attentionForward(p, c.h, c.hd, scale, q, k, v, r.out, r.lse, r.w)
	attentionBackward(p, c.h, c.hd, scale, q, k, v, r.out, r.lse, gout, r.gq, r.gk, r.gv)
	return r
}

func compareSlices(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	for i, w := range want {
		g := float64(got[i])
		if math.IsInf(w, 0) && g == w {
			continue
		}
		if !(math.Abs(g-w) <= tol*(1+math.Abs(w))) {
			t.Fatalf("%s[%d] = %g, reference %g", what, i, g, w)
		}
	}
}

func TestAttentionMatchesReference(t *testing.T) {
	for _, c := range attnCases() {
		r := core.NewRNG(uint64(len(c.name)))
		q := randData(r, c.b*c.h*c.tq*c.hd)
		k := randData(r, c.b*c.h*c.tk*c.hd)
		v := randData(r, c.b*c.h*c.tk*c.hd)
		gout := randData(r, len(q))
		scale := defaultScale(c.hd)
		out, lse, p := attentionReference(toF64(q), toF64(k), toF64(v), c.b, c.h, c.tq, c.tk, c.hd, c.mask, float64(scale))
		gq, gk, gv := attentionReferenceBackward(toF64(q), toF64(k), toF64(v), p, toF64(gout), c.b, c.h, c.tq, c.tk, c.hd, float64(scale))
		for _, tile := range attnTiles {
			f := runFused(c, q, k, v, gout, scale, tile[0], tile[1])
			what := func(s string) string { return c.name + " " + s + " tiles " + itoa(tile[0]) + "x" + itoa(tile[1]) }
			compareSlices(t, what("out"), f.out, out, 1e-4)
			compareSlices(t, what("lse"), f.lse, lse, 1e-4)
			compareSlices(t, what("weights"), f.w, p, 1e-4)
			compareSlices(t, what("dq"), f.gq, gq, 2e-4)
			compareSlices(t, what("dk"), f.gk, gk, 2e-4)
			compareSlices(t, what("dv"), f.gv, gv, 2e-4)
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// TestAttentionGradients checks the operator's gradients against finite
// differences of the float64 reference for every mask kind.
func TestAttentionGradients(t *testing.T) {
	seg := cat(segRuns(bos, 1, ie, 2, xp, 1, td, 2), segRuns(pad, 1, bos, 1, ie, 1, xp, 1, td, 2))
	pos := cat(ramp(0, 6), []int32{0}, ramp(0, 5))
	cases := []attnCase{
		{"attention_causal", 2, 2, 6, 6, 4, &core.Mask{Kind: core.MaskCausal}},
		{"attention_xprompt", 2, 2, 6, 6, 4, &core.Mask{Kind: core.MaskXPrompt, QSeg: seg, KSeg: seg, QPos: pos, KPos: pos}},
		{"attention_full", 2, 2, 6, 6, 4, &core.Mask{Kind: core.MaskFull, QSeg: seg, KSeg: seg}},
		{"attention_custom", 2, 2, 6, 6, 4, &core.Mask{Kind: core.MaskCustom, QSeg: seg, KSeg: seg,
			Allow: func(q, k int32) bool { return k != ie && q != xp }}},
		{"attention_kv_cache", 1, 2, 3, 5, 4, &core.Mask{Kind: core.MaskXPrompt, QSeg: segRuns(td, 3),
			KSeg: segRuns(bos, 1, xp, 1, td, 3), QPos: ramp(7, 3), KPos: []int32{0, 6, 7, 8, 9}}},
	}
	for _, c := range cases {
		c := c
		qs, ks := []int{c.b, c.h, c.tq, c.hd}, []int{c.b, c.h, c.tk, c.hd}
		checkOp(t, opCase{
			name:   c.name,
			shapes: [][]int{qs, ks, ks},
			op:     func(in []*core.Tensor) *core.Tensor { return Attention(in[0], in[1], in[2], c.mask, 0) },
			ref: func(in [][]float64) []float64 {
				out, _, _ := attentionReference(in[0], in[1], in[2], c.b, c.h, c.tq, c.tk, c.hd, c.mask, 0.5)
				return out
			},
		})
	}
	// q, k and v one tensor: the three gradients land in one buffer.
	x := core.NewRNG(3).Randn(1, 1, 2, 7, 4).SetRequiresGrad(true)
	Sum(Attention(x, x, x, nil, 0)).Backward()
	xr := toF64(x.Data)
	out, _, p := attentionReference(xr, xr, xr, 1, 2, 7, 7, 4, nil, 0.5)
	ones := make([]float64, len(out))
	for i := range ones {
		ones[i] = 1
	}
	gq, gk, gv := attentionReferenceBackward(xr, xr, xr, p, ones, 1, 2, 7, 7, 4, 0.5)
	want := make([]float64, len(gq))
	for i := range want {
		want[i] = gq[i] + gk[i] + gv[i]
	}
	compareSlices(t, "self-attention shared gradient", x.Grad().Data, want, 1e-4)
}

// TestAttentionWeights checks the display weights against the reference
// probabilities: rows sum to 1 where a key is allowed and are zero elsewhere.
func TestAttentionWeights(t *testing.T) {
	for _, c := range attnCases() {
		r := core.NewRNG(7)
		q, k := r.Randn(1, c.b, c.h, c.tq, c.hd), r.Randn(1, c.b, c.h, c.tk, c.hd)
		w := AttentionWeights(q, k, c.mask, 0)
		if !core.EqualShapes(w.Dims(), []int{c.b, c.h, c.tq, c.tk}) {
			t.Fatalf("%s: weights shape %v", c.name, w.Dims())
		}
		_, _, p := attentionReference(toF64(q.Data), toF64(k.Data), toF64(k.Data), c.b, c.h, c.tq, c.tk, c.hd, c.mask, float64(defaultScale(c.hd)))
		compareSlices(t, c.name+" weights", w.Data, p, 1e-5)
		mask := c.mask
		if mask == nil {
			mask = &core.Mask{}
		}
		for row := 0; row < c.b*c.h*c.tq; row++ {
			b, i := row/(c.h*c.tq), row%c.tq
			any := false
			for j := 0; j < c.tk; j++ {
				any = any || mask.Allowed(b, i, j, c.tq, c.tk)
			}
			var sum float64
			for _, x := range w.Data[row*c.tk : (row+1)*c.tk] {
				sum += float64(x)
			}
			if want := map[bool]float64{true: 1, false: 0}[any]; math.Abs(sum-want) > 1e-5 {
				t.Fatalf("%s: row %d sums to %g, want %g", c.name, row, sum, want)
			}
		}
	}
}

// TestAttentionXPromptHidesIE changes the keys and values of the in-context
// examples: the TD outputs must not move (bit for bit), the others must.
func TestAttentionXPromptHidesIE(t *testing.T) {
	const T, H, hd = 400, 2, 16
	seg := xpromptSegments(T, 8)
	mask := &core.Mask{Kind: core.MaskXPrompt, QSeg: seg, KSeg: seg}
	r := core.NewRNG(11)
	q, k, v := r.Randn(1, 1, H, T, hd), r.Randn(1, 1, H, T, hd), r.Randn(1, 1, H, T, hd)
	before := Attention(q, k, v, mask, 0)
	k2, v2 := k.Clone(), v.Clone()
	for h := 0; h < H; h++ {
		for i, s := range seg {
			if s == ie {
				for d := 0; d < hd; d++ {
					k2.Data[(h*T+i)*hd+d] = float32(3 * r.Normal())
					v2.Data[(h*T+i)*hd+d] = float32(3 * r.Normal())
				}
			}
		}
	}
	after := Attention(q, k2, v2, mask, 0)
	changedIE := false
	for h := 0; h < H; h++ {
		for i, s := range seg {
			row := (h*T + i) * hd
			same := true
			for d := 0; d < hd; d++ {
				same = same && before.Data[row+d] == after.Data[row+d]
			}
			if s == td && !same {
				t.Fatalf("TD output of token %d (head %d) changed with the IE keys/values", i, h)
			}
			changedIE = changedIE || (s == ie && !same)
		}
	}
	if !changedIE {
		t.Fatal("IE outputs did not change with their own keys/values: the test proves nothing")
	}
	// The gradient of a loss on TD outputs reaches no IE key or value.
	qg, kg, vg := q.Clone().SetRequiresGrad(true), k.Clone().SetRequiresGrad(true), v.Clone().SetRequiresGrad(true)
	out := Attention(qg, kg, vg, mask, 0)
	sel := make([]float32, out.Len())
	for h := 0; h < H; h++ {
		for i, s := range seg {
			if s == td {
				for d := 0; d < hd; d++ {
					sel[(h*T+i)*hd+d] = float32(r.Normal())
				}
			}
		}
	}
	Sum(Mul(out, core.New(sel, out.Shape()...))).Backward()
	for h := 0; h < H; h++ {
		for i, s := range seg {
			for d := 0; d < hd; d++ {
				at := (h*T+i)*hd + d
				if s == ie && (kg.Grad().Data[at] != 0 || vg.Grad().Data[at] != 0) {
					t.Fatalf("TD loss reaches IE token %d: dk=%g dv=%g", i, kg.Grad().Data[at], vg.Grad().Data[at])
				}
			}
		}
	}
}

// TestAttentionMemory checks that forward and backward at T=1024 allocate far
// less than one T×T buffer per head (4 MiB each).
func TestAttentionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("T=1024 forward+backward")
	}
	const T, H, hd = 1024, 8, 32
	mask := benchMask(1, T, core.MaskXPrompt)
	r := core.NewRNG(5)
	q, k, v, gout := r.Randn(1, 1, H, T, hd), r.Randn(1, 1, H, T, hd), r.Randn(1, 1, H, T, hd), r.Randn(1, 1, H, T, hd)
	out, lse := core.Zeros(1, H, T, hd), core.Zeros(1, H, T)
	gq, gk, gv := core.ZerosLike(q), core.ZerosLike(k), core.ZerosLike(v)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	CPU.Attention(q, k, v, mask, 0.25, out, lse, nil)
	CPU.AttentionBackward(q, k, v, out, lse, gout, mask, 0.25, gq, gk, gv)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("forward+backward allocated %d KiB", alloc>>10)
	if alloc >= 4<<20 {
		t.Fatalf("forward+backward allocated %d bytes; want < 4 MiB (one %d×%d float32 matrix)", alloc, T, T)
	}
}

func TestAttentionPanics(t *testing.T) {
	z := core.Zeros
	mustPanic(t, func() { Attention(z(1, 2, 4, 8), z(1, 3, 4, 8), z(1, 3, 4, 8), nil, 0) }, "ops.Attention", "[1 2 4 8]", "[1 3 4 8]")
	mustPanic(t, func() { Attention(z(1, 2, 4, 8), z(1, 2, 4, 4), z(1, 2, 4, 4), nil, 0) }, "ops.Attention", "[1 2 4 4]")
	mustPanic(t, func() { Attention(z(1, 2, 4, 8), z(1, 2, 4, 8), z(1, 2, 5, 8), nil, 0) }, "ops.Attention", "[1 2 5 8]")
	mustPanic(t, func() { Attention(z(2, 4, 8), z(2, 4, 8), z(2, 4, 8), nil, 0) }, "ops.Attention", "[2 4 8]")
	mustPanic(t, func() {
		Attention(z(2, 1, 4, 8), z(2, 1, 4, 8), z(2, 1, 4, 8), &core.Mask{QSeg: make([]int32, 4)}, 0)
	}, "ops.Attention", "QSeg", "4 entries", "8")
	mustPanic(t, func() { Attention(z(1, 1, 5, 8), z(1, 1, 4, 8), z(1, 1, 4, 8), nil, 0) }, "ops.Attention", "5 queries", "4 keys")
	mustPanic(t, func() { AttentionWeights(z(1, 1, 4, 8), z(1, 1, 4, 2), nil, 0) }, "ops.AttentionWeights", "[1 1 4 2]")
	mustPanic(t, func() {
		CPU.Attention(z(1, 1, 4, 8), z(1, 1, 4, 8), z(1, 1, 4, 8), nil, 1, z(1, 1, 4, 8), z(1, 4), nil)
	}, "cpu.Attention", "lse", "[1 4]", "[1 1 4]")
}

// TestExpf compares the fast exponential with math.Exp.
func TestExpf(t *testing.T) {
	for x := -87.0; x <= 88; x += 0.01237 {
		got, want := float64(expf(float32(x))), math.Exp(float64(float32(x)))
		if math.Abs(got-want) > 4e-7*want {
			t.Fatalf("expf(%g) = %g, math.Exp %g", x, got, want)
		}
	}
	for _, x := range []float32{-87.34, -100, float32(math.Inf(-1))} {
		if got := expf(x); got != 0 {
			t.Fatalf("expf(%g) = %g, want 0", x, got)
		}
	}
	if got := expf(0); got != 1 {
		t.Fatalf("expf(0) = %g, want 1", got)
	}
}

func TestBenchAttentionRuns(t *testing.T) {
	if d := BenchAttention(1, 2, 40, 8, core.MaskXPrompt, 2); d <= 0 {
		t.Fatalf("BenchAttention returned %v", d)
	}
	mustPanic(t, func() { BenchAttention(1, 1, 5, 8, core.MaskCausal, 1) }, "ops.BenchAttention", "t=5")
}

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
// that classify never skips a tile holding an allowed pair and never calls
// a tile full that holds a masked pair.
func TestAttentionTileClassification(t *testing.T) {
	r := core.NewRNG(2024)
	var skipped, full, partial int
	for trial := 0; trial < 300; trial++ {
		b, tk := 1+r.IntN(3), 1+r.IntN(60)
		tq := 1 + r.IntN(tk)
		m := randomMask(r, b, tq, tk)
		bq, bk := 1+r.IntN(12), 1+r.IntN(12)
		p := newAttnPlan(m, b, tq, tk, bq, bk)
		for bi := 0; bi < b; bi++ {
			for qt := 0; qt < p.nqt; qt++ {
				for kt := 0; kt < p.nkt; kt++ {
					allowed, total := 0, 0
					for i := qt * bq; i < min(tq, (qt+1)*bq); i++ {
						for j := kt * bk; j < min(tk, (kt+1)*bk); j++ {
							total++
							if m.Allowed(bi, i, j, tq, tk) {
								allowed++
							}
						}
					}
					switch p.classify(bi, qt, kt) {
					case tileSkip:
						skipped++
						if allowed > 0 {
							t.Fatalf("trial %d (%v): tile (%d,%d,%d) skipped with %d allowed pairs", trial, m.Kind, bi, qt, kt, allowed)
						}
					case tileFull:
						full++
						if allowed != total {
							t.Fatalf("trial %d (%v): tile (%d,%d,%d) full with %d of %d allowed", trial, m.Kind, bi, qt, kt, allowed, total)
						}
					default:
						partial++
					}
				}
			}
		}
	}
	if skipped == 0 || full == 0 || partial == 0 {
		t.Fatalf("tiles skipped %d, full %d, partial %d: some class never occurred", skipped, full, partial)
	}
}

// TestAttentionRandomLayouts compares the fused kernels with the reference on
// random masks and tile sizes.
func TestAttentionRandomLayouts(t *testing.T) {
	r := core.NewRNG(99)
	for trial := 0; trial < 60; trial++ {
		c := attnCase{name: "random " + itoa(trial), b: 1 + r.IntN(3), h: 1 + r.IntN(2), tk: 1 + r.IntN(40), hd: 1 + r.IntN(9)}
		c.tq = 1 + r.IntN(c.tk)
		c.mask = randomMask(r, c.b, c.tq, c.tk)
		q := randData(r, c.b*c.h*c.tq*c.hd)
		k := randData(r, c.b*c.h*c.tk*c.hd)
		v := randData(r, c.b*c.h*c.tk*c.hd)
		gout := randData(r, len(q))
		scale := float32(0.3)
		out, lse, p := attentionReference(toF64(q), toF64(k), toF64(v), c.b, c.h, c.tq, c.tk, c.hd, c.mask, 0.3)
		gq, gk, gv := attentionReferenceBackward(toF64(q), toF64(k), toF64(v), p, toF64(gout), c.b, c.h, c.tq, c.tk, c.hd, float64(scale))
		f := runFused(c, q, k, v, gout, scale, 1+r.IntN(12), 1+r.IntN(12))
		compareSlices(t, c.name+" out", f.out, out, 1e-4)
		compareSlices(t, c.name+" lse", f.lse, lse, 1e-4)
		compareSlices(t, c.name+" weights", f.w, p, 1e-4)
		compareSlices(t, c.name+" dq", f.gq, gq, 2e-4)
		compareSlices(t, c.name+" dk", f.gk, gk, 2e-4)
		compareSlices(t, c.name+" dv", f.gv, gv, 2e-4)
	}
}
