package model

import (
	"fmt"
	"sort"
)

// Config is the architecture of a model and the layout of its sequences.
type Config struct {
	Preset string
	D      int // model width
	Layers int
	Heads  int
	Hidden int // SwiGLU hidden width: 8·D/3 rounded up to 64
	Vocab  Vocab
	// SeqLen is the sequence length of the training-step benchmark (the
	// same as the PyTorch peer's), about one in-context example and a query
	// of image → image. It is not a limit: RoPE has no position table, and
	// sequences with more examples or a second input are longer.
	SeqLen int
	XP     int // number of X-Prompt tokens S
	// ImageSize is the side of images in pixels; ImageSide the side of their
	// code grid (ImageSize / the tokenizer's downsample factor).
	ImageSize, ImageSide int
	RopeBase             float32
	NormEps              float32
	// ImagePos2D adds learned row and column embeddings to the tokens of
	// images (imagepos.go): absolute 2-D positions on top of RoPE's 1-D ones.
	ImagePos2D bool `msgpack:",omitempty"`
}

// HeadDim returns D / Heads.
func (c Config) HeadDim() int { return c.D / c.Heads }

// Validate checks that the configuration is usable.
func (c Config) Validate() error {
	switch {
	case c.D <= 0 || c.Layers <= 0 || c.Heads <= 0 || c.Hidden <= 0:
		return fmt.Errorf("model config: sizes must be positive (d=%d layers=%d heads=%d hidden=%d)", c.D, c.Layers, c.Heads, c.Hidden)
	case c.D > 1<<14 || c.Layers > 256 || c.Heads > 256 || c.Hidden > 1<<16:
		return fmt.Errorf("model config: sizes out of range (d=%d layers=%d heads=%d hidden=%d)", c.D, c.Layers, c.Heads, c.Hidden)
	case c.Vocab.TextSize > 1<<20 || c.Vocab.Codes > 1<<20:
		return fmt.Errorf("model config: vocabulary out of range (text %d, codes %d)", c.Vocab.TextSize, c.Vocab.Codes)
	case c.D%c.Heads != 0 || c.HeadDim()%2 != 0:
		return fmt.Errorf("model config: d=%d must split into %d heads of even size", c.D, c.Heads)
	case c.Vocab.TextSize <= 0 || c.Vocab.Codes <= 0:
		return fmt.Errorf("model config: vocabulary needs text ids and image codes (text %d, codes %d)", c.Vocab.TextSize, c.Vocab.Codes)
	case c.XP < 0 || c.XP > 256:
		return fmt.Errorf("model config: %d X-Prompt tokens (want 0…256)", c.XP)
	case c.SeqLen <= 0 || c.SeqLen > 1<<16:
		return fmt.Errorf("model config: sequence length %d out of range", c.SeqLen)
	case c.ImageSide <= 0 || c.ImageSide > 64:
		return fmt.Errorf("model config: image code grid side %d", c.ImageSide)
	}
	return nil
}

// HiddenFor returns the SwiGLU width for model width d: 8d/3 rounded up to 64.
func HiddenFor(d int) int { return (8*d/3 + 63) / 64 * 64 }

// The constants shared by the presets.
const (
	// ropeBase is the RoPE frequency base θ: pair i of a head rotates by
	// pos·θ^(−2i/hd), the value of the RoPE paper and LLaMA.
	ropeBase = 10000
	// normEps is the RMSNorm ε, x/√(mean(x²)+ε): small against unit-scale
	// activations, large enough to keep float32 finite on a zero row.
	normEps = 1e-6
	// textVocab is the BPE vocabulary of every preset: the task world's
	// instructions and captions need a few hundred words.
	textVocab = 512
)

// Presets are the named configurations. Tiny and small have 512 text ids,
// 512 image codes and NumSpecials special tokens: 1040 entries. Images are
// 32×32 pixels and a VQ downsample of 4 makes 8×8 code grids.
var Presets = map[string]Config{
	// tiny is for tests, CI and notebooks: seconds per hundred steps.
	"tiny": {
		Preset: "tiny", D: 64, Layers: 2, Heads: 4, Hidden: HiddenFor(64),
		Vocab:  Vocab{TextSize: textVocab, Codes: 512},
		SeqLen: 192, // a short benchmark sequence
		XP:     4, ImageSize: 32, ImageSide: 8, RopeBase: ropeBase, NormEps: normEps,
	},
	// small is the CPU default and the embedded model.
	"small": {
		Preset: "small", D: 256, Layers: 6, Heads: 8, Hidden: HiddenFor(256),
		Vocab: Vocab{TextSize: textVocab, Codes: 512},
		// 336 = 21·16: one example and a query of image → image, two
		// instructions and four 8×8 code grids with their markers, about
		// 320 tokens, rounded up to a multiple of 16.
		SeqLen: 336,
		XP:     8, ImageSize: 32, ImageSide: 8, RopeBase: ropeBase, NormEps: normEps,
	},
	// base is the GPU preset: 64×64 images, 16×16 code grids.
	"base": {
		Preset: "base", D: 512, Layers: 12, Heads: 8, Hidden: HiddenFor(512),
		// Codes and special tokens fill 8192 + 256 = 8448 = 33·256 ids;
		// with the text ids the table has 8960 = 35·256 rows, a multiple
		// of 256 for the output GEMM. (The PyTorch peer's base vocabulary
		// is 8448 in all: its base timings use a smaller output layer.)
		Vocab:  Vocab{TextSize: textVocab, Codes: 8192 + 256 - NumSpecials},
		SeqLen: 1024,
		XP:     16, ImageSize: 64, ImageSide: 16, RopeBase: ropeBase, NormEps: normEps,
	},
}

// PresetNames lists the presets in size order.
func PresetNames() []string {
	n := make([]string, 0, len(Presets))
	for k := range Presets {
		n = append(n, k)
	}
	sort.Slice(n, func(i, j int) bool { return Presets[n[i]].D < Presets[n[j]].D })
	return n
}

// Preset returns the named preset or an error listing the valid names.
func Preset(name string) (Config, error) {
	c, ok := Presets[name]
	if !ok {
		return Config{}, fmt.Errorf("unknown preset %q (have %v)", name, PresetNames())
	}
	return c, nil
}
