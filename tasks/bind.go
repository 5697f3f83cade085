package tasks

import "math/rand/v2"

// Bound families. An example of a parameterised family draws what its
// instruction names — the object, the colour, the place, the amount — anew
// each time, so another example of the family shows another edit: "add a
// red circle at the top left" beside an example that added a blue square at
// the bottom. Bind fixes those parameters by a seed: every example of the
// bound family makes the same edit (the same object, colour, place or
// amount) to its own scene, so an in-context example shows exactly what the
// query asks. Only the families listed in bindable draw their parameters
// this way; Bind leaves the others' examples independent.

// bindable names the families whose parameters Bind fixes, and what it
// fixes.
var bindable = map[string]string{
	"add_object":    "the object (shape, colour, size) and its region",
	"remove_object": "the object (shape, colour, size) and its region",
	"recolour":      "the object (shape and colour) and its new colour",
	"move":          "the object (shape and colour) and the region it moves to",
	"resize":        "the object (shape and colour), bigger or smaller, and the factor",
	"lowlight":      "the darkening curve",
	"make_lowlight": "the darkening curve",
	"derain":        "the rain's density, streak length and slant",
	"add_rain":      "the rain's density, streak length and slant",
}

// Bindable reports whether Bind fixes the parameters of f's examples, and
// says which.
func (f *Family) Bindable() (what string, ok bool) {
	if f.bindsColours {
		return "the objects' colours (each example shows where every colour of the others goes)", true
	}
	if f.bindsPlace {
		return "the stamp's region (each example adds it where the query's goes)", true
	}
	what, ok = bindable[f.Name]
	return what, ok
}

// Bind returns a copy of f whose examples share the parameters drawn from
// seed (see Bindable): each example differs from the others only in its
// scene. For a family that is not bindable the copy draws as f does.
func (f *Family) Bind(seed uint64) *Family {
	c := *f
	c.bound, c.paramSeed = true, seed
	return &c
}

// BindsPlace reports whether f is a stamp family, whose Bind fixes the
// region each example adds (or removes) its stamp in.
func (f *Family) BindsPlace() bool { return f.bindsPlace }

// Bound reports whether f was made by Bind.
func (f *Family) Bound() bool { return f.bound }

// params returns the source of one example's parameters: for a bound family
// a fresh source from its seed, so that every example draws the same values
// (draw them before anything that depends on the scene); otherwise rng
// itself, so an unbound family draws exactly as it always has.
func (f *Family) params(rng *rand.Rand) *rand.Rand {
	if f.bound {
		return NewRand(f.paramSeed ^ 0x70617261) // "para"
	}
	return rng
}

// namedObject draws the shape and colour of the object a bound edit names.
func namedObject(p *rand.Rand) (Shape, int) {
	return Shapes[p.IntN(len(Shapes))], p.IntN(len(Palette))
}

// nameObject gives Objects[i] of s the named shape and colour, and reports
// false when another object already has that colour or one of avoid (so the
// name would not single it out, or a new colour would not be new).
func nameObject(s *Scene, i int, shape Shape, colour int, avoid ...int) bool {
	for j, o := range s.Objects {
		if j == i {
			continue
		}
		if o.Colour == colour {
			return false
		}
		for _, a := range avoid {
			if o.Colour == a {
				return false
			}
		}
	}
	s.Objects[i].Shape, s.Objects[i].Colour = shape, colour
	return true
}
