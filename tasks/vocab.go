package tasks

import (
	"fmt"
	"math/rand/v2"
)

// NewRand returns a generator with a PCG source seeded by seed. Every random
// choice in this package goes through such a generator.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// RGB is a colour with channels in [0,1].
type RGB struct{ R, G, B float32 }

// Shape is an object's shape; its value is its class in ClassMap.
type Shape uint8

// The shapes, numbered as their classes (0 is the background).
const (
	Circle Shape = iota + 1
	Square
	Triangle
)

// NumClasses is the number of ClassMap classes: the background and one per shape.
const NumClasses = 4

// Shapes lists every shape in class order.
var Shapes = []Shape{Circle, Square, Triangle}

var shapeNames = [...]string{"", "circle", "square", "triangle"}
var shapePlurals = [...]string{"", "circles", "squares", "triangles"}

// String returns the shape's name ("circle").
func (s Shape) String() string {
	if s < Circle || s > Triangle {
		return fmt.Sprintf("Shape(%d)", uint8(s))
	}
	return shapeNames[s]
}

// Plural returns the shape's plural name ("circles").
func (s Shape) Plural() string {
	if s < Circle || s > Triangle {
		return s.String()
	}
	return shapePlurals[s]
}

// Palette is the fixed set of object colours; ColourNames holds their names.
// The colours are saturated or bright and far from every background colour,
// so an object pixel can be told from the background by colour alone.
var Palette = []RGB{
	{0.90, 0.10, 0.10}, // red
	{0.10, 0.80, 0.20}, // green
	{0.15, 0.25, 0.95}, // blue
	{0.95, 0.90, 0.10}, // yellow
	{0.10, 0.85, 0.90}, // cyan
	{0.90, 0.15, 0.85}, // magenta
	{1.00, 0.55, 0.05}, // orange
	{0.97, 0.97, 0.97}, // white
}

// ColourNames names the Palette colours, index for index.
var ColourNames = []string{"red", "green", "blue", "yellow", "cyan", "magenta", "orange", "white"}

// BackgroundPalette holds the muted background colours; BackgroundNames names them.
var BackgroundPalette = []RGB{
	{0.35, 0.35, 0.35}, // grey
	{0.40, 0.27, 0.15}, // brown
	{0.12, 0.14, 0.35}, // navy
	{0.30, 0.33, 0.12}, // olive
	{0.35, 0.10, 0.14}, // maroon
	{0.20, 0.27, 0.32}, // slate
	{0.07, 0.07, 0.07}, // black
	{0.30, 0.16, 0.30}, // plum
}

// BackgroundNames names the BackgroundPalette colours, index for index.
var BackgroundNames = []string{"grey", "brown", "navy", "olive", "maroon", "slate", "black", "plum"}

// ClassColours are the colours of the segmentation map, by class:
// background black, circle red, square green, triangle blue.
var ClassColours = [NumClasses]RGB{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}

// Regions names the cells of a 3×3 grid over the image, row by row:
// Regions[row*3+col].
var Regions = []string{
	"top left", "top", "top right",
	"left", "centre", "right",
	"bottom left", "bottom", "bottom right",
}

// RegionOf returns the index in Regions of the cell holding the point
// (x, y), given as fractions of the width and height.
func RegionOf(x, y float64) int {
	col := min(max(int(x*3), 0), 2)
	row := min(max(int(y*3), 0), 2)
	return row*3 + col
}

// regionCentre returns the centre of region r as fractions of the image.
func regionCentre(r int) (x, y float64) {
	return (float64(r%3) + 0.5) / 3, (float64(r/3) + 0.5) / 3
}

// regionPhrase returns where region r is, with its preposition: "in the top
// left", "at the top", "on the left", "in the centre", …
func regionPhrase(r int) string {
	switch Regions[r] {
	case "top", "bottom":
		return "at the " + Regions[r]
	case "left", "right":
		return "on the " + Regions[r]
	}
	return "in the " + Regions[r]
}

var numberWords = []string{"zero", "one", "two", "three", "four", "five", "six"}

// colourIndex returns the index of a colour name in ColourNames, or -1.
func colourIndex(name string) int {
	for i, n := range ColourNames {
		if n == name {
			return i
		}
	}
	return -1
}

// article returns "an" before a vowel sound and "a" otherwise.
func article(word string) string {
	if word != "" && (word[0] == 'a' || word[0] == 'e' || word[0] == 'i' || word[0] == 'o' || word[0] == 'u') {
		return "an"
	}
	return "a"
}
