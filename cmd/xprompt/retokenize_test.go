package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"xprompt/model"
	"xprompt/train"
	"xprompt/vq"
)

// TestInitWithAnotherTokenizerRetokenizes: "train --init CKPT --vq FILE"
// with a tokenizer other than the checkpoint's moves the code embeddings
// (train.Retokenize) before training, and the new run keeps the new
// tokenizer; with the checkpoint's own tokenizer it moves nothing.
func TestInitWithAnotherTokenizerRetokenizes(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny model and encodes 13,400 images twice")
	}
	dir := t.TempDir()
	from, to := filepath.Join(dir, "from.ckpt"), filepath.Join(dir, "to.ckpt")
	if err := commands["train"].run([]string{"--preset", "tiny", "--steps", "1", "--batch", "1", "--quiet", "--out", from}); err != nil {
		t.Fatal(err)
	}
	def, err := vq.Default()
	if err != nil {
		t.Fatal(err)
	}
	other := vq.New(def.Config, 7)
	var buf bytes.Buffer
	if err := other.Save(&buf); err != nil {
		t.Fatal(err)
	}
	otherPath := filepath.Join(dir, "other.vq")
	if err := os.WriteFile(otherPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// A learning rate so small that the one step leaves the weights as they were.
	if err := commands["train"].run([]string{"--init", from, "--vq", otherPath, "--steps", "1", "--batch", "1", "--lr", "1e-30", "--quiet", "--out", to}); err != nil {
		t.Fatal(err)
	}
	want, err := model.Load(from)
	if err != nil {
		t.Fatal(err)
	}
	old, err := vq.Load(bytes.NewReader(want.VQ)) // the tokenizer as the checkpoint stores it
	if err != nil {
		t.Fatal(err)
	}
	if _, err := train.Retokenize(want.Model, old, other); err != nil {
		t.Fatal(err)
	}
	got, err := model.Load(to)
	if err != nil {
		t.Fatal(err)
	}
	before, err := model.Load(from)
	if err != nil {
		t.Fatal(err)
	}
	g, w, b := got.Model.Params.List()[0], want.Model.Params.List()[0], before.Model.Params.List()[0]
	if g.Name() != "tok_emb" {
		t.Fatalf("first parameter %q; want tok_emb", g.Name())
	}
	moved := 0
	for i := range g.Data {
		if d := g.Data[i] - w.Data[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("tok_emb[%d] = %g after init; Retokenize gives %g", i, g.Data[i], w.Data[i])
		}
		if w.Data[i] != b.Data[i] {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no embedding value moved: the check cannot tell a retokenized model from the original")
	}
	// The same tokenizer at another precision is not another tokenizer: a
	// checkpoint holding it in float32, given it again, is not moved.
	var full, half bytes.Buffer
	if err := def.Save(&full); err != nil {
		t.Fatal(err)
	}
	if err := def.SaveFloat16(&half); err != nil {
		t.Fatal(err)
	}
	before.VQ = full.Bytes()
	if moved, err := retokenize(before, def, half.Bytes()); err != nil || moved {
		t.Fatalf("retokenize onto the checkpoint's own tokenizer: moved %v, error %v; want neither", moved, err)
	}
	nt, err := vq.Load(bytes.NewReader(got.VQ))
	if err != nil {
		t.Fatal(err)
	}
	a, c := nt.Codebook().Data, other.Codebook().Data // float16 in the checkpoint
	for i := range c {
		if d := a[i] - c[i]; len(a) != len(c) || d > 1e-3*(1+abs32(c[i])) || -d > 1e-3*(1+abs32(c[i])) {
			t.Fatalf("codebook[%d] = %g in the new checkpoint; the --vq tokenizer has %g", i, a[i], c[i])
		}
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
