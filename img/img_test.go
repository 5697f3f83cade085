package img

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// randomImage returns a w×h image whose values are multiples of 1/255 when
// exact8 is set, arbitrary values in [0,1] otherwise.
func randomImage(w, h int, seed uint64, exact8 bool) *Image {
	r := rand.New(rand.NewPCG(seed, 1))
	m := New(w, h)
	for i := range m.Pix {
		if exact8 {
			m.Pix[i] = float32(r.IntN(256)) / 255
		} else {
			m.Pix[i] = r.Float32()
		}
	}
	return m
}

func maxDiff(a, b *Image) float64 {
	d := 0.0
	for i := range a.Pix {
		d = max(d, math.Abs(float64(a.Pix[i])-float64(b.Pix[i])))
	}
	return d
}

func TestPNGRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		exact8 bool
		tol    float64
	}{
		{"8-bit values exact", true, 1e-6},
		{"arbitrary values within half a step", false, 0.5/255 + 1e-6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := randomImage(7, 5, 3, tc.exact8)
			b, err := EncodePNG(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeBytes(b, "mem.png")
			if err != nil {
				t.Fatal(err)
			}
			if got.W != 7 || got.H != 5 {
				t.Fatalf("size %d×%d, want 7×5", got.W, got.H)
			}
			if d := maxDiff(m, got); d > tc.tol {
				t.Errorf("max |Δ| = %g > %g", d, tc.tol)
			}
		})
	}
}

func TestSavePNGLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.png")
	m := randomImage(9, 4, 5, true)
	if err := SavePNG(path, m); err != nil {
		t.Fatal(err)
	}
	if err := SavePNG(path, m); err != nil { // overwrite in place
		t.Fatal(err)
	}
	got, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(m, got); d > 1e-6 {
		t.Errorf("max |Δ| = %g", d)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only out.png (temporary file left?)", len(entries))
	}
	if err := SavePNG(filepath.Join(dir, "missing", "x.png"), m); err == nil || !strings.Contains(err.Error(), "x.png") {
		t.Errorf("save into a missing directory: err = %v, want an error naming x.png", err)
	}
}

func TestJPEGDecodes(t *testing.T) {
	// A flat colour survives JPEG at quality 100 to within a few levels.
	src := image.NewRGBA(image.Rect(0, 0, 16, 16))
	want := color.RGBA{200, 100, 50, 255}
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			src.Set(x, y, want)
		}
	}
	gray := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range gray.Pix {
		gray.Pix[i] = 77
	}
	for _, tc := range []struct {
		name    string
		im      image.Image
		r, g, b float64
	}{
		{"colour", src, 200, 100, 50},
		{"gray", gray, 77, 77, 77},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, tc.im, &jpeg.Options{Quality: 100}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "a.png") // wrong extension: format comes from content
			os.WriteFile(path, buf.Bytes(), 0o644)
			m, err := LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if m.W != tc.im.Bounds().Dx() || m.H != tc.im.Bounds().Dy() {
				t.Fatalf("size %d×%d", m.W, m.H)
			}
			r, g, b := m.At(3, 3)
			for i, p := range [][2]float64{{float64(r), tc.r}, {float64(g), tc.g}, {float64(b), tc.b}} {
				if math.Abs(p[0]*255-p[1]) > 3 {
					t.Errorf("channel %d = %.1f/255, want %.0f/255 ± 3", i, p[0]*255, p[1])
				}
			}
		})
	}
}

