package tasks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
)

// Object is one shape in a scene. Positions and sizes are fractions of the
// image side, so a scene renders the same at any size.
type Object struct {
	Shape  Shape
	Colour int     // index into Palette
	X, Y   float64 // centre, as fractions of the image width and height
	Size   float64 // half-extent (radius), as a fraction of the image side
	Depth  float64 // distance from the viewer in [0,1]; nearer objects hide farther ones
}

// Name returns the object's colour and shape: "red circle".
func (o Object) Name() string { return ColourNames[o.Colour] + " " + o.Shape.String() }

// BackgroundKind is the pattern of a scene's background.
type BackgroundKind uint8

// The background patterns.
const (
	Flat BackgroundKind = iota
	Gradient
	Texture
	Stripes
)

// Background is a scene's backdrop: a pattern over two colours of
// BackgroundPalette.
type Background struct {
	Kind   BackgroundKind
	A, B   int     // indices into BackgroundPalette
	Angle  float64 // direction of the gradient or stripes, radians
	Period float64 // stripe period, as a fraction of the image side
	Seed   uint64  // texture seed
}

// Phrase returns the background as text: "a plain grey background",
// "a grey to navy gradient background", "a textured brown background",
// "a grey and olive striped background".
func (b Background) Phrase() string {
	a, c := BackgroundNames[b.A], BackgroundNames[b.B]
	switch b.Kind {
	case Gradient:
		return "a " + a + " to " + c + " gradient background"
	case Texture:
		return "a textured " + a + " background"
	case Stripes:
		return "a " + a + " and " + c + " striped background"
	}
	return "a plain " + a + " background"
}

// Scene is a background and its objects, rendered at Size×Size pixels.
// Objects are listed in no particular order; Depth decides which is in front.
type Scene struct {
	Size       int
	Background Background
	Objects    []Object
}

// Clone returns a deep copy of s.
func (s *Scene) Clone() *Scene {
	c := *s
	c.Objects = append([]Object(nil), s.Objects...)
	return &c
}

// HasColour reports whether some object of s has palette colour c.
func (s *Scene) HasColour(c int) bool {
	for _, o := range s.Objects {
		if o.Colour == c {
			return true
		}
	}
	return false
}

// SceneOptions controls RandomScene.
type SceneOptions struct {
	MinObjects, MaxObjects int  // number of objects, inclusive range within [0,4]
	Separated              bool // bounding boxes kept apart (no occlusion) when true; mild overlap allowed when false
	// Colours, when set, are the objects' palette colours in order (at most
	// four, distinct): the scene holds one object of each that fits, and
	// MinObjects and MaxObjects are ignored.
	Colours []int
}

// DefaultSceneOptions gives 1–4 objects with mild overlap allowed.
var DefaultSceneOptions = SceneOptions{MinObjects: 1, MaxObjects: 4}

// Object sizes (half-extent, fraction of the side) drawn by RandomScene.
const (
	minObjectSize = 0.11
	maxObjectSize = 0.20
)

// RandomScene draws a scene of the given size: a random background and
// objects of distinct colours, fully inside the image, with distinct depths.
// It panics if size < 8 or the object range is outside [0,4].
func RandomScene(rng *rand.Rand, size int, opt SceneOptions) *Scene {
	if size < 8 {
		panic(fmt.Sprintf("tasks.RandomScene: size %d < 8", size))
	}
	if opt.Colours == nil && (opt.MinObjects < 0 || opt.MaxObjects > 4 || opt.MinObjects > opt.MaxObjects) {
		panic(fmt.Sprintf("tasks.RandomScene: bad object range [%d,%d]", opt.MinObjects, opt.MaxObjects))
	}
	if len(opt.Colours) > 4 {
		panic(fmt.Sprintf("tasks.RandomScene: %d colours, at most 4", len(opt.Colours)))
	}
	for i, c := range opt.Colours {
		if c < 0 || c >= len(Palette) || slices.Contains(opt.Colours[:i], c) {
			panic(fmt.Sprintf("tasks.RandomScene: colours %v are not distinct palette indices", opt.Colours))
		}
	}
	s := &Scene{Size: size, Background: RandomBackground(rng)}
	n, colours := len(opt.Colours), opt.Colours
	if colours == nil {
		n = opt.MinObjects + rng.IntN(opt.MaxObjects-opt.MinObjects+1)
		colours = rng.Perm(len(Palette))
	}
	depths := rng.Perm(9)
	for i := 0; i < n; i++ {
		o := Object{
			Shape:  Shapes[rng.IntN(len(Shapes))],
			Colour: colours[i],
			Size:   minObjectSize + rng.Float64()*(maxObjectSize-minObjectSize),
			Depth:  0.1 + 0.1*float64(depths[i]),
		}
		if !placeObject(rng, s, &o, opt.Separated, -1) {
			break // the image is full: keep fewer objects
		}
		s.Objects = append(s.Objects, o)
	}
	return s
}

