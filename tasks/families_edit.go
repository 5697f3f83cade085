package tasks

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// editFamilies returns the object edits. Recolour, move and resize are
// seen; adding and removing an object are held out.
func editFamilies() []*Family {
	return []*Family{
		{
			Name: "add_object", Kind: KindEdit, HeldOut: true, Reverse: "remove_object",
			Templates: []string{"add {a_obj} {where}", "put {a_obj} {where}", "draw {a_obj} {where}", "place {a_obj} {where} of the image"},
			sample:    sampleAdd,
		},
		{
			Name: "remove_object", Kind: KindEdit, HeldOut: true, Reverse: "add_object",
			Templates: []string{"remove the {obj}", "delete the {obj}", "take out the {obj}", "erase the {obj} from the {region}"},
			sample:    reverseOf("add_object"),
		},
		{
			Name: "recolour", Kind: KindEdit, Reverse: "recolour",
			Templates: []string{"make the {obj} {to}", "change the {obj} to {to}", "recolour the {obj} {to}", "paint the {obj} {to}"},
			sample:    sampleRecolour,
		},
		{
			Name: "move", Kind: KindEdit, Reverse: "move",
			Templates: []string{"move the {obj} to the {region}", "put the {obj} in the {region}", "shift the {obj} to the {region}"},
			sample:    sampleMove,
		},
		{
			Name: "resize", Kind: KindEdit, Reverse: "resize",
			Templates: []string{"make the {obj} {dir}", "resize the {obj} to be {dir}", "{verb} the {obj}"},
			sample:    sampleResize,
		},
	}
}

// editTries bounds the redraws of an edit whose new object does not fit.
const editTries = 100

// sampleAdd draws a scene of 1–3 objects and adds an object of a new colour,
// in front of the others and clear of them (bounding boxes apart). Bound, the
// object and its region are the bound ones, in a scene without its colour;
// where no scene leaves room in that region (a large object in the middle at
// 16 pixels), a second round clears the way (makeRoom).
func sampleAdd(f *Family, rng *rand.Rand, size int) Example {
	if e, ok := retryAdd(f, func(clear bool) (Example, bool) { return tryAdd(f, rng, size, clear) }); ok {
		return e
	}
	panic(fmt.Sprintf("tasks: add_object found no room in %d scenes of size %d", editTries, size))
}

// retryAdd calls try, which draws one example of an edit that adds an object
// to a scene, up to editTries times until the object fits; for a bound f a
// second round asks try to clear the way (clear true). It reports false when
// every try failed.
func retryAdd(f *Family, try func(clear bool) (Example, bool)) (Example, bool) {
	for _, clear := range []bool{false, true} {
		if clear && !f.bound {
			break
		}
		for range editTries {
			if e, ok := try(clear); ok {
				return e, true
			}
		}
	}
	return Example{}, false
}

// tryAdd draws one scene and the object to add, and reports false when the
// object does not fit (clear: drop the objects in its way instead).
func tryAdd(f *Family, rng *rand.Rand, size int, clear bool) (Example, bool) {
	s := RandomScene(rng, size, SceneOptions{MinObjects: 1, MaxObjects: 3})
	p := f.params(rng)
	o := Object{Shape: Shapes[p.IntN(len(Shapes))], Depth: 0.05}
	if f.bound {
		if o.Colour = p.IntN(len(Palette)); s.HasColour(o.Colour) {
			return Example{}, false
		}
	} else {
		o.Colour = unusedColour(rng, s)
	}
	o.Size = minObjectSize + p.Float64()*(maxObjectSize-minObjectSize)
	region := -1 // any free place
	if f.bound {
		region = p.IntN(len(Regions))
	}
	if !placeAdded(rng, s, &o, region, clear) {
		return Example{}, false
	}
	out := s.Clone()
	out.Objects = append(out.Objects, o)
	r := RegionOf(o.X, o.Y)
	kv := []string{"a_obj", withArticle(o.Name()), "obj", o.Name(), "region", Regions[r], "where", regionPhrase(r)}
	return f.pair(rng, pairSpec{
		in: Render(s), out: Render(out), scene: s, outScene: out, kv: kv, revKV: kv,
		desc:    withArticle(o.Name()) + " was added " + regionPhrase(r),
		revDesc: "the " + o.Name() + " was removed",
	}), true
}

// placeAdded places o, an object an edit adds to s, clear of the others: in
// Regions[region] (clear: there in an empty scene, then dropping the objects
// of s in its way), or at any free place when region is negative. It reports
// false when o does not fit.
func placeAdded(rng *rand.Rand, s *Scene, o *Object, region int, clear bool) bool {
	switch {
	case region >= 0 && clear:
		if !placeInRegion(rng, &Scene{Size: s.Size}, o, region, true, -1) {
			return false
		}
		makeRoom(s, *o)
		return true
	case region >= 0:
		return placeInRegion(rng, s, o, region, true, -1)
	default:
		return placeObject(rng, s, o, true, -1)
	}
}

// makeRoom drops the objects of s that do not keep clear of o (bounding
// boxes apart); the scene may then hold none.
func makeRoom(s *Scene, o Object) {
	alone := &Scene{Size: s.Size, Objects: []Object{o}}
	kept := s.Objects[:0]
	for _, q := range s.Objects {
		if fits(alone, q, true, -1) {
			kept = append(kept, q)
		}
	}
	s.Objects = kept
}

