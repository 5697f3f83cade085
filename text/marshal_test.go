package text

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

func TestMarshalRoundTrip(t *testing.T) {
	tok := Train(testCorpus(), 450, []string{"<pad>", "<eos>"})
	blob, err := tok.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Tokenizer
	if err := back.UnmarshalBinary(blob); err != nil {
		t.Fatal(err)
	}
	if back.VocabSize() != tok.VocabSize() {
		t.Fatalf("VocabSize %d, want %d", back.VocabSize(), tok.VocabSize())
	}
	for _, s := range append(testCorpus(), "<pad>unseen text\xff<eos>") {
		if a, b := tok.Encode(s), back.Encode(s); !equalInts(a, b) {
			t.Fatalf("Encode(%q): %v after round trip, %v before", s, b, a)
		}
	}
	again, _ := back.MarshalBinary()
	if !bytes.Equal(blob, again) {
		t.Error("re-marshalled blob differs")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// blob assembles a serialised tokenizer from raw uvarints and strings.
func blob(parts ...any) []byte {
	b := []byte(magic)
	for _, p := range parts {
		switch p := p.(type) {
		case int:
			b = binary.AppendUvarint(b, uint64(p))
		case rune: // a byte token written as a character
			b = binary.AppendUvarint(b, uint64(p))
		case string:
			b = append(b, p...)
		}
	}
	return b
}

func TestUnmarshalRejectsMalformed(t *testing.T) {
	good := blob(1, 5, "<pad>", 2, 'a', 'b', 257, 'c')
	var ok Tokenizer
	if err := ok.UnmarshalBinary(good); err != nil || ok.VocabSize() != 259 {
		t.Fatalf("hand-made blob: %v, VocabSize %d", err, ok.VocabSize())
	}
	// A 2^6-fold doubling chain: merge i joins merge i−1 with itself.
	chain := []any{0, 7, 'a', 'a'}
	for i := 1; i < 7; i++ {
		chain = append(chain, 255+i, 255+i)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "magic"},
		{"bad magic", []byte("XPBPF\x01\x00\x00"), "magic"},
		{"future version", []byte("XPBPE\x02\x00\x00"), "version"},
		{"huge special count", blob(1 << 40), "exceeds"},
		{"huge merge count", blob(0, 1<<62), "exceeds"},
		{"overlong uvarint", append([]byte(magic), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), "bad"},
		{"empty special", blob(1, 0, 0), "empty"},
		{"repeated special", blob(2, 1, "x", 1, "x", 0), "repeated"},
		{"merge of a future token", blob(0, 1, 'a', 300), "earlier"},
		{"merge of itself", blob(0, 1, 256, 'a'), "earlier"},
		{"merge of a special", blob(1, 1, "x", 1, 256, 'a'), "earlier"},
		{"repeated merge", blob(0, 2, 'a', 'b', 'a', 'b'), "repeated"},
		{"token longer than 64 bytes", blob(chain...), "longer"},
		{"trailing bytes", append(good, 0), "trailing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tok Tokenizer
			err := tok.UnmarshalBinary(tc.data)
			if err == nil || !strings.HasPrefix(err.Error(), "text: unmarshal tokenizer: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
			if tok.v != nil {
				t.Error("failed unmarshal changed the tokenizer")
			}
		})
	}
	// Every proper prefix of a valid blob is an error.
	full, _ := Train(testCorpus(), 300, []string{"<pad>"}).MarshalBinary()
	for n := 0; n < len(full); n++ {
		var tok Tokenizer
		if tok.UnmarshalBinary(full[:n]) == nil {
			t.Fatalf("prefix of %d/%d bytes accepted", n, len(full))
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	full, _ := Train(testCorpus(), 300, []string{"<pad>"}).MarshalBinary()
	f.Add(full)
	f.Add(blob(1, 5, "<pad>", 2, 'a', 'b', 257, 'c'))
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tok Tokenizer
		if tok.UnmarshalBinary(data) != nil {
			return
		}
		if tok.VocabSize() > 256+len(data) {
			t.Fatalf("vocabulary of %d tokens from %d bytes", tok.VocabSize(), len(data))
		}
		again, err := tok.MarshalBinary()
		var back Tokenizer
		if err != nil || back.UnmarshalBinary(again) != nil || back.VocabSize() != tok.VocabSize() {
			t.Fatalf("accepted blob does not re-marshal: %v", err)
		}
		s := "the <pad> ab\xffc"
		if got := tok.Decode(tok.Encode(s)); got != s {
			t.Fatalf("round trip %q → %q", s, got)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	tok := Train(testCorpus(), 512, []string{"<pad>", "<eos>", "<s>", "<s>x"})
	for _, s := range testCorpus()[:5] {
		f.Add(s)
	}
	f.Add("<pad>\xff\xfe<s>x<s <eos>")
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s)
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
		if got := tok.Decode(ids); got != s {
			t.Fatalf("round trip %q → %q", s, got)
		}
	})
}
