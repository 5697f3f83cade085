package core

import "fmt"

// Segment ids of an X-Prompt sequence [BOS][IE][XP][TD]. Attention masks are
// functions of these ids (and of token positions), never stored T×T tensors.
const (
	SegPad int32 = -1 // padding: never attended to; its queries produce zeros
	SegBOS int32 = 0  // the start-of-sequence token
	SegIE  int32 = 1  // in-context examples
	SegXP  int32 = 2  // X-Prompt tokens
	SegTD  int32 = 3  // the "to do" part: query and target
)

// SegmentName returns a short name for a segment id.
func SegmentName(s int32) string {
	switch s {
	case SegPad:
		return "pad"
	case SegBOS:
		return "BOS"
	case SegIE:
		return "IE"
	case SegXP:
		return "XP"
	case SegTD:
		return "TD"
	}
	return fmt.Sprintf("seg%d", s)
}

// MaskKind selects the rule that decides which keys a query may attend to.
type MaskKind int

const (
	// MaskCausal: j ≤ i.
	MaskCausal MaskKind = iota
	// MaskXPrompt: j ≤ i and not (i ∈ TD and j ∈ IE) — TD sees IE only through XP.
	MaskXPrompt
	// MaskFull: every non-padding key.
	MaskFull
	// MaskCustom: j ≤ i and Allow(segment of i, segment of j).
	MaskCustom
)

func (k MaskKind) String() string {
	switch k {
	case MaskCausal:
		return "causal"
	case MaskXPrompt:
		return "xprompt"
	case MaskFull:
		return "full"
	case MaskCustom:
		return "custom"
	}
	return fmt.Sprintf("MaskKind(%d)", int(k))
}

// Mask describes an attention mask for a batch through per-token segment ids
// and positions. For batch element b, query i has segment QSeg[b*Tq+i] and
// position QPos[b*Tq+i]; likewise keys. Nil positions mean 0…T-1 for keys
// and Tk-Tq … Tk-1 for queries (queries are the last Tq tokens, as when
// decoding with a KV cache). Nil segments mean every token is in segment TD.
type Mask struct {
	Kind       MaskKind
	QSeg, KSeg []int32
	QPos, KPos []int32
	// Allow is the segment rule for MaskCustom (applied on top of causality).
	Allow func(qSeg, kSeg int32) bool
}

// Allowed reports whether query i of batch element b may attend to key j,
// given the sequence lengths tq and tk.
func (m *Mask) Allowed(b, i, j, tq, tk int) bool {
	qs, ks := SegTD, SegTD
	if m.QSeg != nil {
		qs = m.QSeg[b*tq+i]
	}
	if m.KSeg != nil {
		ks = m.KSeg[b*tk+j]
	}
	if qs == SegPad || ks == SegPad {
		return false
	}
	if m.Kind == MaskFull {
		return true
	}
	qp, kp := int32(tk-tq+i), int32(j)
	if m.QPos != nil {
		qp = m.QPos[b*tq+i]
	}
	if m.KPos != nil {
		kp = m.KPos[b*tk+j]
	}
	if kp > qp {
		return false
	}
	switch m.Kind {
	case MaskXPrompt:
		return !(qs == SegTD && ks == SegIE)
	case MaskCustom:
		return m.Allow == nil || m.Allow(qs, ks)
	}
	return true
}

// Check panics if the mask's slices do not fit a batch of b sequences with tq
// queries and tk keys.
func (m *Mask) Check(op string, b, tq, tk int) {
	chk := func(name string, s []int32, n int) {
		if s != nil && len(s) != n {
			panic(fmt.Sprintf("%s: mask %s has %d entries, want batch·T = %d", op, name, len(s), n))
		}
	}
	chk("QSeg", m.QSeg, b*tq)
	chk("KSeg", m.KSeg, b*tk)
	chk("QPos", m.QPos, b*tq)
	chk("KPos", m.KPos, b*tk)
	if tq > tk && m.QPos == nil && m.Kind != MaskFull {
		panic(fmt.Sprintf("%s: %d queries but only %d keys and no query positions", op, tq, tk))
	}
}

// Dense materialises the mask of batch element b as a tq×tk matrix of 0/1,
// for display only.
func (m *Mask) Dense(b, tq, tk int) []float32 {
	out := make([]float32, tq*tk)
	for i := 0; i < tq; i++ {
		for j := 0; j < tk; j++ {
			if m.Allowed(b, i, j, tq, tk) {
				out[i*tk+j] = 1
			}
		}
	}
	return out
}
