package tasks

import (
	"math"
	"testing"
)

// TestOverlayFamily: the pattern changes exactly the pixels it covers, each
// toward the seed's colour by the seed's opacity (computed here), the same
// pattern in every example of a seed, and the inverse swaps the images.
func TestOverlayFamily(t *testing.T) {
	patterns := map[int]bool{}
	for seed := uint64(0); seed < 40; seed++ {
		p := OverlayParamsOf(seed, 32)
		patterns[p.Pattern] = true
		if p.Opacity < 0.35 || p.Opacity > 0.8 || p.Period < 3 || p.Period > 7 {
			t.Fatalf("seed %d: %+v out of range", seed, p)
		}
		fwd := OverlayFamily(seed)
		for _, f := range []*Family{fwd, mustFamily(fwd.Reverse)} {
			ex := f.Sample(NewRand(seed+100), 32)
			clean, covered := ex.Input, ex.Output
			if f.Name != fwd.Name {
				clean, covered = covered, clean
			}
			changed := 0
			for i := 0; i < len(clean.Pix); i += 3 {
				for c, want := range []float32{p.Colour.R, p.Colour.G, p.Colour.B} {
					v, got := float64(clean.Pix[i+c]), float64(covered.Pix[i+c])
					if got == v {
						continue
					}
					if exp := v + (float64(want)-v)*float64(p.Opacity); math.Abs(got-exp) > 1e-5 {
						t.Fatalf("%s pixel %d: %g → %g, want %g", f.Name, i/3, v, got, exp)
					}
					changed++
				}
			}
			if changed == 0 {
				t.Fatalf("%s: the overlay changed nothing", f.Name)
			}
			if r, ok := ex.Reversed(); !ok || r.Family != f.Reverse || !sameImage(r.Input, ex.Output) {
				t.Fatalf("%s: reverse example %q does not swap the images", f.Name, r.Family)
			}
		}
	}
	if len(patterns) != overlayPatterns {
		t.Errorf("40 seeds drew patterns %v, want all %d", patterns, overlayPatterns)
	}
}

// TestStampFamily: the output scene is the input scene plus exactly the
// seed's object, whose colour the input did not have; the inverse removes it.
func TestStampFamily(t *testing.T) {
	for seed := uint64(0); seed < 30; seed++ {
		o := StampObject(seed)
		fwd := StampFamily(seed)
		for _, f := range []*Family{fwd, mustFamily(fwd.Reverse)} {
			ex := f.Sample(NewRand(seed+7), 32)
			before, after := ex.Scene, ex.OutputScene
			if f.Name != fwd.Name {
				before, after = after, before
			}
			if len(after.Objects) != len(before.Objects)+1 || before.HasColour(o.Colour) {
				t.Fatalf("%s: %d → %d objects", f.Name, len(before.Objects), len(after.Objects))
			}
			got := after.Objects[len(after.Objects)-1]
			if got.Shape != o.Shape || got.Colour != o.Colour || got.Size != o.Size {
				t.Fatalf("%s: added %+v, the seed's object is %+v", f.Name, got, o)
			}
			if sameImage(ex.Input, ex.Output) {
				t.Fatalf("%s: input and output are the same image", f.Name)
			}
		}
	}
}

// TestDenseFamily: every object pixel has its class's colour, the same in
// every example of a seed; background pixels lie between the ramp's ends.
func TestDenseFamily(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		p := DenseParamsOf(seed)
		f, err := ByName(DenseFamily(seed).Name)
		if err != nil {
			t.Fatal(err)
		}
		for q := uint64(0); q < 3; q++ {
			ex := f.Sample(NewRand(seed*10+q), 32)
			om := ObjectMap(ex.Scene)
			for i, k := range om {
				r, g, b := ex.Output.At(i%32, i/32)
				if k > 0 {
					c := p.Class[int(ex.Scene.Objects[k-1].Shape)%len(p.Class)]
					if r != c.R || g != c.G || b != c.B {
						t.Fatalf("seed %d pixel %d: (%g %g %g), class colour %+v", seed, i, r, g, b, c)
					}
					continue
				}
				for j, v := range []float32{r, g, b} {
					lo := min([]float32{p.From.R, p.From.G, p.From.B}[j], []float32{p.To.R, p.To.G, p.To.B}[j])
					hi := max([]float32{p.From.R, p.From.G, p.From.B}[j], []float32{p.To.R, p.To.G, p.To.B}[j])
					if v < lo-1e-6 || v > hi+1e-6 {
						t.Fatalf("seed %d background pixel %d channel %d: %g outside [%g, %g]", seed, i, j, v, lo, hi)
					}
				}
			}
		}
	}
	if _, err := ByName("dense_3_inv"); err == nil {
		t.Error("dense_3_inv named a family: dense maps have no reverse")
	}
}

// TestStampBound: bound, every example of a stamp (either direction) adds
// the seed's object in one region, the same for every example; unbound, the
// place is free, and drawn exactly as before binding existed (a scene, then
// any free place: replayed here on the same source).
func TestStampBound(t *testing.T) {
	const seed = 7
	want := StampObject(seed)
	stampOf := func(e Example, f *Family) Object {
		with := e.OutputScene
		if f.Name != "stamp_7" {
			with = e.Scene
		}
		o := with.Objects[len(with.Objects)-1]
		if o.Shape != want.Shape || o.Colour != want.Colour || o.Size != want.Size {
			t.Fatalf("%s: last object %+v, want the stamp %+v", f.Name, o, want)
		}
		return o
	}
	for _, f := range []*Family{StampFamily(seed), mustFamily("stamp_7_inv")} {
		for bind := uint64(0); bind < 4; bind++ {
			b := f.Bind(bind)
			if _, ok := b.Bindable(); !ok || !b.BindsPlace() {
				t.Fatalf("%s: not bindable by place", f.Name)
			}
			rng := NewRand(bind + 50)
			region := -1
			for i := 0; i < 12; i++ {
				o := stampOf(b.Sample(rng, 32), f)
				if r := RegionOf(o.X, o.Y); region < 0 {
					region = r
				} else if r != region {
					t.Fatalf("%s bound by %d: example %d in region %d, the first in %d", f.Name, bind, i, r, region)
				}
			}
		}
		regions := map[int]bool{}
		rng := NewRand(99)
		for i := 0; i < 30; i++ {
			o := stampOf(f.Sample(rng, 32), f)
			regions[RegionOf(o.X, o.Y)] = true
		}
		if len(regions) < 4 {
			t.Errorf("%s unbound: stamps in %d regions over 30 examples, want them spread", f.Name, len(regions))
		}
	}
	got := StampFamily(seed).Sample(NewRand(3), 32)
	rng := NewRand(3)
	for {
		s := RandomScene(rng, 32, SceneOptions{MinObjects: 1, MaxObjects: 3})
		o := StampObject(seed)
		if s.HasColour(o.Colour) || !placeObject(rng, s, &o, true, -1) {
			continue
		}
		if g := got.OutputScene.Objects[len(got.OutputScene.Objects)-1]; g != o || len(got.Scene.Objects) != len(s.Objects) {
			t.Errorf("unbound stamp drew %+v in a scene of %d, the old draw %+v in %d", g, len(got.Scene.Objects), o, len(s.Objects))
		}
		break
	}
}
