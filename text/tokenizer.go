package text

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// numBytes is the number of byte tokens, ids 0…255.
const numBytes = 256

// maxCache bounds the number of cached piece encodings; the cache is
// emptied when it is full.
const maxCache = 1 << 16

// Tokenizer is a trained byte-level BPE tokenizer. Get one from Train or
// UnmarshalBinary; the zero value has no vocabulary. Encode, Decode and the
// lookups are safe for concurrent use.
type Tokenizer struct {
	v *vocab

	mu    sync.Mutex
	cache map[string][]int // piece → ids
}

// vocab is the immutable part of a Tokenizer.
type vocab struct {
	specials  []string
	merges    [][2]int32       // merge r makes id firstMerge()+r from the pair
	tokens    []string         // id → token bytes
	ids       map[string]int   // token bytes → id (specials first, then the lowest id)
	ranks     map[uint64]int32 // pair key → merge rank
	specialAt [256]bool        // first bytes of special tokens
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// newVocab builds the tables for the given specials and merges, which the
// caller has validated.
func newVocab(specials []string, merges [][2]int32) *vocab {
	v := &vocab{
		specials: specials,
		merges:   merges,
		tokens:   make([]string, 0, numBytes+len(specials)+len(merges)),
		ids:      make(map[string]int, numBytes+len(specials)+len(merges)),
		ranks:    make(map[uint64]int32, len(merges)),
	}
	for b := 0; b < numBytes; b++ {
		v.tokens = append(v.tokens, string([]byte{byte(b)}))
	}
	v.tokens = append(v.tokens, specials...)
	for r, m := range merges {
		v.tokens = append(v.tokens, v.tokens[m[0]]+v.tokens[m[1]])
		v.ranks[pairKey(m[0], m[1])] = int32(r)
	}
	for id := len(v.tokens) - 1; id >= 0; id-- { // lowest id wins
		v.ids[v.tokens[id]] = id
	}
	for i, s := range specials {
		v.ids[s] = numBytes + i
		v.specialAt[s[0]] = true
	}
	return v
}

func (v *vocab) firstMerge() int { return numBytes + len(v.specials) }

// vocabOf returns t's vocabulary, panicking on a zero Tokenizer.
func (t *Tokenizer) vocabOf(fn string) *vocab {
	if t.v == nil {
		panic("text." + fn + ": tokenizer has no vocabulary (use Train or UnmarshalBinary)")
	}
	return t.v
}

// VocabSize returns the number of tokens: 256 + specials + merges.
func (t *Tokenizer) VocabSize() int { return len(t.vocabOf("VocabSize").tokens) }

// Specials returns the special tokens; Specials()[i] has id 256+i.
func (t *Tokenizer) Specials() []string {
	return append([]string(nil), t.vocabOf("Specials").specials...)
}

// ID returns the id of the token whose bytes are exactly token (a special
// token if one matches).
func (t *Tokenizer) ID(token string) (int, bool) {
	id, ok := t.vocabOf("ID").ids[token]
	return id, ok
}

// Token returns a printable form of token id: special tokens as they are;
// other tokens with printable characters (space included) kept, \n, \t, \r
// escaped, and any other byte written <0xAB>. It panics if id is out of range.
func (t *Tokenizer) Token(id int) string {
	v := t.vocabOf("Token")
	if id < 0 || id >= len(v.tokens) {
		panic(fmt.Sprintf("text.Token: id %d outside [0, %d)", id, len(v.tokens)))
	}
	tok := v.tokens[id]
	if id >= numBytes && id < v.firstMerge() {
		return tok
	}
	var sb strings.Builder
	for len(tok) > 0 {
		r, n := utf8.DecodeRuneInString(tok)
		switch {
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r != utf8.RuneError && unicode.IsPrint(r):
			sb.WriteString(tok[:n])
		default:
			for i := 0; i < n; i++ {
				fmt.Fprintf(&sb, "<0x%02X>", tok[i])
			}
		}
		tok = tok[n:]
	}
	return sb.String()
}

// Decode returns the concatenated bytes of the tokens ids. It panics if an
// id is out of range.
func (t *Tokenizer) Decode(ids []int) string {
	v := t.vocabOf("Decode")
	var sb strings.Builder
	for _, id := range ids {
		if id < 0 || id >= len(v.tokens) {
			panic(fmt.Sprintf("text.Decode: id %d outside [0, %d)", id, len(v.tokens)))
		}
		sb.WriteString(v.tokens[id])
	}
	return sb.String()
}

// Encode returns the token ids of s: special tokens matched literally, the
// rest pre-split and merged by BPE. Decode(Encode(s)) == s.
func (t *Tokenizer) Encode(s string) []int {
	v := t.vocabOf("Encode")
	ids := make([]int, 0, len(s)/3+1)
	v.forEachSegment(s, func(text string, special int) {
		ids = t.appendPieces(ids, text)
		if special >= 0 {
			ids = append(ids, numBytes+special)
		}
	})
	return ids
}

// forEachSegment cuts s at special tokens: it calls f(text, k) for each
// stretch of text followed by special token k, and finally f(rest, -1).
// At each position the longest matching special token wins.
func (v *vocab) forEachSegment(s string, f func(text string, special int)) {
	start := 0
	if len(v.specials) > 0 {
		for i := 0; i < len(s); i++ {
			if !v.specialAt[s[i]] {
				continue
			}
			if k := v.specialPrefix(s[i:]); k >= 0 {
				f(s[start:i], k)
				i += len(v.specials[k]) - 1
				start = i + 1
			}
		}
	}
	f(s[start:], -1)
}

// specialPrefix returns the index of the longest special token that s
// starts with, or -1.
func (v *vocab) specialPrefix(s string) int {
	best := -1
	for k, sp := range v.specials {
		if strings.HasPrefix(s, sp) && (best < 0 || len(sp) > len(v.specials[best])) {
			best = k
		}
	}
	return best
}

// appendPieces appends the encoding of s, which holds no special token.
func (t *Tokenizer) appendPieces(ids []int, s string) []int {
	for len(s) > 0 {
		n := nextPiece(s)
		ids = t.appendPiece(ids, s[:n])
		s = s[n:]
	}
	return ids
}

// appendPiece appends the BPE encoding of one piece, through the cache.
func (t *Tokenizer) appendPiece(ids []int, p string) []int {
	if len(p) == 1 {
		return append(ids, int(p[0]))
	}
	t.mu.Lock()
	enc, ok := t.cache[p]
	t.mu.Unlock()
	if ok {
		return append(ids, enc...)
	}
	enc = t.v.bpe(p)
	t.mu.Lock()
	if t.cache == nil || len(t.cache) >= maxCache {
		t.cache = make(map[string][]int)
	}
	t.cache[p] = enc
	t.mu.Unlock()
	return append(ids, enc...)
}

// bpe merges the bytes of p, repeatedly applying the lowest-ranked merge
// present to all its (non-overlapping, left to right) occurrences.
func (v *vocab) bpe(p string) []int {
	syms := make([]int32, len(p))
	for i := 0; i < len(p); i++ {
		syms[i] = int32(p[i])
	}
	for len(syms) > 1 {
		best := int32(-1)
		for i := 0; i+1 < len(syms); i++ {
			if r, ok := v.ranks[pairKey(syms[i], syms[i+1])]; ok && (best < 0 || r < best) {
				best = r
			}
		}
		if best < 0 {
			break
		}
		m := v.merges[best]
		syms = mergePair(syms, m[0], m[1], int32(v.firstMerge())+best)
	}
	out := make([]int, len(syms))
	for i, s := range syms {
		out[i] = int(s)
	}
	return out
}

// mergePair replaces, left to right, each non-overlapping occurrence of the
// pair (a, b) in syms by z, in place, and returns the shortened slice.
func mergePair(syms []int32, a, b, z int32) []int32 {
	out := syms[:0]
	for i := 0; i < len(syms); i++ {
		if i+1 < len(syms) && syms[i] == a && syms[i+1] == b {
			out = append(out, z)
			i++
		} else {
			out = append(out, syms[i])
		}
	}
	return out
}
