package protocol

import (
	"fmt"
	"testing"

	"xprompt/tasks"
)

func TestReservedSeedsAreDisjointFromDevelopment(t *testing.T) {
	for i := 0; i < 1000; i++ {
		dev, res := Development.PromptSeed(i), Reserved.PromptSeed(i)
		if dev >= ReservedSeedBase || res < ReservedSeedBase {
			t.Fatalf("prompt %d: development seed %d, reserved seed %d (base %d)", i, dev, res, ReservedSeedBase)
		}
		if CheckDevelopmentSeed(dev) != nil || CheckDevelopmentSeed(res) == nil {
			t.Fatalf("CheckDevelopmentSeed: development %d → %v, reserved %d → %v", dev, CheckDevelopmentSeed(dev), res, CheckDevelopmentSeed(res))
		}
	}
	if CheckDevelopmentSeed(ReservedSeedBase-1) != nil || CheckDevelopmentSeed(ReservedSeedBase) == nil {
		t.Fatal("the boundary of the reserved range is off by one")
	}
	// The random streams Draw uses: a family's query and example streams of
	// development seeds never meet those of reserved seeds.
	streams := map[uint64]uint64{}
	for _, fam := range []string{"derain", "add_object"} {
		clear(streams)
		for i := 0; i < 2000; i++ {
			for _, seed := range []uint64{Development.PromptSeed(i), Reserved.PromptSeed(i), ReservedSeedBase - 1 - uint64(i), 2*ReservedSeedBase - 1 - uint64(i)} {
				q := familySeed(seed, fam)
				for _, s := range []uint64{q, q ^ exampleStream} {
					if prev, ok := streams[s]; ok && (prev >= ReservedSeedBase) != (seed >= ReservedSeedBase) {
						t.Fatalf("%s: seeds %d and %d share the stream %#x", fam, prev, seed, s)
					}
					streams[s] = seed
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a development prompt index reaching the reserved range did not panic")
		}
	}()
	Development.PromptSeed(int(ReservedSeedBase))
}

func TestDrawQueriesDoNotDependOnExamples(t *testing.T) {
	a, err := Draw("derain", 7, 1, 3, 32)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Draw("derain", 7, 4, 3, 32)
	for i := range a.Queries {
		if a.Queries[i].Instruction != b.Queries[i].Instruction || a.Queries[i].Input.Pix[0] != b.Queries[i].Input.Pix[0] {
			t.Fatalf("query %d changed with the number of examples", i)
		}
	}
	if len(b.Examples) != 4 || a.Examples[0].Instruction != b.Examples[0].Instruction {
		t.Fatal("the examples' stream is not shared between draws of the same seed")
	}
	if _, err := Draw("no_such_family", 1, 1, 1, 32); err == nil {
		t.Fatal("an unknown family drew")
	}
	a.HideInstructions()
	if a.Queries[0].Instruction != "" || a.Examples[0].Instruction != "" {
		t.Fatal("HideInstructions left an instruction: the example's instruction would name the task")
	}
}

func TestRegionMaskIsInsideTheChange(t *testing.T) {
	for _, fam := range []string{"add_object", "remove_object", "recolour", "move"} {
		set, err := Draw(fam, 3, 0, 20, 32)
		if err != nil {
			t.Fatal(err)
		}
		for i, q := range set.Queries {
			mask, err := RegionMask(q.Input, q.Output)
			if err != nil {
				t.Fatal(err)
			}
			w, h := q.Input.W, q.Input.H
			changed := func(x, y int) bool {
				p := 3 * (y*w + x)
				for c := 0; c < 3; c++ {
					if q.Input.Pix[p+c] != q.Output.Pix[p+c] {
						return true
					}
				}
				return false
			}
			on := 0
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if changed(x, y) && !mask[y*w+x] {
						t.Fatalf("%s query %d: changed pixel (%d,%d) outside the mask", fam, i, x, y)
					}
					if !mask[y*w+x] {
						continue
					}
					on++
					near := false
					for yy := max(y-1, 0); yy <= min(y+1, h-1); yy++ {
						for xx := max(x-1, 0); xx <= min(x+1, w-1); xx++ {
							near = near || changed(xx, yy)
						}
					}
					if !near {
						t.Fatalf("%s query %d: mask pixel (%d,%d) is not within one pixel of a change", fam, i, x, y)
					}
				}
			}
			if on == 0 || on > w*h/2 {
				t.Fatalf("%s query %d: region of %d of %d pixels, want a non-empty local region", fam, i, on, w*h)
			}
		}
	}
	f, _ := tasks.ByName("invert")
	if isEdit(f.Name) || !isEdit("add_object") {
		t.Fatal("isEdit: invert is not a local edit, add_object is")
	}
}

// addedObject names the object an add_object example adds and its region.
func addedObject(e tasks.Example) string {
	for _, o := range e.OutputScene.Objects {
		if !e.Scene.HasColour(o.Colour) {
			return fmt.Sprintf("%s in region %d", o.Name(), tasks.RegionOf(o.X, o.Y))
		}
	}
	return "nothing"
}

func TestDrawSharedBindsExamplesToQueries(t *testing.T) {
	names := map[string]bool{}
	for seed := uint64(1); seed <= 4; seed++ {
		s, err := DrawShared("add_object", seed, 2, 3, 32)
		if err != nil {
			t.Fatal(err)
		}
		want := addedObject(s.Examples[0])
		for _, e := range append(s.Examples[1:], s.Queries...) {
			if got := addedObject(e); got != want {
				t.Fatalf("seed %d: an example adds %s, another %s", seed, want, got)
			}
		}
		names[want] = true
		// Unshared, the queries of the same seed add different objects.
		u, _ := Draw("add_object", seed, 1, 3, 32)
		if addedObject(u.Queries[0]) == addedObject(u.Queries[1]) && addedObject(u.Queries[1]) == addedObject(u.Queries[2]) {
			t.Fatalf("seed %d: unshared queries all add %s", seed, addedObject(u.Queries[0]))
		}
	}
	if len(names) < 2 {
		t.Fatalf("four seeds bound one edit: %v", names)
	}
	// Families that cannot be bound draw as Draw does.
	a, _ := Draw("depth", 7, 1, 2, 32)
	b, _ := DrawShared("depth", 7, 1, 2, 32)
	if a.Queries[1].Input.Pix[5] != b.Queries[1].Input.Pix[5] || a.Examples[0].Output.Pix[9] != b.Examples[0].Output.Pix[9] {
		t.Fatal("DrawShared changed the draw of depth, which has nothing to bind")
	}
}
