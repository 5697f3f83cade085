package main

import (
	"os"
	"path/filepath"
	"testing"

	"xprompt/vq"
)

// TestSaveTokenizerConcurrent: saves of the image tokenizer to one path at
// once (two runs with the same --out) each go through their own temporary
// file, and the result loads.
func TestSaveTokenizerConcurrent(t *testing.T) {
	m, err := vq.Default()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "tok.vq")
	errs := make(chan error, 4)
	for i := range 4 {
		go func() { errs <- saveTokenizer(p, m, i%2 == 0) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent save: %v", err)
		}
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := vq.Load(f); err != nil {
		t.Errorf("saved tokenizer does not load: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files left in the directory, want 1", len(entries))
	}
}
