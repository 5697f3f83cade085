package tasks

import (
	"math"
	"math/rand/v2"
	"strconv"

	"xprompt/img"
)

// Example-only families of the kinds of the held-out tasks. Like palette
// permutations and tone curves, each seed is a new task whose instruction
// names only its number, so the model can learn it only from the in-context
// example. One family per held-out kind:
//
//   - overlay_SEED (low-level, reverse overlay_SEED_inv removes it): a
//     pattern of dots, lines, a grid or a checker in a colour and strength
//     fixed by the seed, laid over the scene at a random phase. Derain
//     removes an overlay too; these patterns are axis-aligned and regular,
//     never slanted streaks.
//   - stamp_SEED (object edit, reverse stamp_SEED_inv removes it): an object
//     whose shape, colour and size the seed fixes, added at a free place.
//     This is add_object (and its reverse remove_object) with the object
//     named by the example instead of the instruction: a model trained with
//     stamps has learnt the edit, though never that family or its words.
//     Bound (Family.Bind), every example adds the stamp in the same region,
//     so the example shows where the query's goes as well as what it is.
//   - dense_SEED (dense map, no reverse): each shape drawn flat in a colour
//     the seed gives its class, the background a two-colour ramp in a
//     direction the seed fixes. Segmentation (seen) colours by class too, and
//     depth (held out) is a per-object value over a vertical ramp: a dense
//     map of this kind with other values.

// seededParams returns the random source of the parameters of seeded task
// kind (a constant tag) and seed.
func seededParams(seed, tag uint64) *rand.Rand { return NewRand(seed ^ tag) }

// Overlay patterns.
const (
	overlayDots = iota
	overlayRows
	overlayColumns
	overlayGrid
	overlayChecker
	overlayPatterns
)

// OverlayParams are the pattern, colour, opacity (in [0.35, 0.8]) and period
// (3–7 pixels at 32 pixels) of overlay task seed.
type OverlayParams struct {
	Pattern int
	Colour  RGB
	Opacity float32
	Period  int
}

// OverlayParamsOf returns the parameters of overlay task seed.
func OverlayParamsOf(seed uint64, size int) OverlayParams {
	rng := seededParams(seed, 0x6f766572) // "over"
	p := OverlayParams{
		Pattern: rng.IntN(overlayPatterns),
		Colour:  RGB{rng.Float32(), rng.Float32(), rng.Float32()},
		Opacity: 0.35 + 0.45*rng.Float32(),
		Period:  3 + rng.IntN(5),
	}
	p.Period = max(2, p.Period*size/32)
	return p
}

// covers reports whether the pattern covers pixel (x, y) at phase (px, py).
func (p OverlayParams) covers(x, y, px, py int) bool {
	u, v := (x+px)%p.Period, (y+py)%p.Period
	switch p.Pattern {
	case overlayDots:
		return u == 0 && v == 0
	case overlayRows:
		return v == 0
	case overlayColumns:
		return u == 0
	case overlayGrid:
		return u == 0 || v == 0
	default: // checker of squares of half a period
		h := max(1, p.Period/2)
		return ((x+px)/h+(y+py)/h)%2 == 0
	}
}

// Overlay lays pattern p over m at phase (px, py).
func Overlay(m *img.Image, p OverlayParams, px, py int) *img.Image {
	out := m.Clone()
	a := p.Opacity
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			if p.covers(x, y, px, py) {
				r, g, b := m.At(x, y)
				out.Set(x, y, r+(p.Colour.R-r)*a, g+(p.Colour.G-g)*a, b+(p.Colour.B-b)*a)
			}
		}
	}
	return out
}

// OverlayFamily returns the family "overlay_SEED" (see the comment above).
func OverlayFamily(seed uint64) *Family { return overlayFamily(seed, false) }

func overlayFamily(seed uint64, inverse bool) *Family {
	id := strconv.FormatUint(seed, 10)
	f := seededFamily("overlay_", id, KindLowLevel, inverse,
		[]string{"add overlay " + id, "lay pattern " + id + " over the image", "apply screen " + id},
		[]string{"remove overlay " + id, "clean pattern " + id + " off the image", "take off screen " + id})
	f.sample = func(f *Family, rng *rand.Rand, size int) Example {
		s, clean := sceneAndImage(rng, size)
		p := OverlayParamsOf(seed, size)
		covered := Overlay(clean, p, rng.IntN(p.Period), rng.IntN(p.Period))
		return seededPair(f, rng, s, nil, clean, covered, inverse, "pattern "+id+" was laid over the image", "pattern "+id+" was removed")
	}
	return f
}

// StampObject returns the object of stamp task seed, unplaced: its shape,
// palette colour and size.
func StampObject(seed uint64) Object {
	rng := seededParams(seed, 0x7374616d) // "stam"
	return Object{
		Shape:  Shapes[rng.IntN(len(Shapes))],
		Colour: rng.IntN(len(Palette)),
		Size:   minObjectSize + rng.Float64()*(maxObjectSize-minObjectSize),
		Depth:  0.05,
	}
}

// StampFamily returns the family "stamp_SEED" (see the comment above).
func StampFamily(seed uint64) *Family { return stampFamily(seed, false) }

