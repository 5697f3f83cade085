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
	SeqLen int // longest training sequence
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

// Presets are the named configurations (DESIGN §4). Text vocabulary 512 and
// 512 image codes plus the special tokens make the 1040-entry vocabulary of
// tiny and small.
var Presets = map[string]Config{
	"tiny":  preset("tiny", 64, 2, 4, 512, 512, 192, 4, 32, 8),
	"small": preset("small", 256, 6, 8, 512, 512, 336, 8, 32, 8),
	"base":  preset("base", 512, 12, 8, 512, 8192-NumSpecials+256, 1024, 16, 64, 16),
}

func preset(name string, d, layers, heads, text, codes, seq, xp, size, side int) Config {
	return Config{Preset: name, D: d, Layers: layers, Heads: heads, Hidden: HiddenFor(d),
		Vocab: Vocab{TextSize: text, Codes: codes}, SeqLen: seq, XP: xp,
		ImageSize: size, ImageSide: side, RopeBase: 10000, NormEps: 1e-6}
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