// pngHeader returns a PNG signature and IHDR chunk declaring a w×h 8-bit RGB
// image, with no pixel data after it.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // bit depth 8, colour type RGB
	var b bytes.Buffer
	b.Write(pngMagic)
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestCorruptDataIsAnError(t *testing.T) {
	good, _ := EncodePNG(randomImage(8, 8, 1, true))
	var jb bytes.Buffer
	jpeg.Encode(&jb, ToRGBA(randomImage(8, 8, 2, true)), nil)
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0xff
	for _, tc := range []struct {
		name string
		data []byte
		want string // a fragment the error must contain besides the name
	}{
		{"empty", nil, "empty"},
		{"text", []byte("hello, not an image"), "unknown format"},
		{"truncated png", good[:len(good)/2], ""},
		{"flipped byte png", flipped, ""},
		{"png magic only", pngMagic, ""},
		{"truncated jpeg", jb.Bytes()[:jb.Len()/2], ""},
		{"jpeg magic garbage", append(append([]byte(nil), jpegMagic...), bytes.Repeat([]byte{0x13}, 64)...), ""},
		{"huge png header", pngHeader(100000, 100000), "outside"},
		{"too wide png header", pngHeader(MaxSide+1, 1), "outside"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad_"+strings.ReplaceAll(tc.name, " ", "_")+".png")
			os.WriteFile(path, tc.data, 0o644)
			m, err := LoadFile(path)
			if err == nil {
				t.Fatalf("no error, got %d×%d image", m.W, m.H)
			}
			if !strings.HasPrefix(err.Error(), "img: load "+path+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name the file (and %q)", err, tc.want)
			}
		})
	}
	_, err := LoadFile(filepath.Join(t.TempDir(), "nope.png"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "nope.png") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestFromImageColourModels(t *testing.T) {
	nrgba := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	nrgba.SetNRGBA(0, 0, color.NRGBA{255, 51, 0, 128})
	rgba := image.NewRGBA(image.Rect(0, 0, 1, 1))
	rgba.SetRGBA(0, 0, color.RGBA{100, 50, 0, 200}) // premultiplied
	g16 := image.NewGray16(image.Rect(0, 0, 1, 1))
	g16.SetGray16(0, 0, color.Gray16{Y: 1000})
	pal := image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.RGBA{10, 20, 30, 255}})
	sub := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	sub.SetNRGBA(2, 3, color.NRGBA{0, 255, 0, 255})
	for _, tc := range []struct {
		name    string
		im      image.Image
		r, g, b float64
	}{
		{"NRGBA keeps straight colour", nrgba, 1, 0.2, 0},
		{"RGBA is un-premultiplied", rgba, 100.0 / 200, 50.0 / 200, 0},
		{"Gray16", g16, 1000.0 / 65535, 1000.0 / 65535, 1000.0 / 65535},
		{"Paletted", pal, 10.0 / 255, 20.0 / 255, 30.0 / 255},
		{"sub-image origin moves to 0,0", sub.SubImage(image.Rect(2, 3, 4, 4)), 0, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := FromImage(tc.im)
			r, g, b := m.At(0, 0)
			if math.Abs(float64(r)-tc.r) > 2e-3 || math.Abs(float64(g)-tc.g) > 2e-3 || math.Abs(float64(b)-tc.b) > 2e-3 {
				t.Errorf("got (%g,%g,%g), want (%g,%g,%g)", r, g, b, tc.r, tc.g, tc.b)
			}
		})
	}
}

func TestResize(t *testing.T) {
	for _, tc := range []struct{ w, h, nw, nh int }{
		{32, 32, 8, 8}, {8, 8, 33, 17}, {10, 20, 20, 10}, {5, 5, 1, 1}, {1, 1, 4, 3}, {1, 7, 3, 2},
	} {
		m := New(tc.w, tc.h)
		for i := range m.Pix {
			m.Pix[i] = []float32{0.25, 0.5, 0.8}[i%3]
		}
		got := Resize(m, tc.nw, tc.nh)
		if got.W != tc.nw || got.H != tc.nh {
			t.Fatalf("size %d×%d, want %d×%d", got.W, got.H, tc.nw, tc.nh)
		}
		for i, v := range got.Pix {
			if want := []float32{0.25, 0.5, 0.8}[i%3]; math.Abs(float64(v-want)) > 2e-5 {
				t.Fatalf("%d×%d→%d×%d: constant image changed: Pix[%d] = %g, want %g", tc.w, tc.h, tc.nw, tc.nh, i, v, want)
			}
		}
	}
	// Downscaling a one-pixel checkerboard averages it to about 0.5 instead
	// of aliasing to black or white.
	cb := New(64, 64)
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			v := float32((x + y) % 2)
			cb.Set(x, y, v, v, v)
		}
	}
	for i, v := range Resize(cb, 16, 16).Pix {
		if math.Abs(float64(v)-0.5) > 0.05 {
			t.Fatalf("checkerboard 64→16: Pix[%d] = %g, want 0.5 ± 0.05", i, v)
		}
	}
}

