package main

import (
	"encoding/json"
	"fmt"
	"os"

	"xprompt/img"
	"xprompt/metrics"
)

func init() {
	register("metrics", "compare two images: PSNR, SSIM, RMSE", runMetrics)
}

// runMetrics implements `xprompt metrics A.png B.png [--json]`.
func runMetrics(args []string) error {
	fs := newFlags("metrics", "A.png B.png [--json]")
	asJSON := fs.Bool("json", false, `print {"psnr":…,"ssim":…,"rmse":…} (psnr null for identical images)`)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 2 {
		return fmt.Errorf("%w: want two image files, got %d", errUsage, len(files))
	}
	a, err := img.LoadFile(files[0])
	if err != nil {
		return err
	}
	b, err := img.LoadFile(files[1])
	if err != nil {
		return err
	}
	if a.W != b.W || a.H != b.H {
		return fmt.Errorf("%s is %d×%d but %s is %d×%d: the images must have the same size", files[0], a.W, a.H, files[1], b.W, b.H)
	}
	s, err := metrics.Compare(a, b)
	if err != nil {
		return err
	}
	if *asJSON {
		js, err := json.Marshal(s)
		if err != nil {
			return err
		}
		fmt.Println(string(js))
		return nil
	}
	fmt.Fprintln(os.Stdout, s)
	return nil
}
