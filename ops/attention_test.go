package ops

import (
	"fmt"
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

// attnConfigs are the inner-loop paths and tile sizes the kernels are run
// with: the default tiles and odd ones that split every case into many
// partial tiles.
func attnConfigs() []struct {
	avx    bool
	bq, bk int
} {
	var out []struct {
		avx    bool
		bq, bk int
	}
	for _, avx := range attnPaths() {
		for _, t := range [][2]int{{attnBq, attnBk}, {5, 7}, {16, 8}, {1, 13}} {
			out = append(out, struct {
				avx    bool
				bq, bk int
			}{avx, t[0], t[1]})
		}
	}
	return out
}

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
		for _, cfg := range attnConfigs() {
			// One worker, or several sharing heads and dQ.
			for _, procs := range []int{1, 3} {
				var f fusedRun
				old := runtime.GOMAXPROCS(procs)
				onAttnPath(cfg.avx, func() { f = runFused(c, q, k, v, gout, scale, cfg.bq, cfg.bk) })
				runtime.GOMAXPROCS(old)
				what := func(s string) string {
					return fmt.Sprintf("%s %s (%s, tiles %dx%d, %d procs)", c.name, s, pathName(cfg.avx), cfg.bq, cfg.bk, procs)
				}
				compareSlices(t, what("out"), f.out, out, 1e-4)
				compareSlices(t, what("lse"), f.lse, lse, 1e-4)
				compareSlices(t, what("weights"), f.w, p, 1e-4)
				compareSlices(t, what("dq"), f.gq, gq, 2e-4)
				compareSlices(t, what("dk"), f.gk, gk, 2e-4)
				compareSlices(t, what("dv"), f.gv, gv, 2e-4)
			}
		}
	}
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
			want := 0.0 // a row that sees no key is all zero
			for j := 0; j < c.tk; j++ {
				if mask.Allowed(b, i, j, c.tq, c.tk) {
					want = 1
				}
			}
			var sum float64
			for _, x := range w.Data[row*c.tk : (row+1)*c.tk] {
				sum += float64(x)
			}
			if math.Abs(sum-want) > 1e-5 {
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

// TestAttentionCompressedPrompt keeps only the BOS and XP keys and values of
// a prefilled [BOS][IE][XP][TD] sequence, with their original positions, and
// attends from the TD queries: the outputs equal the TD rows of the masked
// full-sequence attention.
func TestAttentionCompressedPrompt(t *testing.T) {
	const T, H, hd, S = 300, 2, 16, 6
	seg := xpromptSegments(T, S)
	r := core.NewRNG(21)
	q, k, v := r.Randn(1, 1, H, T, hd), r.Randn(1, 1, H, T, hd), r.Randn(1, 1, H, T, hd)
	full := Attention(q, k, v, &core.Mask{Kind: core.MaskXPrompt, QSeg: seg, KSeg: seg}, 0)
	var keep, tdRows []int // kept key positions, TD positions
	for i, s := range seg {
		if s != ie {
			keep = append(keep, i)
		}
		if s == td {
			tdRows = append(tdRows, i)
		}
	}
	rows := func(x *core.Tensor, idx []int) *core.Tensor {
		out := core.Zeros(1, H, len(idx), hd)
		for h := 0; h < H; h++ {
			for n, i := range idx {
				copy(out.Data[(h*len(idx)+n)*hd:(h*len(idx)+n+1)*hd], x.Data[(h*T+i)*hd:(h*T+i+1)*hd])
			}
		}
		return out
	}
	ids := func(idx []int) (segs, pos []int32) {
		for _, i := range idx {
			segs, pos = append(segs, seg[i]), append(pos, int32(i))
		}
		return segs, pos
	}
	kSeg, kPos := ids(keep)
	qSeg, qPos := ids(tdRows)
	m := &core.Mask{Kind: core.MaskXPrompt, QSeg: qSeg, KSeg: kSeg, QPos: qPos, KPos: kPos}
	got := Attention(rows(q, tdRows), rows(k, keep), rows(v, keep), m, 0)
	want := rows(full, tdRows)
	for i, w := range want.Data {
		if math.Abs(float64(got.Data[i]-w)) > 1e-5 {
			t.Fatalf("compressed output[%d] = %g, full-sequence %g", i, got.Data[i], w)
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
	}, "ops.Attention", "QSeg", "4 entries", "[2 1 4 8]", "want 8")
	mustPanic(t, func() {
		Attention(z(1, 1, 4, 8), z(1, 1, 6, 8), z(1, 1, 6, 8), &core.Mask{KPos: make([]int32, 4)}, 0)
	}, "ops.Attention", "KPos", "4 entries", "[1 1 6 8]", "want 6")
	mustPanic(t, func() { Attention(z(1, 1, 5, 8), z(1, 1, 4, 8), z(1, 1, 4, 8), nil, 0) }, "ops.Attention", "5 queries", "4 keys")
	mustPanic(t, func() { AttentionWeights(z(1, 1, 4, 8), z(1, 1, 4, 2), nil, 0) }, "ops.AttentionWeights", "[1 1 4 2]")
	mustPanic(t, func() {
		CPU.Attention(z(1, 1, 4, 8), z(1, 1, 4, 8), z(1, 1, 4, 8), nil, 1, z(1, 1, 4, 8), z(1, 4), nil)
	}, "cpu.Attention", "lse", "[1 4]", "[1 1 4]")
}

func TestBenchAttentionRuns(t *testing.T) {
	if d := BenchAttention(1, 2, 40, 8, core.MaskXPrompt, 2); d <= 0 {
		t.Fatalf("BenchAttention returned %v", d)
	}
	mustPanic(t, func() { BenchAttention(1, 1, 5, 8, core.MaskCausal, 1) }, "ops.BenchAttention", "t=5")
}
