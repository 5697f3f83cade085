package tasks

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"xprompt/img"
)

// TestEveryFamilyValid samples every family at 16, 32 and 64 and checks the
// form of its examples: image sizes and values, which fields are set for
// the family's kind, filled instructions, and the reverse link.
func TestEveryFamilyValid(t *testing.T) {
	fams := append(All(), PalettePermutation(17), PalettePermutationInverse(17), ToneCurveFamily(17), mustFamily("tone_curve_17_inv"))
	for _, f := range fams {
		for _, size := range []int{16, 32, 64} {
			rng := NewRand(uint64(size))
			for k := 0; k < 3; k++ {
				e := f.Sample(rng, size)
				where := fmt.Sprintf("%s at %d", f.Name, size)
				checkExample(t, where, f, e, size)
			}
		}
	}
}

func checkExample(t *testing.T, where string, f *Family, e Example, size int) {
	t.Helper()
	if e.Family != f.Name {
		t.Fatalf("%s: example of family %q", where, e.Family)
	}
	if e.Instruction == "" || strings.ContainsAny(e.Instruction, "{}") {
		t.Fatalf("%s: instruction %q", where, e.Instruction)
	}
	if e.Scene == nil || e.Scene.Size != size {
		t.Fatalf("%s: scene %+v", where, e.Scene)
	}
	switch f.Name {
	case "caption":
		checkImage(t, where+" input", e.Input, size, size)
		if e.Output != nil || e.SecondInput != nil || e.Text != e.Scene.Caption() {
			t.Fatalf("%s: caption example %+v", where, e)
		}
	case "text_to_image":
		checkImage(t, where+" output", e.Output, size, size)
		if e.Input != nil || e.Text != e.Scene.Caption() || !strings.Contains(e.Instruction, e.Text) {
			t.Fatalf("%s: text-to-image example %+v", where, e)
		}
	case "describe_difference":
		checkImage(t, where+" input", e.Input, size, size)
		checkImage(t, where+" second input", e.SecondInput, size, size)
		if e.Output != nil || e.Text == "" {
			t.Fatalf("%s: difference example without text or with an output", where)
		}
	default:
		checkImage(t, where+" input", e.Input, size, size)
		checkImage(t, where+" output", e.Output, size, size)
		if e.Description == "" || e.Text != "" || e.SecondInput != nil {
			t.Fatalf("%s: image → image example with description %q, text %q", where, e.Description, e.Text)
		}
		if maxDiff(e.Input, e.Output) == 0 {
			t.Fatalf("%s: output equals input", where)
		}
	}
	r, ok := e.Reversed()
	if ok != (f.Reverse != "") {
		t.Fatalf("%s: Reversed ok = %v with Reverse %q", where, ok, f.Reverse)
	}
	if !ok {
		return
	}
	if r.Family != f.Reverse || r.Input != e.Output || r.Output != e.Input || r.Instruction == "" || strings.ContainsAny(r.Instruction, "{}") {
		t.Fatalf("%s: reverse %s %q does not swap the pair", where, r.Family, r.Instruction)
	}
	if rr, ok := r.Reversed(); !ok || rr.Family != f.Name || rr.Input != e.Input {
		t.Fatalf("%s: reverse of the reverse is %q", where, rr.Family)
	}
	if (e.Output != nil) != (r.Description != "") && f.Kind != KindText {
		t.Fatalf("%s: reverse without description", where)
	}
}

