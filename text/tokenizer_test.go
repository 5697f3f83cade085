package text

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// testCorpus returns deterministic instruction-like sentences.
func testCorpus() []string {
	var out []string
	colours := []string{"red", "green", "blue", "yellow", "purple", "orange"}
	shapes := []string{"circle", "square", "triangle", "star"}
	verbs := []string{"remove the", "add a", "recolour the", "move the"}
	for i, v := range verbs {
		for j, c := range colours {
			for k, s := range shapes {
				out = append(out, fmt.Sprintf("%s %s %s to the left, %d pixels.", v, c, s, (i*7+j*3+k)%10))
				out = append(out, fmt.Sprintf("Please %s %s %s\nnext to the %s one!", v, colours[(j+1)%len(colours)], s, c))
			}
		}
	}
	out = append(out, "derain the image", "make the image darker", "rotate the image by 90° — déjà vu")
	return out
}

func TestPreSplit(t *testing.T) {
	long := strings.Repeat("a", 100)
	longUTF8 := "a" + strings.Repeat("é", 40) // 'a' + 80 bytes: the cut must not split 'é'
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"a  b", []string{"a", " ", " b"}},
		{"x\n y", []string{"x", "\n", " y"}},
		{"x \ny", []string{"x", " \n", "y"}},
		{"cat. 123abc", []string{"cat", ".", " 123", "abc"}},
		{"  ", []string{"  "}},
		{" ", []string{" "}},
		{"!?", []string{"!?"}},
		{"héllo wörld", []string{"héllo", " wörld"}},
		{long, []string{long[:64], long[64:]}},
		{longUTF8, []string{longUTF8[:63], longUTF8[63:]}},
	} {
		var got []string
		for s := tc.in; len(s) > 0; {
			n := nextPiece(s)
			got = append(got, s[:n])
			s = s[n:]
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("pieces(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// naiveTrain is an independent reference for Train: it recounts every pair
// over every piece at each step (no incremental bookkeeping), picks the
// largest count with ties to the smallest (left, right), and stops below 2.
func naiveTrain(corpus []string, vocabSize int, specials []string) [][2]int32 {
	v := newVocab(specials, nil)
	freq := map[string]int{}
	for _, s := range corpus {
		v.forEachSegment(s, func(text string, _ int) {
			for len(text) > 0 {
				n := nextPiece(text)
				freq[text[:n]]++
				text = text[n:]
			}
		})
	}
	var words [][]int32
	var counts []int
	for p, f := range freq {
		w := make([]int32, len(p))
		for i := range w {
			w[i] = int32(p[i])
		}
		words, counts = append(words, w), append(counts, f)
	}
	var merges [][2]int32
	for next := int32(256 + len(specials)); int(next) < vocabSize; next++ {
		pc := map[[2]int32]int{}
		for i, w := range words {
			for j := 0; j+1 < len(w); j++ {
				pc[[2]int32{w[j], w[j+1]}] += counts[i]
			}
		}
		best, bestN := [2]int32{}, 0
		for p, n := range pc {
			if n > bestN || n == bestN && (p[0] < best[0] || p[0] == best[0] && p[1] < best[1]) {
				best, bestN = p, n
			}
		}
		if bestN < 2 {
			break
		}
		merges = append(merges, best)
		for i, w := range words {
			words[i] = naiveReplace(w, best, next)
		}
	}
	return merges
}

// naiveReplace rebuilds w with each left-to-right occurrence of p replaced by z.
func naiveReplace(w []int32, p [2]int32, z int32) []int32 {
	var out []int32
	for j := 0; j < len(w); {
		if j+1 < len(w) && w[j] == p[0] && w[j+1] == p[1] {
			out, j = append(out, z), j+2
		} else {
			out, j = append(out, w[j]), j+1
		}
	}
	return out
}

// naiveEncodePiece applies every merge in training order to the bytes of p.
func naiveEncodePiece(merges [][2]int32, first int32, p string) []int {
	w := make([]int32, len(p))
	for i := range w {
		w[i] = int32(p[i])
	}
	for r, m := range merges {
		w = naiveReplace(w, m, first+int32(r))
	}
	out := make([]int, len(w))
	for i, x := range w {
		out[i] = int(x)
	}
	return out
}

func TestTrainMatchesNaiveReference(t *testing.T) {
	corpus := testCorpus()
	for _, tc := range []struct {
		vocab    int
		specials []string
	}{
		{300, nil},
		{400, []string{"<pad>", "<eos>"}},
		{2000, []string{"<pad>"}}, // runs out of pairs seen twice
	} {
		tok := Train(corpus, tc.vocab, tc.specials)
		want := naiveTrain(corpus, tc.vocab, tc.specials)
		if !reflect.DeepEqual(tok.v.merges, want) {
			t.Fatalf("vocab %d: %d merges differ from the naive reference's %d", tc.vocab, len(tok.v.merges), len(want))
		}
		first := int32(256 + len(tc.specials))
		for _, s := range append(corpus, "an unseen sentence with purple stars!", "recoloured squares") {
			var ref []int
			for rest := s; len(rest) > 0; {
				n := nextPiece(rest)
				ref = append(ref, naiveEncodePiece(want, first, rest[:n])...)
				rest = rest[n:]
			}
			if got := tok.Encode(s); !reflect.DeepEqual(got, ref) {
				t.Fatalf("Encode(%q) = %v, merges in training order give %v", s, got, ref)
			}
		}
	}
}

func TestVocabSize(t *testing.T) {
	corpus := testCorpus()
	for _, tc := range []struct {
		vocab, specials int
		exact           bool
	}{
		{256, 0, true}, {258, 2, true}, {300, 1, true}, {350, 3, true}, {512, 3, false}, {100000, 1, false},
	} {
		sp := []string{"<pad>", "<eos>", "<sep>"}[:tc.specials]
		tok := Train(corpus, tc.vocab, sp)
		n := tok.VocabSize()
		if n > tc.vocab || tc.exact && n != tc.vocab {
			t.Errorf("Train(vocab %d, %d specials): VocabSize %d", tc.vocab, tc.specials, n)
		}
		for id := 0; id < n; id++ { // every token is reachable by its bytes
			if _, ok := tok.ID(tok.Decode([]int{id})); !ok {
				t.Errorf("token %d (%s) has no ID", id, tok.Token(id))
			}
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "text.Train") {
			t.Errorf("vocab below 256+specials: panic %v", r)
		}
	}()
	Train(corpus, 257, []string{"<a>", "<b>"})
}

func TestEncodeCompressesTrainingText(t *testing.T) {
	corpus := testCorpus()
	tok := Train(corpus, 512, []string{"<pad>"})
	totalBytes, totalTokens := 0, 0
	for _, s := range corpus {
		ids := tok.Encode(s)
		if len(ids) >= len(s) {
			t.Errorf("%q: %d tokens for %d bytes", s, len(ids), len(s))
		}
		totalBytes += len(s)
		totalTokens += len(ids)
	}
	ratio := float64(totalBytes) / float64(totalTokens)
	t.Logf("%d bytes in %d tokens: %.2f bytes per token", totalBytes, totalTokens, ratio)
	if ratio < 3 {
		t.Errorf("%.2f bytes per token on the training corpus, want ≥ 3", ratio)
	}
	if ids := tok.Encode("remove the red circle"); len(ids) > 5 {
		t.Errorf("common phrase takes %d tokens: %v", len(ids), ids)
	}
}

func TestDeterministicTraining(t *testing.T) {
	corpus := testCorpus()
	a, _ := Train(corpus, 400, []string{"<pad>"}).MarshalBinary()
	b, _ := Train(corpus, 400, []string{"<pad>"}).MarshalBinary()
	shuffled := append([]string(nil), corpus...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	c, _ := Train(shuffled, 400, []string{"<pad>"}).MarshalBinary()
	if !bytes.Equal(a, b) || !bytes.Equal(a, c) {
		t.Error("training is not deterministic (or depends on corpus order)")
	}
}

func TestRoundTrip(t *testing.T) {
	tok := Train(testCorpus(), 512, []string{"<pad>", "<eos>"})
	r := rand.New(rand.NewPCG(3, 4))
	runes := []rune("abcxyz ABC 019.,!?\n\t\u00e9\u00fc\u4e16\u754c\U0001F600<>")
	for i := 0; i < 500; i++ {
		var sb strings.Builder
		for n := r.IntN(80); n > 0; n-- {
			sb.WriteRune(runes[r.IntN(len(runes))])
		}
		s := sb.String()
		if got := tok.Decode(tok.Encode(s)); got != s {
			t.Fatalf("UTF-8 round trip: %q → %q", s, got)
		}
	}
	for i := 0; i < 500; i++ {
		b := make([]byte, r.IntN(200))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		s := string(b)
		ids := tok.Encode(s)
		if got := tok.Decode(ids); got != s {
			t.Fatalf("byte round trip: %q → %q", s, got)
		}
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
	}
	if !utf8.ValidString(tok.Decode(tok.Encode("déjà vu"))) {
		t.Error("valid UTF-8 came back invalid")
	}
}

func TestSpecials(t *testing.T) {
	tok := Train(testCorpus(), 400, []string{"<pad>", "<s>", "<s>x"})
	pad, ok := tok.ID("<pad>")
	if !ok || pad != 256 {
		t.Fatalf("ID(<pad>) = %d, %v; want 256", pad, ok)
	}
	sx, _ := tok.ID("<s>x")
	for _, tc := range []struct {
		in        string
		wantCount int // occurrences of the special id
		special   int
	}{
		{"<pad><pad>remove the red circle<pad>", 3, pad},
		{"a<pad>b", 1, pad},
		{"<pa d> <pa", 0, pad},   // partial matches stay text
		{"<s>x and <s>x", 2, sx}, // the longest special wins
	} {
		ids := tok.Encode(tc.in)
		n := 0
		for _, id := range ids {
			if id == tc.special {
				n++
			}
		}
		if n != tc.wantCount || tok.Decode(ids) != tc.in {
			t.Errorf("Encode(%q) = %v: %d × id %d, want %d (decodes to %q)", tc.in, ids, n, tc.special, tc.wantCount, tok.Decode(ids))
		}
	}
	if got := tok.Encode("<pad>"); len(got) != 1 {
		t.Errorf("a lone special encodes to %v", got)
	}
	if !reflect.DeepEqual(tok.Specials(), []string{"<pad>", "<s>", "<s>x"}) {
		t.Errorf("Specials() = %q", tok.Specials())
	}
}

func TestTokenPrintable(t *testing.T) {
	tok := Train(testCorpus(), 400, []string{"<pad>"})
	the, ok := tok.ID(" the")
	if !ok {
		t.Fatal(`" the" not learned`)
	}
	for _, tc := range []struct {
		id   int
		want string
	}{
		{'a', "a"}, {'\n', `\n`}, {0xff, "<0xFF>"}, {0, "<0x00>"}, {256, "<pad>"}, {the, " the"},
	} {
		if got := tok.Token(tc.id); got != tc.want {
			t.Errorf("Token(%d) = %q, want %q", tc.id, got, tc.want)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "text.Decode") {
			t.Errorf("Decode out of range: panic %v", r)
		}
	}()
	tok.Decode([]int{tok.VocabSize()})
}

func TestConcurrentEncode(t *testing.T) {
	tok := Train(testCorpus(), 400, nil)
	want := make([][]int, 0, 50)
	for _, s := range testCorpus()[:50] {
		want = append(want, tok.Encode(s))
	}
	fresh := Train(testCorpus(), 400, nil) // empty cache, filled concurrently
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			ok := true
			for i, s := range testCorpus()[:50] {
				ok = ok && reflect.DeepEqual(fresh.Encode(s), want[i])
			}
			done <- ok
		}()
	}
	for g := 0; g < 4; g++ {
		if !<-done {
			t.Error("concurrent Encode gave a different result")
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	corpus := testCorpus()
	tok := Train(corpus, 512, []string{"<pad>"})
	n := 0
	for b.Loop() {
		for _, s := range corpus {
			n += len(tok.Encode(s))
		}
	}
	b.ReportMetric(float64(b.N*len(corpus))/b.Elapsed().Seconds(), "strings/s")
}

func BenchmarkTrain(b *testing.B) {
	corpus := testCorpus()
	for b.Loop() {
		Train(corpus, 512, []string{"<pad>"})
	}
	b.ReportMetric(float64(b.N*len(corpus))/b.Elapsed().Seconds(), "strings/s")
}
