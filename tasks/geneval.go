package tasks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"xprompt/img"
)

// The kinds of GenEval prompt, as in GenEval (Ghosh et al. 2023).
const (
	GenSingle    = "single_object" // "a circle"
	GenTwo       = "two_object"    // "a circle and a square"
	GenCounting  = "counting"      // "three circles"
	GenColours   = "colors"        // "a red circle"
	GenPosition  = "position"      // "a circle left of a square"
	GenColorAttr = "color_attr"    // "a red circle and a blue square"
)

// GenEvalKinds lists the prompt kinds in report order.
var GenEvalKinds = []string{GenSingle, GenTwo, GenCounting, GenColours, GenPosition, GenColorAttr}

// PromptObject is one claim of a prompt: Count objects of Shape, of palette
// colour Colour (−1 when the prompt names no colour).
type PromptObject struct {
	Shape  Shape
	Colour int
	Count  int
}

// GenPrompt is a text-to-image prompt with the claims the checker tests.
type GenPrompt struct {
	Kind     string
	Text     string
	Objects  []PromptObject
	Relation string // position prompts: Objects[0] is Relation Objects[1]
}

// GenEvalPrompts returns perKind prompts of every kind, drawn from the
// world's vocabulary with NewRand(seed), kinds in GenEvalKinds order.
func GenEvalPrompts(seed uint64, perKind int) []GenPrompt {
	rng := NewRand(seed)
	var ps []GenPrompt
	for _, kind := range GenEvalKinds {
		for i := 0; i < perKind; i++ {
			ps = append(ps, randomPrompt(rng, kind))
		}
	}
	return ps
}

func randomPrompt(rng *rand.Rand, kind string) GenPrompt {
	sh := rng.Perm(len(Shapes))
	col := rng.Perm(len(Palette))
	a, b := Shapes[sh[0]], Shapes[sh[1]]
	p := GenPrompt{Kind: kind}
	switch kind {
	case GenSingle:
		p.Objects = []PromptObject{{a, -1, 1}}
		p.Text = withArticle(a.String())
	case GenTwo:
		p.Objects = []PromptObject{{a, -1, 1}, {b, -1, 1}}
		p.Text = withArticle(a.String()) + " and " + withArticle(b.String())
	case GenCounting:
		n := 2 + rng.IntN(3)
		p.Objects = []PromptObject{{a, -1, n}}
		p.Text = numberWords[n] + " " + a.Plural()
	case GenColours:
		p.Objects = []PromptObject{{a, col[0], 1}}
		p.Text = withArticle(ColourNames[col[0]] + " " + a.String())
	case GenPosition:
		p.Objects = []PromptObject{{a, -1, 1}, {b, -1, 1}}
		p.Relation = []string{"left of", "right of", "above", "below"}[rng.IntN(4)]
		p.Text = withArticle(a.String()) + " " + p.Relation + " " + withArticle(b.String())
	case GenColorAttr:
		p.Objects = []PromptObject{{a, col[0], 1}, {b, col[1], 1}}
		p.Text = withArticle(ColourNames[col[0]]+" "+a.String()) + " and " + withArticle(ColourNames[col[1]]+" "+b.String())
	default:
		panic("tasks: unknown GenEval kind " + kind)
	}
	return p
}

// Scene returns a scene that satisfies p: exactly the prompt's objects
// (unnamed colours drawn at random, all distinct), bounding boxes apart, on
// a random background; for position prompts the relation holds along its
// axis by at least a quarter of the side. It panics if 1000 tries found no
// layout (a prompt this package cannot make).
func (p GenPrompt) Scene(rng *rand.Rand, size int) *Scene {
	for try := 0; try < 1000; try++ {
		s := &Scene{Size: size, Background: RandomBackground(rng)}
		used := map[int]bool{}
		for _, po := range p.Objects {
			if po.Colour >= 0 {
				used[po.Colour] = true
			}
		}
		ok := true
		for _, po := range p.Objects {
			for k := 0; k < po.Count && ok; k++ {
				c := po.Colour
				if c < 0 {
					c = pickColour(rng, used)
				}
				o := Object{Shape: po.Shape, Colour: c, Size: 0.12 + 0.06*rng.Float64(), Depth: 0.1 + 0.1*float64(len(s.Objects))}
				ok = placeObject(rng, s, &o, true, -1)
				s.Objects = append(s.Objects, o)
			}
		}
		if ok && (p.Relation == "" || relationHolds(p.Relation, s.Objects[0].X, s.Objects[0].Y, s.Objects[1].X, s.Objects[1].Y, 0.25)) {
			return s
		}
	}
	panic(fmt.Sprintf("tasks.GenPrompt.Scene: no layout for %q at size %d", p.Text, size))
}

