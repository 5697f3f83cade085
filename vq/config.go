package vq

import "fmt"

// Config describes a tokenizer's architecture. The encoder halves the
// resolution log2(Downsample) times, so an image of Resolution² pixels
// becomes a Grid()×Grid() grid of codes.
type Config struct {
	Resolution int // image side in pixels
	Downsample int // 2, 4 or 8: pixels per code along each axis
	Channels   int // width at full resolution; reduced resolutions use 2·Channels
	ResBlocks  int // residual blocks at each reduced resolution, in encoder and decoder
	// FullResBlocks is the number of residual blocks of the decoder at full
	// resolution, where it draws the edges.
	FullResBlocks int
	NormGroups    int // GroupNorm groups (0: no normalisation layers)
	Codes         int // codebook size K
	CodeDim       int // code dimension D
	// Normalize projects encoder outputs and codes onto the unit sphere, so
	// the nearest code is the one of highest cosine similarity. Small
	// l2-normalised codes use the codebook far better than raw ones.
	Normalize bool
}

// DefaultConfig is the tokenizer of the design: 32×32 images, downsample 4,
// 512 codes. The widths are small enough to train on two CPU cores.
var DefaultConfig = Config{
	Resolution: 32,
	Downsample: 4,
	Channels:   32,
	ResBlocks:  1,
	NormGroups: 8,
	Codes:      512,
	CodeDim:    16,
	Normalize:  true,
}

// Limits on the configurations New and Load accept; they bound the memory a
// file can make the loader allocate.
const (
	maxResolution = 256
	maxChannels   = 512
	maxResBlocks  = 8
	maxCodes      = 1 << 16
	maxCodeDim    = 512
)

// Grid returns the side of the code grid, Resolution / Downsample.
func (c Config) Grid() int { return c.Resolution / c.Downsample }

// Tokens returns the number of codes per image, Grid()².
func (c Config) Tokens() int { return c.Grid() * c.Grid() }

// levels returns log2(Downsample): the number of halvings.
func (c Config) levels() int {
	l := 0
	for f := c.Downsample; f > 1; f >>= 1 {
		l++
	}
	return l
}

// width returns the channel count at level l (l halvings below the input).
func (c Config) width(l int) int {
	if l == 0 {
		return c.Channels
	}
	return 2 * c.Channels
}

// Validate reports the first problem with c, naming the field and value.
func (c Config) Validate() error {
	switch {
	case c.Downsample != 2 && c.Downsample != 4 && c.Downsample != 8:
		return fmt.Errorf("vq: downsample %d is not 2, 4 or 8", c.Downsample)
	case c.Resolution < c.Downsample || c.Resolution > maxResolution || c.Resolution%c.Downsample != 0:
		return fmt.Errorf("vq: resolution %d must be a multiple of the downsample %d, at most %d", c.Resolution, c.Downsample, maxResolution)
	case c.Channels < 1 || c.Channels > maxChannels:
		return fmt.Errorf("vq: channels %d outside [1,%d]", c.Channels, maxChannels)
	case c.ResBlocks < 0 || c.ResBlocks > maxResBlocks:
		return fmt.Errorf("vq: res blocks %d outside [0,%d]", c.ResBlocks, maxResBlocks)
	case c.FullResBlocks < 0 || c.FullResBlocks > maxResBlocks:
		return fmt.Errorf("vq: full-resolution res blocks %d outside [0,%d]", c.FullResBlocks, maxResBlocks)
	case c.NormGroups < 0 || (c.NormGroups > 0 && c.Channels%c.NormGroups != 0):
		return fmt.Errorf("vq: %d norm groups do not divide %d channels", c.NormGroups, c.Channels)
	case c.Codes < 2 || c.Codes > maxCodes:
		return fmt.Errorf("vq: %d codes outside [2,%d]", c.Codes, maxCodes)
	case c.CodeDim < 1 || c.CodeDim > maxCodeDim:
		return fmt.Errorf("vq: code dimension %d outside [1,%d]", c.CodeDim, maxCodeDim)
	}
	return nil
}
