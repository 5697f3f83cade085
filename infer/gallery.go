package infer

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"xprompt/atomicfile"

	"xprompt/img"
)

// Strip lays out one result as input | example in | example out | output |
// ground truth, upscaled by scale (nil cells are left blank).
func (r Result) Strip(scale int) *img.Image {
	cells := []*img.Image{r.Input, r.ExampleIn, r.ExampleOut, r.Output, r.Truth}
	for i, c := range cells {
		if c != nil {
			cells[i] = img.Nearest(c, scale)
		}
	}
	return img.Grid([][]*img.Image{cells}, 2)
}

// WriteGallery writes a PNG per result and an index.html that shows them
// with their metrics, and returns the page's path.
func WriteGallery(dir, title string, rs []Result, summary []Summary) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("gallery: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><meta charset=utf-8><title>%s</title>\n", html.EscapeString(title))
	b.WriteString(`<style>body{font-family:sans-serif;margin:2em;background:#fafafa}table{border-collapse:collapse;margin:1em 0}` +
		`td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}img{image-rendering:pixelated}` +
		`.strip td{vertical-align:middle}</style>` + "\n")
	fmt.Fprintf(&b, "<h1>%s</h1>\n", html.EscapeString(title))
	if len(summary) > 0 {
		b.WriteString("<h2>Summary</h2><table><tr><th>task</th><th>mode</th><th>n</th><th>PSNR</th><th>SSIM</th><th>RMSE</th><th>copy-input PSNR</th><th>tokenizer ceiling PSNR</th><th>prompt KV bytes</th></tr>\n")
		for _, s := range summary {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%.2f</td><td>%.3f</td><td>%.4f</td><td>%.2f</td><td>%.2f</td><td>%d of %d</td></tr>\n",
				html.EscapeString(s.Task), s.Mode, s.N, s.PSNR, s.SSIM, s.RMSE, s.CopyPSNR, s.CeilingPSNR, s.PromptKV, s.FullKV)
		}
		b.WriteString("</table>\n")
	}
	b.WriteString("<h2>Queries</h2><p>Each row: query input | in-context example (input, output) | generated | ground truth.</p><table class=strip>\n")
	for i, r := range rs {
		name := fmt.Sprintf("%s-%s-%02d.png", r.Task, r.Mode, r.Query)
		if err := img.SavePNG(filepath.Join(dir, name), r.Strip(4)); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "<tr><td>%d</td><td>%s<br><small>%s</small></td><td>%s</td><td><img src=\"%s\"></td><td>PSNR %.2f<br>SSIM %.3f</td></tr>\n",
			i, html.EscapeString(r.Task), html.EscapeString(r.Instruction), r.Mode, name, r.PSNR, r.SSIM)
	}
	b.WriteString("</table>\n")
	page := filepath.Join(dir, "index.html")
	if err := atomicfile.WriteFile(page, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("gallery: %w", err)
	}
	return page, nil
}