// pickColour returns a random palette colour not in used and marks it used.
func pickColour(rng *rand.Rand, used map[int]bool) int {
	for _, c := range rng.Perm(len(Palette)) {
		if !used[c] {
			used[c] = true
			return c
		}
	}
	panic("tasks: every palette colour is in use")
}

// relationHolds reports whether point a is rel of point b along rel's axis
// by more than margin (fractions of the side), with that axis the dominant
// one.
func relationHolds(rel string, ax, ay, bx, by, margin float64) bool {
	dx, dy := bx-ax, by-ay // b relative to a
	switch rel {
	case "left of":
		return dx > margin && dx >= math.Abs(dy)
	case "right of":
		return -dx > margin && -dx >= math.Abs(dy)
	case "above":
		return dy > margin && dy >= math.Abs(dx)
	case "below":
		return -dy > margin && -dy >= math.Abs(dx)
	}
	panic("tasks: unknown relation " + rel)
}

// Detection is one object found in an image by DetectObjects.
type Detection struct {
	Shape                  Shape
	Colour                 int     // palette index
	X, Y                   float64 // centroid, as fractions of the width and height
	Area                   int     // pixels
	MinX, MinY, MaxX, MaxY int     // bounding box, inclusive, in pixels
	Fill                   float64 // Area / bounding-box area
	// Drop is how far the centroid sits below the box centre, as a
	// fraction of the box height: 1/6 for a triangle, 0 for a circle or a
	// square.
	Drop float64
}

// detectDistance is the largest Euclidean RGB distance at which a pixel
// counts as a palette colour; background colours lie farther than 0.45 from
// every palette colour.
const detectDistance = 0.3

// DetectObjects finds the objects in m: pixels within detectDistance of a
// palette colour are labelled with the nearest one, 4-connected pixels of
// one label form a component, and components of at least
// max(4, W·H/256) pixels are kept. The shape comes from the fill ratio f of
// the bounding box (square 1, circle π/4, triangle ½) and the Drop d of the
// centroid (triangle 1/6, others 0): a triangle when d ≥ 0.09 or f < 0.65,
// else a square when f ≥ 0.95, else a circle. Rendered shapes of radius ≥ 3
// pixels are told apart without error (at radius 3.5, pixel rounding moves f
// to 0.72–0.91 for circles and 0.51–0.67 for triangles, while d stays
// ≤ 0.06 for circles and ≥ 0.11 for triangles). Detections are in raster
// order of their first pixel.
func DetectObjects(m *img.Image) []Detection {
	n := m.W * m.H
	label := make([]int8, n)
	for p := 0; p < n; p++ {
		label[p] = int8(nearestPalette(m.Pix[3*p], m.Pix[3*p+1], m.Pix[3*p+2]))
	}
	minArea := max(4, n/256)
	seen := make([]bool, n)
	var out []Detection
	stack := []int{}
	for start := 0; start < n; start++ {
		if seen[start] || label[start] < 0 {
			continue
		}
		c := label[start]
		d := Detection{Colour: int(c), MinX: m.W, MinY: m.H, MaxX: -1, MaxY: -1}
		var sx, sy float64
		seen[start] = true
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := p%m.W, p/m.W
			d.Area++
			sx, sy = sx+float64(x)+0.5, sy+float64(y)+0.5
			d.MinX, d.MaxX = min(d.MinX, x), max(d.MaxX, x)
			d.MinY, d.MaxY = min(d.MinY, y), max(d.MaxY, y)
			for _, q := range [4]int{p - 1, p + 1, p - m.W, p + m.W} {
				if q < 0 || q >= n || seen[q] || label[q] != c || (q == p-1 && x == 0) || (q == p+1 && x == m.W-1) {
					continue
				}
				seen[q] = true
				stack = append(stack, q)
			}
		}
		if d.Area < minArea {
			continue
		}
		d.X, d.Y = sx/float64(d.Area)/float64(m.W), sy/float64(d.Area)/float64(m.H)
		d.Fill = float64(d.Area) / float64((d.MaxX-d.MinX+1)*(d.MaxY-d.MinY+1))
		d.Drop = (sy/float64(d.Area) - float64(d.MinY+d.MaxY+1)/2) / float64(d.MaxY-d.MinY+1)
		switch {
		case d.Drop >= 0.09 || d.Fill < 0.65:
			d.Shape = Triangle
		case d.Fill >= 0.95:
			d.Shape = Square
		default:
			d.Shape = Circle
		}
		out = append(out, d)
	}
	return out
}