func TestSplits(t *testing.T) {
	var held []string
	for _, f := range HeldOut() {
		held = append(held, f.Name)
	}
	sort.Strings(held)
	want := []string{"add_object", "add_rain", "depth", "depth_to_image", "derain", "lowlight", "make_lowlight", "remove_object"}
	if strings.Join(held, ",") != strings.Join(want, ",") {
		t.Errorf("held out %v, want %v", held, want)
	}
	if len(Seen())+len(HeldOut()) != len(All()) {
		t.Errorf("seen %d + held out %d ≠ all %d", len(Seen()), len(HeldOut()), len(All()))
	}
	kinds := map[string]int{}
	for _, f := range All() {
		kinds[f.Kind]++
		if len(f.Templates) < 2 {
			t.Errorf("%s: only %d instruction templates", f.Name, len(f.Templates))
		}
		if f.Reverse == "" {
			continue
		}
		r, err := ByName(f.Reverse)
		if err != nil {
			t.Fatalf("%s: reverse: %v", f.Name, err)
		}
		// A seen family never reverses into a held-out one, nor the other way.
		if r.HeldOut != f.HeldOut || r.Reverse != f.Name || r.Invertible != f.Invertible {
			t.Errorf("%s ↔ %s: held out %v/%v, reverse %q, invertible %v/%v", f.Name, r.Name, f.HeldOut, r.HeldOut, r.Reverse, f.Invertible, r.Invertible)
		}
	}
	for _, k := range []string{KindLowLevel, KindDense, KindEdit, KindGlobal, KindText} {
		if kinds[k] == 0 {
			t.Errorf("no family of kind %s", k)
		}
	}
	// All returns copies: changing one leaves the registry as it was.
	before := All()[0].HeldOut
	All()[0].HeldOut = !before
	if All()[0].HeldOut != before {
		t.Errorf("All shares its families with the registry")
	}
}

func TestByName(t *testing.T) {
	for _, c := range []struct {
		name, rev string
		ok        bool
	}{
		{"derain", "add_rain", true},
		{"palette_perm_42", "palette_perm_42_inv", true},
		{"palette_perm_42_inv", "palette_perm_42", true},
		{"palette_perm_007", "", false},
		{"palette_perm_x", "", false},
		{"palette_perm_1_inv_inv", "", false},
		{"tone_curve_9", "tone_curve_9_inv", true},
		{"tone_curve_9_inv", "tone_curve_9", true},
		{"tone_curve_+9", "", false},
		{"tone_curve_", "", false},
		{"nope", "", false},
	} {
		f, err := ByName(c.name)
		if (err == nil) != c.ok {
			t.Errorf("ByName(%q): error %v", c.name, err)
			continue
		}
		if c.ok && (f.Name != c.name || f.Reverse != c.rev) {
			t.Errorf("ByName(%q) = %s reversing to %s", c.name, f.Name, f.Reverse)
		}
	}
}

func TestFamiliesDeterministic(t *testing.T) {
	for _, f := range All() {
		a, b := f.Sample(NewRand(5), 32), f.Sample(NewRand(5), 32)
		c := f.Sample(NewRand(6), 32)
		if a.Instruction != b.Instruction || a.Text != b.Text || !sameImage(a.Input, b.Input) || !sameImage(a.Output, b.Output) {
			t.Errorf("%s: same seed gives different examples", f.Name)
		}
		if sameImage(a.Input, c.Input) && sameImage(a.Output, c.Output) && a.Text == c.Text {
			t.Errorf("%s: seeds 5 and 6 give the same example", f.Name)
		}
	}
}

func sameImage(a, b *img.Image) bool {
	if a == nil || b == nil {
		return a == b
	}
	return maxDiff(a, b) == 0
}

