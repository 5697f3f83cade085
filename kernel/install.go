package kernel

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"xprompt/atomicfile"
)

// kernelNameRE is what Jupyter accepts as a kernel name (jupyter_client's
// kernelspec rule).
var kernelNameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// kernelSpec is the content of kernel.json.
type kernelSpec struct {
	Argv          []string `json:"argv"`
	DisplayName   string   `json:"display_name"`
	Language      string   `json:"language"`
	InterruptMode string   `json:"interrupt_mode"`
}

// InstallSpec writes a kernelspec into dir (created if needed): kernel.json
// ({"argv": [binaryPath, "kernel", "--connection-file",
// "{connection_file}"], "display_name", "language": "go", "interrupt_mode":
// "message"}) and the logos logo-32x32.png and logo-64x64.png. Jupyter finds
// a kernel by its directory name, so dir's last element must be name.
// binaryPath is made absolute and must be an existing file.
func InstallSpec(dir, name, displayName, binaryPath string) error {
	if !kernelNameRE.MatchString(name) {
		return fmt.Errorf("kernel: kernel name %q: use only letters, digits, '.', '_' and '-'", name)
	}
	if filepath.Base(filepath.Clean(dir)) != name {
		return fmt.Errorf("kernel: kernelspec directory %s must end in %q, the kernel name", dir, name)
	}
	if displayName == "" {
		return errors.New("kernel: empty display name")
	}
	bin, err := filepath.Abs(binaryPath)
	if err != nil {
		return fmt.Errorf("kernel: binary %s: %w", binaryPath, err)
	}
	st, err := os.Stat(bin)
	if err != nil {
		return fmt.Errorf("kernel: binary: %w", err)
	}
	if st.IsDir() {
		return fmt.Errorf("kernel: binary %s is a directory", bin)
	}
	spec := kernelSpec{
		Argv:          []string{bin, "kernel", "--connection-file", "{connection_file}"},
		DisplayName:   displayName,
		Language:      "go",
		InterruptMode: "message",
	}
	js, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return fmt.Errorf("kernel: encoding kernel.json: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("kernel: kernelspec directory: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "kernel.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	for _, size := range []int{32, 64} {
		if err := writeLogo(filepath.Join(dir, fmt.Sprintf("logo-%dx%d.png", size, size)), size); err != nil {
			return err
		}
	}
	return nil
}

// UserKernelDir returns the per-user kernelspec directory of name, as
// jupyter_core computes the data directory: $JUPYTER_DATA_DIR/kernels/NAME
// if set, else on Linux $XDG_DATA_HOME/jupyter (default
// ~/.local/share/jupyter), on macOS ~/Library/Jupyter, on Windows
// %APPDATA%\jupyter.
func UserKernelDir(name string) (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return filepath.Join(d, "kernels", name), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kernel: user kernel directory: %w", err)
	}
	var data string
	switch runtime.GOOS {
	case "darwin":
		data = filepath.Join(home, "Library", "Jupyter")
	case "windows":
		appdata := os.Getenv("APPDATA")
		if appdata == "" {
			appdata = filepath.Join(home, "AppData", "Roaming")
		}
		data = filepath.Join(appdata, "jupyter")
	default:
		xdg := os.Getenv("XDG_DATA_HOME")
		if xdg == "" {
			xdg = filepath.Join(home, ".local", "share")
		}
		data = filepath.Join(xdg, "jupyter")
	}
	return filepath.Join(data, "kernels", name), nil
}

// PrefixKernelDir returns PREFIX/share/jupyter/kernels/NAME, the kernelspec
// directory for an installation prefix such as a virtual environment's.
func PrefixKernelDir(prefix, name string) (string, error) {
	if prefix == "" {
		return "", errors.New("kernel: empty prefix")
	}
	p, err := filepath.Abs(prefix)
	if err != nil {
		return "", fmt.Errorf("kernel: prefix %s: %w", prefix, err)
	}
	return filepath.Join(p, "share", "jupyter", "kernels", name), nil
}

func writeLogo(path string, size int) error {
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return png.Encode(w, drawLogo(size)) }); err != nil {
		return fmt.Errorf("kernel: logo: %w", err)
	}
	return nil
}

// Logo colours: Go's gopher blue behind a white prompt mark.
var (
	logoBlue  = color.NRGBA{0x00, 0xad, 0xd8, 0xff}
	logoWhite = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// drawLogo draws the logo at size×size: a rounded square in logoBlue with a
// white prompt chevron ">" and an "x" after it, antialiased by 4×4
// supersampling. Outside the rounded square is transparent.
func drawLogo(size int) *image.NRGBA {
	if size < 8 {
		panic(fmt.Sprintf("kernel.drawLogo: size %d < 8", size))
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4
	for py := range size {
		for px := range size {
			var inBox, inMark int
			for sy := range ss {
				for sx := range ss {
					// Sample point in unit coordinates [0,1)².
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(size)
					if !inRoundedSquare(x, y, 0.2) {
						continue
					}
					inBox++
					if inPromptMark(x, y) {
						inMark++
					}
				}
			}
			if inBox == 0 {
				continue
			}
			// Blend white over blue by mark coverage; alpha is box coverage.
			t := float64(inMark) / float64(inBox)
			mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a)*(1-t) + float64(b)*t)) }
			img.SetNRGBA(px, py, color.NRGBA{
				R: mix(logoBlue.R, logoWhite.R),
				G: mix(logoBlue.G, logoWhite.G),
				B: mix(logoBlue.B, logoWhite.B),
				A: uint8(math.Round(255 * float64(inBox) / ss / ss)),
			})
		}
	}
	return img
}

// inRoundedSquare reports whether (x, y) lies in the unit square with
// corners rounded to radius r.
func inRoundedSquare(x, y, r float64) bool {
	cx := math.Max(r, math.Min(1-r, x))
	cy := math.Max(r, math.Min(1-r, y))
	return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r
}

// inPromptMark reports whether (x, y) lies on the white strokes: a chevron
// ">" on the left and an "x" on the right, each stroke 0.1 wide.
func inPromptMark(x, y float64) bool {
	const half = 0.05
	strokes := [][4]float64{
		{0.18, 0.28, 0.44, 0.50}, // chevron upper arm
		{0.44, 0.50, 0.18, 0.72}, // chevron lower arm
		{0.56, 0.48, 0.80, 0.74}, // x, falling stroke
		{0.56, 0.74, 0.80, 0.48}, // x, rising stroke
	}
	for _, s := range strokes {
		if distToSegment(x, y, s[0], s[1], s[2], s[3]) <= half {
			return true
		}
	}
	return false
}

// distToSegment is the distance from (x, y) to the segment (ax, ay)–(bx, by).
func distToSegment(x, y, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := ((x-ax)*dx + (y-ay)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	px, py := ax+t*dx-x, ay+t*dy-y
	return math.Hypot(px, py)
}
