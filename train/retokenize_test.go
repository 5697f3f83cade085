package train

import (
	"testing"

	"xprompt/data"
	"xprompt/img"
)

// permutedCodec is a codec whose code c is the wrapped codec's code perm⁻¹(c).
type permutedCodec struct {
	inner data.ImageCodec
	perm  []int32 // inner code → this codec's code
}

func (p permutedCodec) Encode(imgs []*img.Image) [][]int32 {
	codes := p.inner.Encode(imgs)
	for _, row := range codes {
		for i, c := range row {
			row[i] = p.perm[c]
		}
	}
	return codes
}

func (p permutedCodec) Decode(codes [][]int32) []*img.Image { panic("not used") }

// A tokenizer that only renames codes must move every used code's row to
// its new name exactly, and leave text rows and unused codes alone.
func TestRetokenizeFollowsARenaming(t *testing.T) {
	r := tinyRun(t)
	m := r.Model
	nc, d, off := m.Cfg.Vocab.Codes, m.Cfg.D, m.Cfg.Vocab.TextSize
	perm := make([]int32, nc)
	for i := range perm {
		perm[i] = int32((i*7 + 3) % nc) // a bijection: 7 is prime to 512
	}
	emb := m.Params.List()[0]
	if emb.Name() != "tok_emb" {
		t.Fatalf("first parameter %q; want tok_emb", emb.Name())
	}
	old := append([]float32(nil), emb.Data...)
	from := data.PatchCodec{F: 4}
	rep, err := Retokenize(m, from, permutedCodec{from, perm})
	if err != nil {
		t.Fatal(err)
	}
	used := map[int32]bool{}
	for _, row := range from.Encode(retokenizeImages(m.Cfg.ImageSize)) {
		for _, c := range row {
			used[c] = true
		}
	}
	if rep.Purity != 1 || rep.Unused != nc-len(used) {
		t.Fatalf("report %+v; want purity 1 and %d unused codes", rep, nc-len(used))
	}
	for i := range nc {
		j := int(perm[i])
		src := i // a used old code's row moves to its new name
		if !used[int32(i)] {
			continue
		}
		for k := range d {
			if got, want := emb.Data[(off+j)*d+k], old[(off+src)*d+k]; got != want {
				t.Fatalf("new code %d [%d] = %g; want old code %d's %g", j, k, got, src, want)
			}
		}
	}
	for k := 0; k < off*d; k++ {
		if emb.Data[k] != old[k] {
			t.Fatalf("text row %d changed", k/d)
		}
	}
	if len(used) < 20 {
		t.Fatalf("only %d codes used: the check is too weak", len(used))
	}
}