// TestReverseInverts checks, for every invertible family, that the inverse
// operation recorded with the example maps Output back to Input, and that
// the independent operation named by the family maps Input to Output.
func TestReverseInverts(t *testing.T) {
	ops := map[string]func(*img.Image) *img.Image{
		"invert": Invert, "flip_h": FlipH, "flip_v": FlipV,
		"rotate90": Rotate90, "rotate270": Rotate270, "rotate180": Rotate180,
		"palette_perm_2":     func(m *img.Image) *img.Image { return PermutePalette(m, PaletteDerangement(2)) },
		"palette_perm_2_inv": func(m *img.Image) *img.Image { return PermutePalette(m, invertPerm(PaletteDerangement(2))) },
	}
	rng := NewRand(9)
	n := 0
	for _, f := range append(All(), PalettePermutation(33)) {
		for k := 0; k < 4; k++ {
			e := f.Sample(rng, 32)
			if (e.undo != nil) != f.Invertible {
				t.Fatalf("%s: undo set %v, Invertible %v", f.Name, e.undo != nil, f.Invertible)
			}
			if !f.Invertible {
				continue
			}
			n++
			if d := maxDiff(e.undo(e.Output), e.Input); d > 1e-5 {
				t.Errorf("%s: undo leaves an error of %g", f.Name, d)
			}
			r, _ := e.Reversed()
			if d := maxDiff(r.undo(r.Output), r.Input); d > 1e-5 {
				t.Errorf("%s: the reverse's undo leaves an error of %g", f.Name, d)
			}
			if op, ok := ops[f.Name]; ok {
				if d := maxDiff(op(e.Input), e.Output); d > 1e-7 {
					t.Errorf("%s: output differs from the operation by %g", f.Name, d)
				}
			}
		}
	}
	if n < 4*10 {
		t.Errorf("only %d invertible examples checked", n)
	}
	// Hue shift: the instruction's angle and its reverse's sum to 360.
	for k := 0; k < 10; k++ {
		e := mustFamily("hue_shift").Sample(rng, 32)
		r, _ := e.Reversed()
		a, b := lastNumber(e.Instruction), lastNumber(r.Instruction)
		if a+b != 360 || maxDiff(HueShift(e.Input, float64(a)), e.Output) > 1e-6 {
			t.Errorf("hue shift %q / %q: angles %d + %d", e.Instruction, r.Instruction, a, b)
		}
	}
}

