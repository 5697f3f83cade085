package model

import "fmt"

// The text ids a model read in training (Checkpoint.Known, Builder.Known).
// A BPE tokenizer learns its vocabulary from every family's words, held-out
// families' included, so a held-out instruction holds tokens the model
// never read: their embeddings were only ever pushed away by the tied
// output layer, and they enter the model as large vectors of no meaning.
// A checkpoint that knows which ids its training read lets inference lay
// the others out as UnknownText, which word dropout teaches.

// knownIDs lists the ids set in known, in order (nil for none).
func knownIDs(known []bool) []int32 {
	var ids []int32
	for id, ok := range known {
		if ok {
			ids = append(ids, int32(id))
		}
	}
	return ids
}

// knownSet turns a checkpoint's list of known ids back into a set over the
// text vocabulary; nil stays nil (the checkpoint does not say). An id
// outside the vocabulary or out of order is an error.
func knownSet(ids []int32, textSize int) ([]bool, error) {
	if ids == nil {
		return nil, nil
	}
	known := make([]bool, textSize)
	for i, id := range ids {
		if id < 0 || int(id) >= textSize {
			return nil, fmt.Errorf("known text id %d outside the text vocabulary [0,%d)", id, textSize)
		}
		if i > 0 && id <= ids[i-1] {
			return nil, fmt.Errorf("known text ids out of order (%d after %d)", id, ids[i-1])
		}
		known[id] = true
	}
	return known, nil
}

// UnionKnown returns the ids known in a or b; nil when either does not say
// (a model one of whose parts read unknown text knows nothing for sure).
func UnionKnown(a, b []bool) []bool {
	if a == nil || b == nil {
		return nil
	}
	out := make([]bool, max(len(a), len(b)))
	for id := range out {
		out[id] = (id < len(a) && a[id]) || (id < len(b) && b[id])
	}
	return out
}

// MarkKnown sets in known (grown to the text vocabulary v when shorter) the
// text ids among tokens, and returns it.
func MarkKnown(known []bool, v Vocab, tokens []int32) []bool {
	if len(known) < v.TextSize {
		known = append(known, make([]bool, v.TextSize-len(known))...)
	}
	for _, id := range tokens {
		if v.IsText(id) {
			known[id] = true
		}
	}
	return known
}
