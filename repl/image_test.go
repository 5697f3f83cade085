package repl

import "xprompt/img"

func pattern(w, h int) *img.Image {
	m := img.New(w, h)
	for y := range h {
		for x := range w {
			m.Set(x, y, float32(x)/float32(w), float32(y)/float32(h), 0.25)
		}
	}
	return m
}

func enlarge(m *img.Image, f int) *img.Image { return img.Nearest(m, f) }