// lastNumber returns the last whole number in s.
func lastNumber(s string) int {
	f := strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	n := 0
	for _, c := range f[len(f)-1] {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestEditDescriptions checks that edit instructions and descriptions name
// what changed, and that the images agree with them.
func TestEditDescriptions(t *testing.T) {
	rng := NewRand(21)
	for k := 0; k < 30; k++ {
		// Removal: the removed colour and shape are named, the colour is
		// gone from the output and present in the input.
		e := mustFamily("remove_object").Sample(rng, 32)
		gone := missingObject(e.Scene, e.OutputScene)
		if !strings.Contains(e.Description, "the "+gone.Name()+" was removed") || !strings.Contains(e.Instruction, gone.Name()) {
			t.Fatalf("removal of the %s described as %q, %q", gone.Name(), e.Instruction, e.Description)
		}
		if colourPixels(e.Input, gone.Colour) == 0 || colourPixels(e.Output, gone.Colour) != 0 {
			t.Fatalf("removal of the %s: colour pixels %d → %d", gone.Name(), colourPixels(e.Input, gone.Colour), colourPixels(e.Output, gone.Colour))
		}

		e = mustFamily("add_object").Sample(rng, 32)
		added := missingObject(e.OutputScene, e.Scene)
		where := regionPhrase(RegionOf(added.X, added.Y))
		if e.Description != withArticle(added.Name())+" was added "+where || !strings.Contains(e.Instruction, added.Name()) {
			t.Fatalf("addition of the %s %s described as %q, %q", added.Name(), where, e.Instruction, e.Description)
		}
		if colourPixels(e.Input, added.Colour) != 0 || colourPixels(e.Output, added.Colour) == 0 {
			t.Fatalf("addition of the %s: colour absent from the output", added.Name())
		}

		e = mustFamily("recolour").Sample(rng, 32)
		for i, o := range e.Scene.Objects {
			p := e.OutputScene.Objects[i]
			if o.Colour == p.Colour {
				continue
			}
			if e.Description != "the "+o.Name()+" became "+ColourNames[p.Colour] || colourPixels(e.Output, o.Colour) != 0 || colourPixels(e.Output, p.Colour) == 0 {
				t.Fatalf("recolour %s → %s described as %q", o.Name(), p.Name(), e.Description)
			}
		}

		e = mustFamily("move").Sample(rng, 32)
		for i, o := range e.Scene.Objects {
			p := e.OutputScene.Objects[i]
			if o == p {
				continue
			}
			from, to := Regions[RegionOf(o.X, o.Y)], Regions[RegionOf(p.X, p.Y)]
			if e.Description != "the "+o.Name()+" moved from the "+from+" to the "+to || math.Hypot(o.X-p.X, o.Y-p.Y) < minMove {
				t.Fatalf("move %v → %v described as %q", o, p, e.Description)
			}
		}
	}
}

// missingObject returns the object of a that b lacks (by colour).
func missingObject(a, b *Scene) Object {
	for _, o := range a.Objects {
		if !b.HasColour(o.Colour) {
			return o
		}
	}
	panic("no missing object")
}

func TestGlobalDescriptions(t *testing.T) {
	rng := NewRand(4)
	for k := 0; k < 20; k++ {
		e := mustFamily("brightness").Sample(rng, 32)
		darker := mean(e.Output) < mean(e.Input)
		if darker != strings.Contains(e.Description, "darker") {
			t.Fatalf("brightness %q: mean %g → %g", e.Description, mean(e.Input), mean(e.Output))
		}
		e = mustFamily("palette_perm_1").Sample(rng, 32)
		for _, o := range e.Scene.Objects {
			if !strings.Contains(e.Description, "the "+o.Name()+" became "+ColourNames[PaletteDerangement(1)[o.Colour]]) {
				t.Fatalf("palette description %q misses the %s", e.Description, o.Name())
			}
		}
		e = mustFamily("lowlight").Sample(rng, 32)
		if mean(e.Input) > 0.45*mean(e.Output) {
			t.Fatalf("low-light input mean %g is not much darker than %g", mean(e.Input), mean(e.Output))
		}
	}
}

func mean(m *img.Image) float64 {
	var s float64
	for _, v := range m.Pix {
		s += float64(v)
	}
	return s / float64(len(m.Pix))
}

// TestDifferenceOnlySeen checks that describe_difference draws its pairs
// from seen image → image families: its text is the description of one.
func TestDifferenceOnlySeen(t *testing.T) {
	heldDesc := []string{"rain", "depth", "dark image became bright", "very dark"}
	for _, c := range ColourNames {
		for _, sh := range Shapes {
			heldDesc = append(heldDesc, c+" "+sh.String()+" was removed", c+" "+sh.String()+" was added")
		}
	}
	rng := NewRand(8)
	for k := 0; k < 300; k++ {
		e := mustFamily("describe_difference").Sample(rng, 32)
		for _, h := range heldDesc {
			if strings.Contains(e.Text, h) {
				t.Fatalf("difference text %q comes from a held-out family", e.Text)
			}
		}
	}
}

// TestParameterisedFamilies checks Parameterised against what the examples
// do: one example's exact inverse undoes another example of the same family
// exactly when the family has no parameter, and the families named below
// fall on the side their instructions put them.
func TestParameterisedFamilies(t *testing.T) {
	rng := NewRand(11)
	fams := append(All(), PalettePermutation(33), PalettePermutationInverse(33), ToneCurveFamily(5))
	checked := 0
	for _, f := range fams {
		if !f.Invertible {
			continue
		}
		checked++
		same := true
		for k := 0; k < 12 && same; k++ {
			a, b := f.Sample(rng, 32), f.Sample(rng, 32)
			same = maxDiff(a.undo(b.Output), b.Input) < 1e-5
		}
		if same == f.Parameterised() {
			t.Errorf("%s: Parameterised %v, but one example's operation undoes another's: %v", f.Name, f.Parameterised(), same)
		}
	}
	if checked < 10 {
		t.Errorf("only %d invertible families checked", checked)
	}
	for _, n := range []string{"recolour", "move", "resize", "posterize", "hue_shift", "brightness", "contrast", "gamma", "add_object", "inpaint"} {
		if !mustFamily(n).Parameterised() {
			t.Errorf("%s: not parameterised, but its instruction names what changes", n)
		}
	}
	for _, f := range []*Family{mustFamily("flip_h"), mustFamily("grayscale"), mustFamily("segmentation"), mustFamily("edges_to_image"),
		mustFamily("denoise"), mustFamily("derain"), PalettePermutation(7), ToneCurveFamily(7), OverlayFamily(7), StampFamily(7), DenseFamily(7)} {
		if f.Parameterised() {
			t.Errorf("%s: parameterised, but every example applies one operation", f.Name)
		}
	}
}