// unusedColour returns a random palette colour that no object of s has.
func unusedColour(rng *rand.Rand, s *Scene) int {
	for _, c := range rng.Perm(len(Palette)) {
		if !s.HasColour(c) {
			return c
		}
	}
	panic("tasks: every palette colour is in use")
}

// sampleRecolour gives one object a colour not in the scene. Bound, the
// object has the bound shape and colour and takes the bound new colour.
func sampleRecolour(f *Family, rng *rand.Rand, size int) Example {
	for try := 0; try < editTries; try++ {
		s := RandomScene(rng, size, DefaultSceneOptions)
		i := rng.IntN(len(s.Objects))
		p := f.params(rng)
		var to int
		if f.bound {
			shape, colour := namedObject(p)
			to = (colour + 1 + p.IntN(len(Palette)-1)) % len(Palette)
			if !nameObject(s, i, shape, colour, to) {
				continue
			}
		} else {
			to = unusedColour(rng, s)
		}
		out := s.Clone()
		out.Objects[i].Colour = to
		a, b := s.Objects[i], out.Objects[i]
		from, toName := ColourNames[a.Colour], ColourNames[b.Colour]
		return f.pair(rng, pairSpec{
			in: Render(s), out: Render(out), scene: s, outScene: out,
			kv:    []string{"obj", a.Name(), "to", toName},
			revKV: []string{"obj", b.Name(), "to", from},
			desc:  "the " + a.Name() + " became " + toName, revDesc: "the " + b.Name() + " became " + from,
		})
	}
	panic(fmt.Sprintf("tasks: recolour found no scene for its object in %d tries", editTries))
}

// minMove is the least distance, as a fraction of the side, that a moved
// object travels.
const minMove = 0.2

// sampleMove moves one object into another region of the 3×3 grid, at least
// minMove away. Bound, the object has the bound shape and colour and moves
// to the bound region.
func sampleMove(f *Family, rng *rand.Rand, size int) Example {
	for try := 0; try < editTries; try++ {
		s := RandomScene(rng, size, DefaultSceneOptions)
		i := rng.IntN(len(s.Objects))
		var targets []int
		if f.bound {
			p := f.params(rng)
			shape, colour := namedObject(p)
			targets = []int{p.IntN(len(Regions))}
			if !nameObject(s, i, shape, colour) {
				continue
			}
		}
		o := s.Objects[i]
		from := RegionOf(o.X, o.Y)
		if targets == nil {
			targets = rng.Perm(len(Regions))
		}
		for _, r := range targets {
			if r == from || !placeInRegion(rng, s, &o, r, false, i) || math.Hypot(o.X-s.Objects[i].X, o.Y-s.Objects[i].Y) < minMove {
				continue
			}
			out := s.Clone()
			out.Objects[i] = o
			return f.pair(rng, pairSpec{
				in: Render(s), out: Render(out), scene: s, outScene: out,
				kv:      []string{"obj", o.Name(), "region", Regions[r]},
				revKV:   []string{"obj", o.Name(), "region", Regions[from]},
				desc:    "the " + o.Name() + " moved from the " + Regions[from] + " to the " + Regions[r],
				revDesc: "the " + o.Name() + " moved from the " + Regions[r] + " to the " + Regions[from],
			})
		}
	}
	panic(fmt.Sprintf("tasks: move found no free region in %d scenes of size %d", editTries, size))
}

// sampleResize scales one object by 1.4–1.6 or by 0.6–0.7 about its centre,
// keeping it inside the image and clear of the others. Bound, the object has
// the bound shape and colour and the bound direction and factor.
func sampleResize(f *Family, rng *rand.Rand, size int) Example {
	margin := 1 / float64(size)
	for try := 0; try < editTries; try++ {
		s := RandomScene(rng, size, DefaultSceneOptions)
		i := rng.IntN(len(s.Objects))
		p := f.params(rng)
		if f.bound {
			if shape, colour := namedObject(p); !nameObject(s, i, shape, colour) {
				continue
			}
		}
		o := s.Objects[i]
		grow := p.IntN(2) == 0
		if grow {
			o.Size *= 1.4 + 0.2*p.Float64()
		} else {
			o.Size *= 0.6 + 0.1*p.Float64()
		}
		inside := o.X-o.Size >= margin && o.X+o.Size <= 1-margin && o.Y-o.Size >= margin && o.Y+o.Size <= 1-margin
		if !inside || o.Size*float64(size) < 1.5 || !fits(s, o, false, i) {
			continue
		}
		out := s.Clone()
		out.Objects[i] = o
		dir, rdir, verb, rverb := "bigger", "smaller", "enlarge", "shrink"
		if !grow {
			dir, rdir, verb, rverb = rdir, dir, rverb, verb
		}
		return f.pair(rng, pairSpec{
			in: Render(s), out: Render(out), scene: s, outScene: out,
			kv:    []string{"obj", o.Name(), "dir", dir, "verb", verb},
			revKV: []string{"obj", o.Name(), "dir", rdir, "verb", rverb},
			desc:  "the " + o.Name() + " became " + dir, revDesc: "the " + o.Name() + " became " + rdir,
		})
	}
	panic(fmt.Sprintf("tasks: resize found no room in %d scenes of size %d", editTries, size))
}