// nearestPalette returns the index of the palette colour nearest to
// (r, g, b), or −1 when none is within detectDistance.
func nearestPalette(r, g, b float32) int {
	best, bestD := -1, float32(detectDistance*detectDistance)
	for i, c := range Palette {
		dr, dg, db := r-c.R, g-c.G, b-c.B
		if d := dr*dr + dg*dg + db*db; d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// CheckPrompt reports whether image m satisfies p, with a reason when not.
// single_object / two_object: at least one object of each named shape;
// counting: exactly Count objects of the shape; colors / color_attr: an
// object of each named shape in its named colour; position: some pair
// (a, b) of the two shapes with a Relation b, the centroids at least a
// tenth of the side apart along the relation's axis (the dominant one).
func CheckPrompt(p GenPrompt, m *img.Image) (bool, string) {
	dets := DetectObjects(m)
	count := func(po PromptObject) int {
		k := 0
		for _, d := range dets {
			if d.Shape == po.Shape && (po.Colour < 0 || d.Colour == po.Colour) {
				k++
			}
		}
		return k
	}
	name := func(po PromptObject) string {
		if po.Colour < 0 {
			return po.Shape.String()
		}
		return ColourNames[po.Colour] + " " + po.Shape.String()
	}
	switch p.Kind {
	case GenCounting:
		if k := count(p.Objects[0]); k != p.Objects[0].Count {
			return false, fmt.Sprintf("found %d %s, want %d", k, p.Objects[0].Shape.Plural(), p.Objects[0].Count)
		}
		return true, ""
	case GenPosition:
		a, b := p.Objects[0], p.Objects[1]
		for _, da := range dets {
			for _, db := range dets {
				if da.Shape == a.Shape && db.Shape == b.Shape && relationHolds(p.Relation, da.X, da.Y, db.X, db.Y, 0.1) {
					return true, ""
				}
			}
		}
		return false, fmt.Sprintf("no %s %s a %s", name(a), p.Relation, name(b))
	}
	for _, po := range p.Objects {
		if count(po) == 0 {
			return false, "no " + name(po)
		}
	}
	return true, ""
}

// GenEvalScore is the result of ScoreGenEval: accuracy and prompt count per
// kind, and Overall, the mean of the per-kind accuracies (as GenEval reports).
type GenEvalScore struct {
	Accuracy map[string]float64
	N        map[string]int
	Overall  float64
}

// ScoreGenEval checks images[i] against prompts[i]. It panics if the slices
// differ in length or an image is nil.
func ScoreGenEval(prompts []GenPrompt, images []*img.Image) GenEvalScore {
	if len(prompts) != len(images) {
		panic(fmt.Sprintf("tasks.ScoreGenEval: %d prompts, %d images", len(prompts), len(images)))
	}
	sc := GenEvalScore{Accuracy: map[string]float64{}, N: map[string]int{}}
	for i, p := range prompts {
		if images[i] == nil {
			panic(fmt.Sprintf("tasks.ScoreGenEval: image %d is nil", i))
		}
		sc.N[p.Kind]++
		if ok, _ := CheckPrompt(p, images[i]); ok {
			sc.Accuracy[p.Kind]++
		}
	}
	kinds := make([]string, 0, len(sc.N))
	for k := range sc.N {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds) // a fixed summation order
	for _, k := range kinds {
		sc.Accuracy[k] /= float64(sc.N[k])
		sc.Overall += sc.Accuracy[k]
	}
	if len(kinds) > 0 {
		sc.Overall /= float64(len(kinds))
	}
	return sc
}
