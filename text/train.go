package text

import (
	"container/heap"
	"fmt"
	"sort"
)

// Train learns a byte-level BPE tokenizer of at most vocabSize tokens (256
// bytes + the specials + merges) from corpus. Each string is cut at the
// special tokens and pre-split into pieces (see the package doc); every
// step merges the most frequent adjacent pair of tokens over all pieces
// (weighted by piece count), ties going to the smaller (left id, right id).
// Training stops early when no pair occurs at least twice, so VocabSize()
// may be below vocabSize for a small corpus. The result depends only on the
// multiset of corpus strings, not their order.
//
// Train panics if vocabSize < 256 + len(specials), or a special token is
// empty or repeated.
func Train(corpus []string, vocabSize int, specials []string) *Tokenizer {
	if vocabSize < numBytes+len(specials) {
		panic(fmt.Sprintf("text.Train: vocabSize %d below the %d bytes + %d specials", vocabSize, numBytes, len(specials)))
	}
	seen := map[string]bool{}
	for _, s := range specials {
		if s == "" || seen[s] {
			panic(fmt.Sprintf("text.Train: special token %q empty or repeated", s))
		}
		seen[s] = true
	}
	specials = append([]string(nil), specials...)
	split := newVocab(specials, nil)

	// Count pieces; order the distinct ones so training is reproducible.
	counts := map[string]int{}
	for _, s := range corpus {
		split.forEachSegment(s, func(text string, _ int) {
			for len(text) > 0 {
				n := nextPiece(text)
				if n > 1 {
					counts[text[:n]]++
				}
				text = text[n:]
			}
		})
	}
	pieces := make([]string, 0, len(counts))
	for p := range counts {
		pieces = append(pieces, p)
	}
	sort.Strings(pieces)
	tr := newTrainer(pieces, counts)
	first := int32(numBytes + len(specials))
	var merges [][2]int32
	for len(merges) < vocabSize-int(first) {
		a, b, ok := tr.best()
		if !ok {
			break
		}
		tr.merge(a, b, first+int32(len(merges)))
		merges = append(merges, [2]int32{a, b})
	}
	return &Tokenizer{v: newVocab(specials, merges)}
}

// trainer holds the pieces as token sequences with incremental pair counts.
type trainer struct {
	words [][]int32          // distinct pieces as token ids
	freq  []int              // occurrences of each piece
	count map[uint64]int     // pair → Σ freq over occurrences
	where map[uint64][]int32 // pair → pieces that held it when added (may repeat or be stale)
	queue pairQueue          // lazy max-heap of (count, pair); stale entries skipped
}

func newTrainer(pieces []string, counts map[string]int) *trainer {
	tr := &trainer{count: map[uint64]int{}, where: map[uint64][]int32{}}
	for w, p := range pieces {
		syms := make([]int32, len(p))
		for i := 0; i < len(p); i++ {
			syms[i] = int32(p[i])
		}
		tr.words = append(tr.words, syms)
		tr.freq = append(tr.freq, counts[p])
		for i := 0; i+1 < len(syms); i++ {
			k := pairKey(syms[i], syms[i+1])
			tr.count[k] += counts[p]
			tr.where[k] = append(tr.where[k], int32(w))
		}
	}
	for k, c := range tr.count {
		tr.queue = append(tr.queue, pairCount{k, c})
	}
	heap.Init(&tr.queue)
	return tr
}

// best returns the most frequent pair (smallest key among ties) if it occurs
// at least twice.
func (tr *trainer) best() (a, b int32, ok bool) {
	for tr.queue.Len() > 0 {
		top := tr.queue[0]
		if tr.count[top.key] != top.count { // stale entry
			heap.Pop(&tr.queue)
			continue
		}
		if top.count < 2 {
			return 0, 0, false
		}
		return int32(top.key >> 32), int32(uint32(top.key)), true
	}
	return 0, 0, false
}

// merge replaces the pair (a, b) by z in every piece and updates the counts.
func (tr *trainer) merge(a, b, z int32) {
	key := pairKey(a, b)
	touched := map[uint64]bool{}
	for _, w := range tr.where[key] {
		syms := tr.words[w]
		if !hasPair(syms, a, b) {
			continue // stale or already merged
		}
		f := tr.freq[w]
		for i := 0; i+1 < len(syms); i++ {
			k := pairKey(syms[i], syms[i+1])
			tr.count[k] -= f
			touched[k] = true
		}
		syms = mergePair(syms, a, b, z)
		tr.words[w] = syms
		for i := 0; i+1 < len(syms); i++ {
			k := pairKey(syms[i], syms[i+1])
			tr.count[k] += f
			touched[k] = true
			if syms[i] == z || syms[i+1] == z {
				tr.where[k] = append(tr.where[k], w)
			}
		}
	}
	delete(tr.where, key)
	for k := range touched {
		if c := tr.count[k]; c > 0 {
			heap.Push(&tr.queue, pairCount{k, c})
		} else {
			delete(tr.count, k)
		}
	}
}

func hasPair(syms []int32, a, b int32) bool {
	for i := 0; i+1 < len(syms); i++ {
		if syms[i] == a && syms[i+1] == b {
			return true
		}
	}
	return false
}

// pairCount is a heap entry.
type pairCount struct {
	key   uint64
	count int
}

// pairQueue is a max-heap by count, then min-heap by pair key.
type pairQueue []pairCount

func (q pairQueue) Len() int { return len(q) }
func (q pairQueue) Less(i, j int) bool {
	if q[i].count != q[j].count {
		return q[i].count > q[j].count
	}
	return q[i].key < q[j].key
}
func (q pairQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *pairQueue) Push(x any)   { *q = append(*q, x.(pairCount)) }
func (q *pairQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
