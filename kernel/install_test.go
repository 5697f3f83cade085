package kernel

import (
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestInstallSpec(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, "bin", "xprompt")
	os.MkdirAll(filepath.Dir(bin), 0o755)
	os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755)
	dir := filepath.Join(root, "kernels", "xprompt")
	if err := InstallSpec(dir, "xprompt", "Go (xprompt)", bin); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"argv":           []any{bin, "kernel", "--connection-file", "{connection_file}"},
		"display_name":   "Go (xprompt)",
		"language":       "go",
		"interrupt_mode": "message",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kernel.json\n got %v\nwant %v", got, want)
	}
	for _, size := range []int{32, 64} {
		f, err := os.Open(filepath.Join(dir, fmt.Sprintf("logo-%dx%d.png", size, size)))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("logo %d: %v", size, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("logo %d has bounds %v", size, b)
		}
		// Corner transparent (rounded), edge middle opaque blue, a point on
		// the chevron's tip white.
		if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
			t.Errorf("logo %d: corner alpha %d, want 0", size, a)
		}
		if r, g, b, a := img.At(size/2, 1).RGBA(); r>>8 != 0x00 || g>>8 != 0xad || b>>8 != 0xd8 || a>>8 != 0xff {
			t.Errorf("logo %d: top edge %x %x %x %x, want blue", size, r>>8, g>>8, b>>8, a>>8)
		}
		tip := int(0.44 * float64(size))
		if r, g, b, _ := img.At(tip, size/2).RGBA(); r>>8 < 0xe0 || g>>8 < 0xe0 || b>>8 < 0xe0 {
			t.Errorf("logo %d: chevron tip %x %x %x, want white", size, r>>8, g>>8, b>>8)
		}
	}

	for _, tc := range []struct {
		name, dir, kname, bin, err string
	}{
		{"bad name", filepath.Join(root, "k", "a b"), "a b", bin, "kernel name"},
		{"dir/name mismatch", filepath.Join(root, "k", "other"), "xprompt", bin, "must end in"},
		{"missing binary", filepath.Join(root, "k", "xprompt"), "xprompt", filepath.Join(root, "nope"), "nope"},
		{"binary is a directory", filepath.Join(root, "k", "xprompt"), "xprompt", root, "is a directory"},
	} {
		if err := InstallSpec(tc.dir, tc.kname, "X", tc.bin); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want error containing %q", tc.name, err, tc.err)
		}
	}
}

func TestKernelDirs(t *testing.T) {
	t.Setenv("JUPYTER_DATA_DIR", "/data/jup")
	if d, err := UserKernelDir("xprompt"); err != nil || d != filepath.Join("/data/jup", "kernels", "xprompt") {
		t.Errorf("UserKernelDir with JUPYTER_DATA_DIR: %s, %v", d, err)
	}
	t.Setenv("JUPYTER_DATA_DIR", "")
	if runtime.GOOS == "linux" {
		t.Setenv("XDG_DATA_HOME", "")
		t.Setenv("HOME", "/home/u")
		if d, _ := UserKernelDir("xprompt"); d != "/home/u/.local/share/jupyter/kernels/xprompt" {
			t.Errorf("UserKernelDir: %s", d)
		}
		t.Setenv("XDG_DATA_HOME", "/xdg")
		if d, _ := UserKernelDir("xprompt"); d != "/xdg/jupyter/kernels/xprompt" {
			t.Errorf("UserKernelDir with XDG_DATA_HOME: %s", d)
		}
	}
	if d, err := PrefixKernelDir("/opt/venv", "xprompt"); err != nil || d != filepath.Join("/opt/venv", "share", "jupyter", "kernels", "xprompt") {
		t.Errorf("PrefixKernelDir: %s, %v", d, err)
	}
	if _, err := PrefixKernelDir("", "xprompt"); err == nil {
		t.Errorf("empty prefix accepted")
	}
}
