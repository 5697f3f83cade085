package tasks

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"xprompt/img"
)

// The kinds of task family.
const (
	KindLowLevel = "lowlevel" // restoration and degradation: noise, blur, rain, low light, holes
	KindDense    = "dense"    // dense prediction (segmentation, depth, edges) and map → image
	KindEdit     = "edit"     // object edits: add, remove, recolour, move, resize
	KindGlobal   = "global"   // whole-image colour and geometry operations
	KindText     = "text"     // caption, difference description, text-to-image
)

// Family is one task: a named generator of Examples with instruction
// templates, a kind, a split and the name of its reverse.
type Family struct {
	Name    string
	Kind    string
	HeldOut bool   // held out from training for novel-task tests
	Reverse string // family of the swapped pair (y → x); "" when none
	// Invertible reports that the reverse undoes the pixel operation exactly
	// (to float rounding): flips, rotations, invert, hue shift, gamma,
	// palette permutation.
	Invertible bool
	// Templates are the instruction templates; fields such as {colour},
	// {shape}, {region} are filled per example.
	Templates []string
	Weight    float64 // default sampling weight in a Stream

	sample func(f *Family, rng *rand.Rand, size int) Example
	// bound and paramSeed fix the parameters of every example (Bind).
	bound     bool
	paramSeed uint64
	// bindsColours says that Bind gives every example the same object
	// colours (palette permutations).
	bindsColours bool
	// bindsPlace says that Bind gives every example the same region for
	// its stamp (stamp families).
	bindsPlace bool
}

// Example is one task instance. Input is nil for text-to-image; Output is
// nil when the target is text (held in Text).
type Example struct {
	Family      string
	Instruction string
	Input       *img.Image
	// SecondInput is the edited image of a pair → text task
	// (describe_difference), shown after Input; nil otherwise.
	SecondInput *img.Image
	Output      *img.Image
	// Text is the text target (caption, difference description), or the
	// prompt of a text-to-image example.
	Text string
	// Description says what changed from Input to Output (image → image
	// examples): "the red circle was removed", "the image became darker".
	Description string
	Scene       *Scene // the scene the example was drawn from (Input's scene for edits)
	OutputScene *Scene // the scene shown in Output when an edit changed it; nil otherwise

	reverse *Example                    // the same pair as an example of the reverse family
	undo    func(*img.Image) *img.Image // exact inverse of the pixel operation, for Invertible families
}

// Reversed returns the example of the reverse family built from the same
// pair (Input and Output swapped, the reverse family's instruction and
// description), and false when the family has no reverse.
func (e Example) Reversed() (Example, bool) {
	if e.reverse == nil {
		return Example{}, false
	}
	return *e.reverse, true
}

// MinSize is the smallest image side the task families support: below it
// an edit may find no room for its object.
const MinSize = 16

// Sample draws one example of f at size×size. It panics if size < MinSize.
func (f *Family) Sample(rng *rand.Rand, size int) Example {
	if size < MinSize {
		panic(fmt.Sprintf("tasks.Family.Sample(%s): size %d < MinSize %d", f.Name, size, MinSize))
	}
	if f.sample == nil {
		panic(fmt.Sprintf("tasks.Family.Sample(%s): no generator; get families from All or ByName", f.Name))
	}
	return f.sample(f, rng, size)
}

// Parameterised reports whether f's instruction carries something drawn
// per example (an object, a colour, an amount, a place): some template has
// a {field}. Another example of such a family need not show what a query's
// instruction asks (another object, another amount), so a query of it
// without its instruction may have no single answer; a family without
// fields applies one operation to every input, which its example shows.
func (f *Family) Parameterised() bool {
	for _, t := range f.Templates {
		if strings.Contains(t, "{") {
			return true
		}
	}
	return false
}

// instruction fills a random template of f; kv holds field names and
// values in pairs: "colour", "red", "shape", "circle".
func (f *Family) instruction(rng *rand.Rand, kv ...string) string {
	t := f.Templates[rng.IntN(len(f.Templates))]
	for i := 0; i+1 < len(kv); i += 2 {
		t = strings.ReplaceAll(t, "{"+kv[i]+"}", kv[i+1])
	}
	return t
}

