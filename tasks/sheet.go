package tasks

import (
	"fmt"

	"xprompt/img"
)

// Sheet lays examples out for viewing, one example per row: Input,
// SecondInput (pair → text tasks) and Output, each enlarged scale times by
// pixel repetition; a missing image (no input for text-to-image, a text
// target) is a blank cell. It panics if exs is empty or scale < 1.
func Sheet(exs []Example, scale int) *img.Image {
	if len(exs) == 0 || scale < 1 {
		panic(fmt.Sprintf("tasks.Sheet: %d examples, scale %d", len(exs), scale))
	}
	up := func(m *img.Image) *img.Image {
		if m == nil {
			return nil
		}
		return img.Nearest(m, scale)
	}
	pair := false
	for _, e := range exs {
		pair = pair || e.SecondInput != nil
	}
	rows := make([][]*img.Image, len(exs))
	for i, e := range exs {
		if pair {
			rows[i] = []*img.Image{up(e.Input), up(e.SecondInput), up(e.Output)}
		} else {
			rows[i] = []*img.Image{up(e.Input), up(e.Output)}
		}
	}
	return img.Grid(rows, 2*scale)
}