func TestNearestAndCenterCrop(t *testing.T) {
	m := New(2, 1)
	m.Set(0, 0, 1, 0, 0)
	m.Set(1, 0, 0, 0, 1)
	n := Nearest(m, 3)
	if n.W != 6 || n.H != 3 {
		t.Fatalf("Nearest size %d×%d", n.W, n.H)
	}
	for y := 0; y < 3; y++ {
		for x := 0; x < 6; x++ {
			r, _, b := n.At(x, y)
			if (x < 3) != (r == 1) || (x >= 3) != (b == 1) {
				t.Errorf("Nearest(%d,%d) = r%g b%g", x, y, r, b)
			}
		}
	}
	for _, tc := range []struct{ w, h, side, x0, y0 int }{
		{5, 3, 3, 1, 0}, {3, 6, 3, 0, 1}, {4, 4, 4, 0, 0}, {6, 1, 1, 2, 0},
	} {
		src := New(tc.w, tc.h)
		for y := 0; y < tc.h; y++ {
			for x := 0; x < tc.w; x++ {
				src.Set(x, y, float32(x), float32(y), 0)
			}
		}
		c := CenterCrop(src)
		if c.W != tc.side || c.H != tc.side {
			t.Fatalf("CenterCrop %d×%d: size %d×%d", tc.w, tc.h, c.W, c.H)
		}
		if r, g, _ := c.At(0, 0); int(r) != tc.x0 || int(g) != tc.y0 {
			t.Errorf("CenterCrop %d×%d: origin at (%g,%g), want (%d,%d)", tc.w, tc.h, r, g, tc.x0, tc.y0)
		}
	}
}

func TestGrid(t *testing.T) {
	solid := func(w, h int, v float32) *Image {
		m := New(w, h)
		for i := range m.Pix {
			m.Pix[i] = v
		}
		return m
	}
	a, b := solid(2, 3, 0.1), solid(4, 1, 0.2)
	for _, tc := range []struct {
		name string
		rows [][]*Image
		pad  int
		w, h int
	}{
		{"diagonal with blanks", [][]*Image{{a, nil}, {nil, b}}, 1, 1 + 2 + 1 + 4 + 1, 1 + 3 + 1 + 1 + 1},
		{"short row", [][]*Image{{a, b}, {b}}, 2, 2 + 4 + 2 + 4 + 2, 2 + 3 + 2 + 1 + 2},
		{"no padding", [][]*Image{{a, a, a}}, 0, 6, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := Grid(tc.rows, tc.pad)
			if g.W != tc.w || g.H != tc.h {
				t.Fatalf("size %d×%d, want %d×%d", g.W, g.H, tc.w, tc.h)
			}
		})
	}
	// Placement: in {{a, nil}, {nil, b}} with pad 1, a fills (1..2, 1..3);
	// b (4×1) sits in the 4×1 cell at x 4..7, y 5; everything else is background.
	g := Grid([][]*Image{{a, nil}, {nil, b}}, 1)
	for y := 0; y < g.H; y++ {
		for x := 0; x < g.W; x++ {
			want := float32(GridBackground)
			if x >= 1 && x <= 2 && y >= 1 && y <= 3 {
				want = 0.1
			} else if x >= 4 && x <= 7 && y == 5 {
				want = 0.2
			}
			if r, _, _ := g.At(x, y); r != want {
				t.Errorf("Grid(%d,%d) = %g, want %g", x, y, r, want)
			}
		}
	}
	// A small image is centred in a larger cell.
	g = Grid([][]*Image{{solid(3, 3, 0.5)}, {solid(1, 1, 0)}}, 0)
	if r, _, _ := g.At(1, 3); r != 0 {
		t.Errorf("1×1 image not centred in its 3×1 cell: (1,3) = %g", r)
	}
}

