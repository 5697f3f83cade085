package tasks

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// editParams returns what the instruction of edit example e names, read from
// its scenes: the changed object and what happened to it.
func editParams(t *testing.T, e Example) string {
	t.Helper()
	changed := func() (Object, Object) {
		for i, o := range e.Scene.Objects {
			if p := e.OutputScene.Objects[i]; o != p {
				return o, p
			}
		}
		t.Fatalf("%s: no object changed", e.Family)
		return Object{}, Object{}
	}
	switch e.Family {
	case "add_object":
		o := missingObject(e.OutputScene, e.Scene)
		return fmt.Sprintf("%s %.9f %d", o.Name(), o.Size, RegionOf(o.X, o.Y))
	case "remove_object":
		o := missingObject(e.Scene, e.OutputScene)
		return fmt.Sprintf("%s %.9f %d", o.Name(), o.Size, RegionOf(o.X, o.Y))
	case "recolour":
		o, p := changed()
		return o.Name() + " → " + ColourNames[p.Colour]
	case "move":
		o, p := changed()
		return fmt.Sprintf("%s → %d", o.Name(), RegionOf(p.X, p.Y))
	case "resize":
		o, p := changed()
		return fmt.Sprintf("%s ×%.9f", o.Name(), p.Size/o.Size)
	}
	t.Fatalf("editParams: %s is not an edit", e.Family)
	return ""
}

// lowLightParams fits in = k·out^g over the pixels of a low-light example
// (least squares in the logs) and returns k and g to 3 decimals.
func lowLightParams(e Example) string {
	dark, day := e.Input, e.Output
	if e.Family == "make_lowlight" {
		dark, day = day, dark
	}
	var n, sx, sy, sxx, sxy float64
	for i, v := range day.Pix {
		if v < 0.1 || dark.Pix[i] <= 0 {
			continue
		}
		x, y := math.Log(float64(v)), math.Log(float64(dark.Pix[i]))
		n, sx, sy, sxx, sxy = n+1, sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	g := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	k := math.Exp((sy - g*sx) / n)
	return fmt.Sprintf("k %.3f g %.3f", k, g)
}

// bindParams returns what a bound example of e's family must share with
// the others.
func bindParams(t *testing.T, e Example) string {
	switch e.Family {
	case "lowlight", "make_lowlight":
		return lowLightParams(e)
	case "derain":
		r, _ := e.Reversed()
		return r.Description // names the rain's strength
	case "add_rain":
		return e.Description
	}
	return editParams(t, e)
}

// TestBindSharesParameters checks that every example of a bound family makes
// the same edit on another scene, while the unbound family's examples differ
// in it (so the check can fail).
func TestBindSharesParameters(t *testing.T) {
	for name := range bindable {
		f := mustFamily(name)
		for _, seed := range []uint64{1, 2, 3} {
			bound := f.Bind(seed)
			if !bound.Bound() || f.Bound() {
				t.Fatalf("%s: Bound() %v after Bind, %v before", name, bound.Bound(), f.Bound())
			}
			rng := NewRand(seed + 100)
			first := bound.Sample(rng, 32)
			want := bindParams(t, first)
			for i := 0; i < 12; i++ {
				e := bound.Sample(rng, 32)
				checkExample(t, name+" bound", bound, e, 32)
				if got := bindParams(t, e); got != want {
					t.Fatalf("%s bound by %d: example %d makes %q, the first %q", name, seed, i+1, got, want)
				}
				if sameImage(e.Input, first.Input) {
					t.Fatalf("%s bound by %d: example %d has the first one's input", name, seed, i+1)
				}
			}
		}
		rng, distinct := NewRand(5), map[string]bool{}
		for i := 0; i < 12; i++ {
			distinct[bindParams(t, f.Sample(rng, 32))] = true
		}
		if len(distinct) < 2 {
			t.Errorf("%s: 12 unbound examples all make %v: the check cannot tell bound from unbound", name, distinct)
		}
	}
}

// TestBindOtherFamilies checks that binding a family that is not bindable
// leaves its draws as they were.
func TestBindOtherFamilies(t *testing.T) {
	for _, name := range []string{"flip_h", "hue_shift", "depth", "segmentation"} {
		f := mustFamily(name)
		if _, ok := f.Bindable(); ok {
			t.Fatalf("%s listed as bindable", name)
		}
		a, b := f.Sample(NewRand(9), 32), f.Bind(4).Sample(NewRand(9), 32)
		if a.Instruction != b.Instruction || !sameImage(a.Input, b.Input) || !sameImage(a.Output, b.Output) {
			t.Errorf("%s: binding changed the example (%q vs %q)", name, a.Instruction, b.Instruction)
		}
	}
}

// TestBoundFamiliesAlwaysDraw checks that a bound family finds a scene for
// its edit under many seeds (a bound edit redraws scenes that cannot take it,
// and would panic after editTries), at 32 pixels and at the smallest size,
// where a large object added in the middle leaves room for no other.
func TestBoundFamiliesAlwaysDraw(t *testing.T) {
	for name := range bindable {
		f := mustFamily(name)
		for seed := uint64(0); seed < 300; seed++ {
			e := f.Bind(seed).Sample(NewRand(seed), 32)
			checkExample(t, name+" bound", f, e, 32)
			f.Bind(seed).Sample(NewRand(seed), MinSize) // a panic fails the test
		}
	}
}

// sceneColours lists the palette colours of s's objects, sorted, as a key.
func sceneColours(s *Scene) string {
	var c []int
	for _, o := range s.Objects {
		c = append(c, o.Colour)
	}
	slices.Sort(c)
	return fmt.Sprint(c)
}

// TestBindPaletteColours checks that a bound palette permutation (either
// direction) gives every example objects of the same colours on another
// scene — so an example shows where each colour of the query goes — and
// that the unbound family's examples differ in them, while the mapping
// itself stays the family's.
func TestBindPaletteColours(t *testing.T) {
	for _, c := range []struct {
		name string
		perm []int
	}{
		{"palette_perm_5", PaletteDerangement(5)},
		{"palette_perm_5_inv", invertPerm(PaletteDerangement(5))},
		{"palette_perm_812", PaletteDerangement(812)},
	} {
		name, perm := c.name, c.perm
		f := mustFamily(name)
		if what, ok := f.Bindable(); !ok || what == "" {
			t.Fatalf("%s: not bindable", name)
		}
		for _, seed := range []uint64{1, 2, 3} {
			bound, rng := f.Bind(seed), NewRand(seed+50)
			first := bound.Sample(rng, 32)
			want := sceneColours(first.Scene)
			for i := 0; i < 12; i++ {
				e := bound.Sample(rng, 32)
				checkExample(t, name+" bound", bound, e, 32)
				if got := sceneColours(e.Scene); got != want {
					t.Fatalf("%s bound by %d: example %d holds colours %s, the first %s", name, seed, i+1, got, want)
				}
				if sameImage(e.Input, first.Input) {
					t.Fatalf("%s bound by %d: example %d has the first one's input", name, seed, i+1)
				}
				if !sameImage(e.Output, PermutePalette(e.Input, perm)) {
					t.Fatalf("%s bound by %d: example %d is not the family's permutation", name, seed, i+1)
				}
			}
		}
		rng, distinct := NewRand(5), map[string]bool{}
		for i := 0; i < 12; i++ {
			distinct[sceneColours(f.Sample(rng, 32).Scene)] = true
		}
		if len(distinct) < 2 {
			t.Errorf("%s: 12 unbound examples all hold colours %v: the check cannot tell bound from unbound", name, distinct)
		}
	}
}
