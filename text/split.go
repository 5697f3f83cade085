package text

// maxPiece bounds the length in bytes of a pre-split piece, hence of a
// merged token.
const maxPiece = 64

// Byte classes of the pre-splitter.
const (
	classSpace = iota
	classLetter
	classDigit
	classOther
)

// byteClass classifies b: ASCII whitespace, letter (ASCII letters and every
// byte ≥ 0x80), digit, or other.
func byteClass(b byte) int {
	switch {
	case b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f':
		return classSpace
	case 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || b >= 0x80:
		return classLetter
	case '0' <= b && b <= '9':
		return classDigit
	}
	return classOther
}

// nextPiece returns the length of the first pre-split piece of the
// non-empty string s: a run of one non-space class, optionally preceded by
// one ' ', or a run of whitespace (leaving a final ' ' to the word after it).
func nextPiece(s string) int {
	i := 0
	if byteClass(s[0]) == classSpace {
		j := 1
		for j < len(s) && byteClass(s[j]) == classSpace {
			j++
		}
		if j == len(s) || s[j-1] != ' ' {
			return capPiece(s, j)
		}
		if j > 1 {
			return capPiece(s, j-1)
		}
		i = 1 // a single ' ' starts the word that follows it
	}
	class := byteClass(s[i])
	j := i + 1
	for j < len(s) && byteClass(s[j]) == class {
		j++
	}
	return capPiece(s, j)
}

// capPiece limits a piece of length n to maxPiece bytes, moving the cut back
// (at most 3 bytes) to the start of a UTF-8 sequence.
func capPiece(s string, n int) int {
	if n <= maxPiece {
		return n
	}
	n = maxPiece
	for k := 0; k < 3 && s[n]&0xc0 == 0x80; k++ {
		n--
	}
	return n
}