// RandomBackground draws a background: any pattern, two distinct colours.
func RandomBackground(rng *rand.Rand) Background {
	a := rng.IntN(len(BackgroundPalette))
	b := (a + 1 + rng.IntN(len(BackgroundPalette)-1)) % len(BackgroundPalette)
	return Background{
		Kind:   BackgroundKind(rng.IntN(4)),
		A:      a,
		B:      b,
		Angle:  float64(rng.IntN(4)) * math.Pi / 4,
		Period: []float64{0.125, 0.1875, 0.25}[rng.IntN(3)],
		Seed:   rng.Uint64(),
	}
}

// placeObject picks a position for o inside the image that keeps clear of
// the objects of s (all but Objects[skip]; skip < 0 checks all). It reports
// false when 200 tries found none.
func placeObject(rng *rand.Rand, s *Scene, o *Object, separated bool, skip int) bool {
	margin := 1 / float64(s.Size)
	lo, hi := o.Size+margin, 1-o.Size-margin
	for try := 0; try < 200; try++ {
		o.X = lo + rng.Float64()*(hi-lo)
		o.Y = lo + rng.Float64()*(hi-lo)
		if fits(s, *o, separated, skip) {
			return true
		}
	}
	return false
}

// placeInRegion places o near the centre of Regions[r], jittered, inside the
// image and clear of the other objects; it reports false when none fits.
func placeInRegion(rng *rand.Rand, s *Scene, o *Object, r int, separated bool, skip int) bool {
	cx, cy := regionCentre(r)
	margin := 1 / float64(s.Size)
	lo, hi := o.Size+margin, 1-o.Size-margin
	for try := 0; try < 50; try++ {
		o.X = min(max(cx+(rng.Float64()-0.5)*0.2, lo), hi)
		o.Y = min(max(cy+(rng.Float64()-0.5)*0.2, lo), hi)
		if RegionOf(o.X, o.Y) == r && fits(s, *o, separated, skip) {
			return true
		}
	}
	return false
}

// fits reports whether o keeps clear of every object of s but Objects[skip]:
// bounding boxes at least 1.5 pixels apart when separated, centres at least
// 0.9·(r₁+r₂) apart otherwise (partial overlap only).
func fits(s *Scene, o Object, separated bool, skip int) bool {
	gap := 1.5 / float64(s.Size)
	for i, p := range s.Objects {
		if i == skip {
			continue
		}
		dx, dy := math.Abs(o.X-p.X), math.Abs(o.Y-p.Y)
		if separated {
			if dx < o.Size+p.Size+gap && dy < o.Size+p.Size+gap {
				return false
			}
		} else if math.Hypot(dx, dy) < 0.9*(o.Size+p.Size) {
			return false
		}
	}
	return true
}

// Relation is one edge of the scene graph: Objects[A] is Rel Objects[B].
type Relation struct {
	A, B int
	Rel  string // "left of", "right of", "above", "below"
}

// RelationOf returns where a lies relative to b along the axis on which
// their centres differ most: "left of", "right of", "above" or "below".
func RelationOf(a, b Object) string {
	dx, dy := a.X-b.X, a.Y-b.Y
	if math.Abs(dx) >= math.Abs(dy) {
		if dx < 0 {
			return "left of"
		}
		return "right of"
	}
	if dy < 0 {
		return "above"
	}
	return "below"
}

// Relations returns the scene graph: the spatial relation of every pair of
// objects (A < B).
func (s *Scene) Relations() []Relation {
	var rs []Relation
	for i := range s.Objects {
		for j := i + 1; j < len(s.Objects); j++ {
			rs = append(rs, Relation{A: i, B: j, Rel: RelationOf(s.Objects[i], s.Objects[j])})
		}
	}
	return rs
}

// Caption describes the scene in one line, naming every object's colour and
// shape and the background:
//
//	"a red circle in the top left on a plain grey background"
//	"a red circle left of a blue square on a textured navy background"
//	"a red circle, a blue square and a green triangle from left to right on …"
func (s *Scene) Caption() string {
	var b strings.Builder
	objs := s.Objects
	switch len(objs) {
	case 0:
		b.WriteString("an empty scene")
	case 1:
		o := objs[0]
		b.WriteString(withArticle(o.Name()) + " " + regionPhrase(RegionOf(o.X, o.Y)))
	case 2:
		b.WriteString(withArticle(objs[0].Name()) + " " + RelationOf(objs[0], objs[1]) + " " + withArticle(objs[1].Name()))
	default:
		order := make([]int, len(objs))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(i, j int) bool { return objs[order[i]].X < objs[order[j]].X })
		names := make([]string, len(order))
		for k, i := range order {
			names[k] = withArticle(objs[i].Name())
		}
		b.WriteString(listPhrase(names) + " from left to right")
	}
	b.WriteString(" on " + s.Background.Phrase())
	return b.String()
}

// withArticle prefixes "a " or "an ".
func withArticle(s string) string { return article(s) + " " + s }

// listPhrase joins "a", "b", "c" as "a, b and c".
func listPhrase(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
