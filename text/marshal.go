package text

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// magic opens a serialised tokenizer; its last byte is the format version.
const magic = "XPBPE\x01"

// MarshalBinary encodes the tokenizer as
//
//	"XPBPE" 0x01
//	uvarint S, then S × (uvarint length, bytes)   special tokens
//	uvarint M, then M × (uvarint left, uvarint right)   merges in rank order
func (t *Tokenizer) MarshalBinary() ([]byte, error) {
	v := t.vocabOf("MarshalBinary")
	b := []byte(magic)
	b = binary.AppendUvarint(b, uint64(len(v.specials)))
	for _, s := range v.specials {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(v.merges)))
	for _, m := range v.merges {
		b = binary.AppendUvarint(b, uint64(m[0]))
		b = binary.AppendUvarint(b, uint64(m[1]))
	}
	return b, nil
}

// UnmarshalBinary replaces t's vocabulary with the one encoded in data (as
// written by MarshalBinary), after checking it: special tokens non-empty and
// distinct; each merge joining two earlier non-special tokens into a new
// pair of at most 64 bytes; no trailing bytes. Counts are checked against
// the remaining input before anything is allocated. On error t is unchanged.
func (t *Tokenizer) UnmarshalBinary(data []byte) error {
	v, err := decodeVocab(data)
	if err != nil {
		return fmt.Errorf("text: unmarshal tokenizer: %w", err)
	}
	t.mu.Lock()
	t.v, t.cache = v, nil
	t.mu.Unlock()
	return nil
}

// reader reads uvarints from a byte slice.
type reader struct{ b []byte }

func (r *reader) uvarint(what string) (uint64, error) {
	x, n := binary.Uvarint(r.b)
	if n <= 0 {
		return 0, fmt.Errorf("bad or truncated %s", what)
	}
	r.b = r.b[n:]
	return x, nil
}

// count reads a count of items that take at least minBytes each.
func (r *reader) count(what string, minBytes int) (int, error) {
	x, err := r.uvarint(what)
	if err != nil {
		return 0, err
	}
	if x > uint64(len(r.b)/minBytes) {
		return 0, fmt.Errorf("%s %d exceeds what the remaining %d bytes can hold", what, x, len(r.b))
	}
	return int(x), nil
}

func decodeVocab(data []byte) (*vocab, error) {
	if len(data) < len(magic) || string(data[:len(magic)-1]) != magic[:len(magic)-1] {
		return nil, errors.New("not a tokenizer (bad magic)")
	}
	if data[len(magic)-1] != magic[len(magic)-1] {
		return nil, fmt.Errorf("unsupported format version %d", data[len(magic)-1])
	}
	r := &reader{data[len(magic):]}
	ns, err := r.count("special count", 2)
	if err != nil {
		return nil, err
	}
	specials := make([]string, 0, ns)
	seen := make(map[string]bool, ns)
	for i := 0; i < ns; i++ {
		n, err := r.count("special length", 1)
		if err != nil {
			return nil, err
		}
		s := string(r.b[:n])
		r.b = r.b[n:]
		if s == "" || seen[s] {
			return nil, fmt.Errorf("special token %d (%q) empty or repeated", i, s)
		}
		seen[s] = true
		specials = append(specials, s)
	}
	nm, err := r.count("merge count", 2)
	if err != nil {
		return nil, err
	}
	if numBytes+ns+nm > math.MaxInt32 {
		return nil, fmt.Errorf("vocabulary of %d tokens too large", numBytes+ns+nm)
	}
	first := numBytes + ns
	merges := make([][2]int32, 0, nm)
	length := make([]int, first, first+nm) // token lengths; specials never merge
	for i := range numBytes {
		length[i] = 1
	}
	pairs := make(map[uint64]bool, nm)
	for i := 0; i < nm; i++ {
		var m [2]int32
		for j := range m {
			x, err := r.uvarint("merge")
			if err != nil {
				return nil, err
			}
			id := first + i
			if x >= uint64(id) || (x >= numBytes && x < uint64(first)) {
				return nil, fmt.Errorf("merge %d uses token %d, not an earlier non-special token", i, x)
			}
			m[j] = int32(x)
		}
		k := pairKey(m[0], m[1])
		n := length[m[0]] + length[m[1]]
		if pairs[k] || n > maxPiece {
			return nil, fmt.Errorf("merge %d (%d, %d) repeated or longer than %d bytes", i, m[0], m[1], maxPiece)
		}
		pairs[k] = true
		length = append(length, n)
		merges = append(merges, m)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(r.b))
	}
	return newVocab(specials, merges), nil
}
