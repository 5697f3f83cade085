package tasks

import (
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xprompt/img"
)

// writeFolder creates the files of a test folder: content "png:R,G,B" is a
// 8×8 PNG of that grey level set, "stripes" a 30×10 PNG of red | green |
// blue thirds, "jpg" an 8×8 JPEG, anything else raw bytes; a name ending in
// "/" is a directory.
func writeFolder(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(root, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasPrefix(content, "png:"):
			m := img.New(8, 8)
			v := float32(len(content)) / 20 // a level that tells files apart
			for i := range m.Pix {
				m.Pix[i] = v
			}
			err = img.SavePNG(path, m)
		case content == "stripes":
			m := img.New(30, 10)
			for y := 0; y < 10; y++ {
				for x := 0; x < 30; x++ {
					c := [3]float32{}
					c[x/10] = 1
					m.Set(x, y, c[0], c[1], c[2])
				}
			}
			err = img.SavePNG(path, m)
		case content == "jpg":
			rgba := image.NewRGBA(image.Rect(0, 0, 8, 8))
			for i := 0; i < 64; i++ {
				rgba.Set(i%8, i/8, color.RGBA{200, 200, 200, 255})
			}
			var f *os.File
			if f, err = os.Create(path); err == nil {
				err = jpeg.Encode(f, rgba, nil)
				f.Close()
			}
		default:
			err = os.WriteFile(path, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadFolder(t *testing.T) {
	dir := t.TempDir()
	writeFolder(t, dir, map[string]string{
		"recolour/input/a.png":      "png:a",
		"recolour/output/a.png":     "png:aaaa",
		"recolour/input/b.png":      "png:b",
		"recolour/output/b.jpg":     "jpg", // matched by name without extension
		"recolour/input/c.jpeg":     "jpg",
		"recolour/output/c.png":     "png:cc",
		"recolour/input/d.png":      "\x89PNG\r\n\x1a\nthis is not a png",
		"recolour/output/d.png":     "png:d",
		"recolour/input/e.png":      "png:e", // no output
		"recolour/output/f.png":     "png:f", // no input
		"recolour/input/notes.txt":  "hello",
		"recolour/instructions.txt": "make it red\n\n# a comment\nmake it blue\n",
		"crop/input/x.png":          "stripes",
		"crop/output/x.png":         "png:x",
		"empty/input/":              "",
		"README.md":                 "stray",
	})
	pairs, errs, err := LoadFolder(dir, 8)
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ family, instruction string }
	wantPairs := []want{{"crop", "crop"}, {"recolour", "make it red"}, {"recolour", "make it blue"}, {"recolour", "make it red"}}
	if len(pairs) != len(wantPairs) {
		t.Fatalf("%d pairs, want %d; errors %v", len(pairs), len(wantPairs), errs)
	}
	for i, w := range wantPairs {
		if pairs[i].Family != w.family || pairs[i].Instruction != w.instruction {
			t.Errorf("pair %d: %s %q, want %s %q", i, pairs[i].Family, pairs[i].Instruction, w.family, w.instruction)
		}
		checkImage(t, "pair input", pairs[i].Input, 8, 8)
		checkImage(t, "pair output", pairs[i].Output, 8, 8)
	}
	// The 30×10 stripes crop to the green middle square.
	for p := 0; p < 64; p++ {
		if r, g, b := pairs[0].Input.Pix[3*p], pairs[0].Input.Pix[3*p+1], pairs[0].Input.Pix[3*p+2]; r > 0.01 || g < 0.99 || b > 0.01 {
			t.Fatalf("cropped pixel %d = (%g,%g,%g), want green", p, r, g, b)
		}
	}
	// a.png holds level len("png:a")/20 = 0.25, quantised to 8 bits.
	if v := pairs[1].Input.Pix[0]; v < 0.249 || v > 0.252 {
		t.Errorf("a.png level %g, want 0.25", v)
	}
	if v := pairs[1].Output.Pix[0]; v < 0.399 || v > 0.402 {
		t.Errorf("a.png output level %g, want 0.4", v)
	}
	// Each bad file is named in exactly one error.
	bad := []string{"d.png", "e.png", "f.png", "notes.txt", "README.md", filepath.Join("empty", "output")}
	if len(errs) != len(bad) {
		t.Errorf("%d errors, want %d: %v", len(errs), len(bad), errs)
	}
	for _, name := range bad {
		n := 0
		for _, e := range errs {
			if strings.Contains(e.Error(), name) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s named in %d errors: %v", name, n, errs)
		}
	}
}

func TestLoadFolderFails(t *testing.T) {
	empty := t.TempDir()
	if _, _, err := LoadFolder(empty, 8); err == nil || !strings.Contains(err.Error(), "no task folder") {
		t.Errorf("empty folder: %v", err)
	}
	missing := filepath.Join(empty, "missing")
	if _, _, err := LoadFolder(missing, 8); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing folder: %v", err)
	}
	if _, _, err := LoadFolder(empty, 0); err == nil {
		t.Errorf("size 0 accepted")
	}
}