func stampFamily(seed uint64, inverse bool) *Family {
	id := strconv.FormatUint(seed, 10)
	f := seededFamily("stamp_", id, KindEdit, inverse,
		[]string{"add stamp " + id, "put sticker " + id + " in the picture", "place mark " + id},
		[]string{"remove stamp " + id, "peel sticker " + id + " off the picture", "erase mark " + id})
	f.bindsPlace = true
	f.sample = func(f *Family, rng *rand.Rand, size int) Example {
		if e, ok := retryAdd(f, func(clear bool) (Example, bool) { return tryStamp(f, rng, size, seed, clear, inverse) }); ok {
			return e
		}
		panic("tasks: stamp found no room in " + strconv.Itoa(editTries) + " scenes")
	}
	return f
}

// tryStamp draws one scene and places stamp seed in it, and reports false
// when it does not fit. Unbound, the stamp goes to any free place; bound
// (Bind), to the region drawn from the bound seed, so every example adds it
// where the query's goes (clear: drop the objects in its way instead, as
// add_object does).
func tryStamp(f *Family, rng *rand.Rand, size int, seed uint64, clear, inverse bool) (Example, bool) {
	s := RandomScene(rng, size, SceneOptions{MinObjects: 1, MaxObjects: 3})
	o := StampObject(seed)
	if s.HasColour(o.Colour) {
		return Example{}, false
	}
	region := -1 // any free place
	if f.bound {
		region = f.params(rng).IntN(len(Regions))
	}
	if !placeAdded(rng, s, &o, region, clear) {
		return Example{}, false
	}
	out := s.Clone()
	out.Objects = append(out.Objects, o)
	id := strconv.FormatUint(seed, 10)
	return seededPair(f, rng, s, out, Render(s), Render(out), inverse, "stamp "+id+" was added", "stamp "+id+" was removed"), true
}

// DenseParams are the class colours (index: the shape's class) and the
// background ramp of dense-map task seed: from colour From to To along
// direction Angle (radians).
type DenseParams struct {
	Class    [4]RGB
	From, To RGB
	Angle    float64
}

// DenseParamsOf returns the parameters of dense-map task seed.
func DenseParamsOf(seed uint64) DenseParams {
	rng := seededParams(seed, 0x64656e73) // "dens"
	c := func() RGB { return RGB{rng.Float32(), rng.Float32(), rng.Float32()} }
	var p DenseParams
	for i := range p.Class {
		p.Class[i] = c()
	}
	p.From, p.To, p.Angle = c(), c(), rng.Float64()*2*math.Pi
	return p
}

// DenseImage renders scene s as dense map p: every object flat in its
// class's colour, the background the ramp.
func DenseImage(s *Scene, p DenseParams) *img.Image {
	n := s.Size
	om := ObjectMap(s)
	m := img.New(n, n)
	cx, cy := math.Cos(p.Angle), math.Sin(p.Angle)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			var c RGB
			if k := om[y*n+x]; k > 0 {
				c = p.Class[int(s.Objects[k-1].Shape)%len(p.Class)]
			} else {
				u := ((float64(x)+0.5)/float64(n)-0.5)*cx + ((float64(y)+0.5)/float64(n)-0.5)*cy // in [-0.71, 0.71]
				c = mix(p.From, p.To, min(max(u/math.Sqrt2+0.5, 0), 1))
			}
			m.Set(x, y, c.R, c.G, c.B)
		}
	}
	return m
}

// DenseFamily returns the family "dense_SEED" (see the comment above).
func DenseFamily(seed uint64) *Family {
	id := strconv.FormatUint(seed, 10)
	f := &Family{Name: "dense_" + id, Kind: KindDense, Weight: 0.5,
		Templates: []string{"draw map " + id, "render the scene as map " + id, "compute map " + id}}
	p := DenseParamsOf(seed)
	f.sample = func(f *Family, rng *rand.Rand, size int) Example {
		s, m := sceneAndImage(rng, size)
		return f.pair(rng, pairSpec{in: m, out: DenseImage(s, p), scene: s, desc: "the image became map " + id})
	}
	return f
}

// seededFamily returns the bare family PREFIXID (or PREFIXID_inv when
// inverse) of kind k, with its reverse and templates.
func seededFamily(prefix, id, k string, inverse bool, forward, backward []string) *Family {
	f := &Family{Name: prefix + id, Kind: k, Reverse: prefix + id + "_inv", Weight: 0.5, Templates: forward}
	if inverse {
		f.Name, f.Reverse, f.Templates = f.Reverse, f.Name, backward
	}
	return f
}

// seededPair is the example of f that maps before to after (after to
// before when inverse), with descriptions of both directions.
func seededPair(f *Family, rng *rand.Rand, s, outScene *Scene, before, after *img.Image, inverse bool, desc, revDesc string) Example {
	p := pairSpec{in: before, out: after, scene: s, outScene: outScene, desc: desc, revDesc: revDesc}
	if inverse {
		p.in, p.out, p.desc, p.revDesc = after, before, revDesc, desc
		if outScene != nil {
			p.scene, p.outScene = outScene, s
		}
	}
	return f.pair(rng, p)
}

// parseSeededFamily recognises "overlay_SEED[_inv]", "stamp_SEED[_inv]"
// and "dense_SEED".
func parseSeededFamily(name string) (*Family, bool) {
	if seed, inverse, ok := parseSeeded(name, "overlay_"); ok {
		return overlayFamily(seed, inverse), true
	}
	if seed, inverse, ok := parseSeeded(name, "stamp_"); ok {
		return stampFamily(seed, inverse), true
	}
	if seed, inverse, ok := parseSeeded(name, "dense_"); ok && !inverse {
		return DenseFamily(seed), true
	}
	return nil, false
}