func TestHalfBlocks(t *testing.T) {
	for h := 1; h <= 5; h++ {
		s := HalfBlocks(randomImage(3, h, uint64(h), false))
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		if len(lines) != (h+1)/2 || !strings.HasSuffix(s, "\x1b[0m\n") {
			t.Errorf("H=%d: %d lines, want %d", h, len(lines), (h+1)/2)
		}
		for _, l := range lines {
			if n := strings.Count(l, "▀"); n != 3 || !strings.HasSuffix(l, "\x1b[0m") {
				t.Errorf("H=%d: line %q has %d blocks, want 3 and a reset", h, l, n)
			}
		}
	}
	// Red over blue, then green over blue: the background is not re-sent.
	m := New(2, 2)
	m.Set(0, 0, 1, 0, 0)
	m.Set(1, 0, 0, 1, 0)
	m.Set(0, 1, 0, 0, 1)
	m.Set(1, 1, 0, 0, 1)
	want := "\x1b[38;2;255;0;0m\x1b[48;2;0;0;255m▀\x1b[38;2;0;255;0m▀\x1b[0m\n"
	if got := HalfBlocks(m); got != want {
		t.Errorf("HalfBlocks = %q, want %q", got, want)
	}
	one := New(1, 1)
	one.Set(0, 0, 0.5, 0.5, 0.5)
	if got, want := HalfBlocks(one), "\x1b[38;2;128;128;128m\x1b[49m▀\x1b[0m\n"; got != want {
		t.Errorf("odd height: %q, want %q", got, want)
	}
}

func TestPNGStandardDecoderAgrees(t *testing.T) {
	// EncodePNG's output read back by the standard decoder gives round(255·v).
	m := randomImage(4, 4, 9, false)
	b, _ := EncodePNG(m)
	im, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			r, _, _, a := im.At(x, y).RGBA()
			want := uint32(math.Round(float64(m.Pix[(y*4+x)*3]) * 255))
			if r>>8 != want || a != 0xffff {
				t.Errorf("(%d,%d): r=%d a=%d, want r=%d opaque", x, y, r>>8, a, want)
			}
		}
	}
}

// FuzzDecodeBytes checks that arbitrary bytes never panic the decoder and
// that a successful decode returns a consistent image.
func FuzzDecodeBytes(f *testing.F) {
	good, _ := EncodePNG(randomImage(3, 2, 1, true))
	var jb bytes.Buffer
	jpeg.Encode(&jb, ToRGBA(randomImage(4, 4, 2, true)), nil)
	f.Add(good)
	f.Add(jb.Bytes())
	f.Add(pngHeader(5, 5))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeBytes(b, "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "img: load fuzz: ") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		if m.W < 1 || m.H < 1 || m.W > MaxSide || m.H > MaxSide || len(m.Pix) != m.W*m.H*3 {
			t.Fatalf("bad image %d×%d with %d values", m.W, m.H, len(m.Pix))
		}
	})
}

// TestDecodeCapsDecodedBytes: a 16-bit RGBA PNG header of 8192² (1.3 GB
// decoded) is refused from the header, before any pixel is decoded.
func TestDecodeCapsDecodedBytes(t *testing.T) {
	ihdr := []byte{0, 0, 0x20, 0, 0, 0, 0x20, 0, 16, 6, 0, 0, 0} // 8192×8192, 16-bit, RGBA
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	_, err := DecodeBytes(b.Bytes(), "big.png")
	if err == nil || !strings.Contains(err.Error(), "MiB decoded") || !strings.Contains(err.Error(), "big.png") {
		t.Errorf("error %v, want the decoded-size limit naming big.png", err)
	}
}
