package model

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"xprompt/core"
)

// TestBuilderKnownWords: an instruction token outside Known, and every
// token DropWord takes, is laid out as UnknownText; text targets and images
// are left alone, and a nil Known keeps every token.
func TestBuilderKnownWords(t *testing.T) {
	cfg := testConfig()
	rng := core.NewRNG(1)
	q := randomPair(rng, 4, 32, "flip it")
	q.Output, q.OutputText, q.TextTarget = nil, "spin", true
	ex := randomPair(rng, 4, 32, "flip")
	plain := &Builder{Vocab: cfg.Vocab, Text: byteCodec{}, XP: 2, ExampleWeight: 0.5}
	want, err := plain.Build([]Pair{ex}, q, ModeXPrompt)
	if err != nil {
		t.Fatal(err)
	}
	known := make([]bool, 256)
	for _, c := range "flip" { // not ' ', 'i' stays known through "flip", 't' does not
		known[c] = true
	}
	kb := *plain
	kb.Known = known
	got, err := kb.Build([]Pair{ex}, q, ModeXPrompt)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tokens) != len(want.Tokens) {
		t.Fatalf("%d tokens with Known, %d without", len(got.Tokens), len(want.Tokens))
	}
	var replaced []byte
	for i, id := range got.Tokens {
		w := want.Tokens[i]
		switch {
		case id == w:
		case id == UnknownText && cfg.Vocab.IsText(w) && !known[w]:
			replaced = append(replaced, byte(w))
		default:
			t.Fatalf("token %d is %s, want %s or the unknown word", i, cfg.Vocab.Name(id), cfg.Vocab.Name(w))
		}
	}
	// " it" of the query's instruction; "spin", the text target, stays.
	if string(replaced) != " t" {
		t.Fatalf("replaced %q, want the query instruction's unknown bytes \" t\"", replaced)
	}
	if slices.Contains(got.Targets, UnknownText) {
		t.Fatal("a text target became the unknown word")
	}
	calls := 0
	db := *plain
	db.DropWord = func() bool { calls++; return true }
	dropped, err := db.Build([]Pair{ex}, q, ModeXPrompt)
	if err != nil {
		t.Fatal(err)
	}
	if want := len("flip") + len("flip it"); calls != want {
		t.Fatalf("DropWord asked %d times, want once per instruction token (%d)", calls, want)
	}
	n := 0
	for i, id := range dropped.Tokens {
		if id == UnknownText {
			n++
		} else if id != want.Tokens[i] {
			t.Fatalf("token %d changed to %s by word dropout, not to the unknown word", i, cfg.Vocab.Name(id))
		}
	}
	if n != calls {
		t.Fatalf("%d unknown words after dropping all %d instruction tokens", n, calls)
	}
}

// TestCheckpointKnown: the known text ids survive a round trip, a
// checkpoint that does not say stays nil, and a list naming an id outside
// the text vocabulary or out of order is refused with an error naming it.
func TestCheckpointKnown(t *testing.T) {
	m, _ := New(testConfig(), 3)
	known := make([]bool, 256)
	known[0], known[7], known[255] = true, true, true
	for _, k := range [][]bool{known, nil} {
		var buf bytes.Buffer
		if err := (&Checkpoint{Model: m, Known: k}).Encode(&buf, true); err != nil {
			t.Fatal(err)
		}
		got, err := Decode(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Known, k) || (k == nil) != (got.Known == nil) {
			t.Fatalf("known ids %v after the round trip, want %v", knownIDs(got.Known), knownIDs(k))
		}
	}
	for ids, want := range map[string][]int32{"outside": {3, 256}, "negative": {-1}, "order": {5, 5}} {
		_, err := knownSet(want, 256)
		if err == nil || !strings.Contains(err.Error(), "known text id") {
			t.Fatalf("%s: known ids %v accepted (error %v)", ids, want, err)
		}
	}
}

func TestUnionAndMarkKnown(t *testing.T) {
	v := Vocab{TextSize: 4, Codes: 2}
	a := MarkKnown(nil, v, []int32{1, 4, v.Tok(BOS), -1})
	if want := []bool{false, true, false, false}; !slices.Equal(a, want) {
		t.Fatalf("MarkKnown = %v, want %v (codes, specials and XP slots are not text)", a, want)
	}
	b := MarkKnown(nil, v, []int32{3})
	if u := UnionKnown(a, b); !slices.Equal(u, []bool{false, true, false, true}) {
		t.Fatalf("UnionKnown = %v", u)
	}
	if UnionKnown(a, nil) != nil {
		t.Fatal("the union with a model that does not say should not say either")
	}
}
