package img

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math"

	"xprompt/atomicfile"
	"xprompt/regularfile"
)

// MaxSide is the largest width or height, in pixels, that LoadFile and
// DecodeBytes accept; larger images are rejected from their header, before
// any pixel is decoded.
const MaxSide = 8192

// MaxFileBytes bounds the size of an image file LoadFile reads.
const MaxFileBytes = 64 << 20

// MaxDecodedBytes bounds the memory an image takes once decoded: the
// decoder's pixels (by the header's colour model: 8 bytes a pixel for 16-bit
// RGBA) plus the float32 RGB copy. A 16-bit 8192² PNG (1.3 GB) is refused
// from its header.
const MaxDecodedBytes = 512 << 20

var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte("\xff\xd8\xff")
)

// LoadFile reads a PNG or JPEG file (the format is detected from the content,
// not the name) in any colour model and returns it as RGB in [0,1]. Alpha is
// dropped (straight, un-premultiplied colour is kept). Errors name the file:
// "img: load foo.png: …".
func LoadFile(path string) (*Image, error) {
	b, err := regularfile.Read(path, MaxFileBytes)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named below; keep errors.Is working
		}
		return nil, fmt.Errorf("img: load %s: %w", path, err)
	}
	return DecodeBytes(b, path)
}

// DecodeBytes decodes a PNG or JPEG image held in b, as LoadFile does; name
// identifies the data in error messages ("img: load NAME: …"). Images wider
// or taller than MaxSide are rejected before their pixels are decoded.
func DecodeBytes(b []byte, name string) (m *Image, err error) {
	var decodeConfig func([]byte) (image.Config, error)
	var decode func([]byte) (image.Image, error)
	switch {
	case bytes.HasPrefix(b, pngMagic):
		decodeConfig = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
	case bytes.HasPrefix(b, jpegMagic):
		decodeConfig = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
	case len(b) == 0:
		return nil, fmt.Errorf("img: load %s: empty file", name)
	default:
		return nil, fmt.Errorf("img: load %s: unknown format (not PNG or JPEG)", name)
	}
	// The standard decoders are not expected to panic, but data read from
	// disk is untrusted: a panic inside them becomes an error naming the file.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("img: load %s: decoder failed: %v", name, r)
		}
	}()
	cfg, err := decodeConfig(b)
	if err != nil {
		return nil, fmt.Errorf("img: load %s: %w", name, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxSide || cfg.Height > MaxSide {
		return nil, fmt.Errorf("img: load %s: size %d×%d outside 1…%d per side", name, cfg.Width, cfg.Height, MaxSide)
	}
	if n := decodedBytes(cfg); n > MaxDecodedBytes {
		return nil, fmt.Errorf("img: load %s: %d×%d pixels would take %d MiB decoded (limit %d MiB)", name, cfg.Width, cfg.Height, n>>20, MaxDecodedBytes>>20)
	}
	im, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("img: load %s: %w", name, err)
	}
	return FromImage(im), nil
}

// decodedBytes returns the bytes an image of cfg takes decoded by the
// standard library plus as an *Image (3 float32 a pixel).
func decodedBytes(cfg image.Config) int64 {
	per := int64(4)
	switch cfg.ColorModel {
	case color.RGBA64Model, color.NRGBA64Model:
		per = 8
	case color.Gray16Model:
		per = 2
	case color.GrayModel, color.AlphaModel:
		per = 1
	case color.YCbCrModel:
		per = 3
	}
	if _, ok := cfg.ColorModel.(color.Palette); ok {
		per = 1
	}
	return int64(cfg.Width) * int64(cfg.Height) * (per + 12)
}

// SavePNG writes m to path as an 8-bit RGB PNG. The file is written to a
// temporary file in the same directory and renamed into place, so readers
// never see a partial image.
func SavePNG(path string, m *Image) error {
	b, err := EncodePNG(m)
	if err != nil {
		return fmt.Errorf("img: save %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("img: save: %w", err)
	}
	return nil
}

// EncodePNG returns m encoded as an 8-bit PNG (values quantised as ToRGBA does).
func EncodePNG(m *Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, ToRGBA(m)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// to8 maps v in [0,1] to round(255·v), clamping values outside [0,1]; NaN
// maps to 0.
func to8(v float32) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(v*255 + 0.5)
}

// ToRGBA returns m as an opaque 8-bit image: each value v becomes
// round(255·clamp(v, 0, 1)).
func ToRGBA(m *Image) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, m.W, m.H))
	for i, n := 0, m.W*m.H; i < n; i++ {
		p := out.Pix[i*4 : i*4+4 : i*4+4]
		p[0], p[1], p[2], p[3] = to8(m.Pix[i*3]), to8(m.Pix[i*3+1]), to8(m.Pix[i*3+2]), 255
	}
	return out
}

// FromImage converts any image.Image to RGB in [0,1] (value/255 for 8-bit
// sources, value/65535 for 16-bit ones). The bounds' origin moves to (0,0);
// alpha is dropped, keeping straight (un-premultiplied) colour.
func FromImage(im image.Image) *Image {
	r := im.Bounds()
	m := New(r.Dx(), r.Dy())
	const s8, s16 = 1.0 / 255, 1.0 / 65535
	switch src := im.(type) {
	case *image.NRGBA:
		for y := 0; y < m.H; y++ {
			row := src.Pix[src.PixOffset(r.Min.X, r.Min.Y+y):]
			for x := 0; x < m.W; x++ {
				m.Set(x, y, float32(row[4*x])*s8, float32(row[4*x+1])*s8, float32(row[4*x+2])*s8)
			}
		}
	case *image.Gray:
		for y := 0; y < m.H; y++ {
			row := src.Pix[src.PixOffset(r.Min.X, r.Min.Y+y):]
			for x := 0; x < m.W; x++ {
				v := float32(row[x]) * s8
				m.Set(x, y, v, v, v)
			}
		}
	case *image.YCbCr:
		for y := 0; y < m.H; y++ {
			for x := 0; x < m.W; x++ {
				c := src.YCbCrAt(r.Min.X+x, r.Min.Y+y)
				cr, cg, cb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				m.Set(x, y, float32(cr)*s8, float32(cg)*s8, float32(cb)*s8)
			}
		}
	default:
		for y := 0; y < m.H; y++ {
			for x := 0; x < m.W; x++ {
				c := color.NRGBA64Model.Convert(im.At(r.Min.X+x, r.Min.Y+y)).(color.NRGBA64)
				m.Set(x, y, float32(float64(c.R)*s16), float32(float64(c.G)*s16), float32(float64(c.B)*s16))
			}
		}
	}
	return m
}

// rgba64View presents an Image as an opaque image.RGBA64Image with 16-bit
// channels, so that golang.org/x/image/draw can resample it without 8-bit
// quantisation.
type rgba64View struct{ m *Image }

func (v rgba64View) ColorModel() color.Model { return color.RGBA64Model }
func (v rgba64View) Bounds() image.Rectangle { return image.Rect(0, 0, v.m.W, v.m.H) }
func (v rgba64View) At(x, y int) color.Color { return v.RGBA64At(x, y) }

func (v rgba64View) RGBA64At(x, y int) color.RGBA64 {
	if x < 0 || y < 0 || x >= v.m.W || y >= v.m.H {
		return color.RGBA64{}
	}
	r, g, b := v.m.At(x, y)
	return color.RGBA64{R: to16(r), G: to16(g), B: to16(b), A: 0xffff}
}

// to16 maps v in [0,1] to round(65535·v), clamped.
func to16(v float32) uint16 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 0xffff
	}
	return uint16(math.Round(float64(v) * 65535))
}