// pairSpec is the content of an image → image example and its reverse.
type pairSpec struct {
	in, out         *img.Image
	scene, outScene *Scene
	kv, revKV       []string // template fields of the forward and reverse instructions
	desc, revDesc   string
	// op and undo are the exact pixel operation (out = op(in)) and its
	// inverse, for Invertible families; nil otherwise.
	op, undo func(*img.Image) *img.Image
}

// pair assembles an image → image example of f from p and, when f has a
// reverse family, the reverse example from the same images; each is the
// other's Reversed.
func (f *Family) pair(rng *rand.Rand, p pairSpec) Example {
	e := &Example{
		Family: f.Name, Instruction: f.instruction(rng, p.kv...),
		Input: p.in, Output: p.out, Description: p.desc,
		Scene: p.scene, OutputScene: p.outScene, undo: p.undo,
	}
	if f.Reverse == "" {
		return *e
	}
	rf := mustFamily(f.Reverse)
	r := &Example{
		Family: rf.Name, Instruction: rf.instruction(rng, p.revKV...),
		Input: p.out, Output: p.in, Description: p.revDesc, Scene: p.scene, undo: p.op,
	}
	if p.outScene != nil {
		r.Scene, r.OutputScene = p.outScene, p.scene
	}
	e.reverse, r.reverse = r, e
	return *e
}

// registry holds the built-in families in listing order; it is filled in
// init because family generators refer to it (for reverse templates).
var (
	registry []*Family
	byName   map[string]*Family
)

func init() {
	for _, group := range [][]*Family{lowLevelFamilies(), denseFamilies(), editFamilies(), globalFamilies(), textFamilies()} {
		registry = append(registry, group...)
	}
	byName = make(map[string]*Family, len(registry))
	for _, f := range registry {
		if _, dup := byName[f.Name]; dup {
			panic("tasks: family registered twice: " + f.Name)
		}
		if f.Weight == 0 {
			f.Weight = 1
		}
		byName[f.Name] = f
	}
}

// All returns every built-in family in listing order (low-level, dense,
// edit, global, text). The values are copies: changing them changes nothing
// here.
func All() []*Family { return filter(func(*Family) bool { return true }) }

// Seen returns the families used for training by default.
func Seen() []*Family { return filter(func(f *Family) bool { return !f.HeldOut }) }

// HeldOut returns the held-out families: low-light, derain, object addition,
// object removal, depth, and their reverses.
func HeldOut() []*Family { return filter(func(f *Family) bool { return f.HeldOut }) }

func filter(keep func(*Family) bool) []*Family {
	var out []*Family
	for _, f := range registry {
		if keep(f) {
			c := *f
			out = append(out, &c)
		}
	}
	return out
}

// ByName returns the family called name: a built-in one, any palette
// permutation "palette_perm_SEED" / "palette_perm_SEED_inv", any tone
// curve "tone_curve_SEED" / "tone_curve_SEED_inv", or any example-only
// family of the held-out kinds: "overlay_SEED", "stamp_SEED" (each with its
// "_inv") and "dense_SEED" (families_seeded.go).
func ByName(name string) (*Family, error) {
	if f, ok := byName[name]; ok {
		c := *f
		return &c, nil
	}
	if f, ok := parsePalettePermutation(name); ok {
		return f, nil
	}
	if f, ok := parseToneCurve(name); ok {
		return f, nil
	}
	if f, ok := parseSeededFamily(name); ok {
		return f, nil
	}
	return nil, fmt.Errorf("tasks: unknown family %q", name)
}

// mustFamily returns the family called name or panics: names inside this
// package are constants.
func mustFamily(name string) *Family {
	f, err := ByName(name)
	if err != nil {
		panic(err)
	}
	return f
}

// sceneAndImage draws a random scene (default options) and renders it.
func sceneAndImage(rng *rand.Rand, size int) (*Scene, *img.Image) {
	s := RandomScene(rng, size, DefaultSceneOptions)
	return s, Render(s)
}

// String returns the family's name, kind and split, for listings.
func (f *Family) String() string {
	split := "seen"
	if f.HeldOut {
		split = "held-out"
	}
	return fmt.Sprintf("%s (%s, %s)", f.Name, f.Kind, split)
}
