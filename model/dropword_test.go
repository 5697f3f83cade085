package model

import (
	"slices"
	"testing"

	"xprompt/core"
)

// TestBuilderDropWord: every instruction token DropWord takes is laid out as
// UnknownText, and nothing else changes: not a text target, not an image,
// not a token DropWord leaves.
func TestBuilderDropWord(t *testing.T) {
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
	calls := 0
	db := *plain
	db.DropWord = func() bool { calls++; return calls%2 == 1 } // every other token
	got, err := db.Build([]Pair{ex}, q, ModeXPrompt)
	if err != nil {
		t.Fatal(err)
	}
	if want := len("flip") + len("flip it"); calls != want {
		t.Fatalf("DropWord asked %d times, want once per instruction token (%d)", calls, want)
	}
	if len(got.Tokens) != len(want.Tokens) {
		t.Fatalf("%d tokens with word dropout, %d without", len(got.Tokens), len(want.Tokens))
	}
	var dropped []byte
	for i, id := range got.Tokens {
		switch w := want.Tokens[i]; {
		case id == w:
		case id == UnknownText && cfg.Vocab.IsText(w):
			dropped = append(dropped, byte(w))
		default:
			t.Fatalf("token %d is %s, want %s or the unknown word", i, cfg.Vocab.Name(id), cfg.Vocab.Name(w))
		}
	}
	// The example's "flip", then the query's "flip it": the 1st, 3rd, … of the eleven bytes.
	if string(dropped) != "fifi t" {
		t.Fatalf("dropped %q, want every other instruction byte \"fifi t\"", dropped)
	}
	if slices.Contains(got.Targets, UnknownText) || !slices.Equal(got.Targets, want.Targets) {
		t.Fatal("word dropout changed a target")
	}
}
