package protocol

import (
	"fmt"
	"hash/fnv"
	"strings"

	"xprompt/tasks"
)

// Group is a named set of task families whose mean the table reports.
type Group struct {
	Name     string
	Families []string
}

// HeldOutGroups are the held-out families of the paper's Table 4, never in
// the default training stream (tasks.HeldOut; their reverses are held out
// too but not scored here).
var HeldOutGroups = []Group{
	{"held-out", []string{"lowlight", "derain", "add_object", "remove_object", "depth"}},
}

// SeenGroups are families of the training stream, by kind of mapping.
var SeenGroups = []Group{
	{"geometry", []string{"flip_h", "flip_v", "rotate90"}},
	{"colour maps", []string{"invert", "grayscale", "hue_shift"}},
	{"dense maps", []string{"segmentation", "edges"}},
	{"object edits", []string{"recolour", "move", "resize"}},
}

// familyNotes are caveats printed next to a family's numbers.
var familyNotes = map[string]string{
	"lowlight": "held out as a family, but its mapping (a brightening curve) lies inside the range of the tone-curve family (tasks.ToneCurveFamily, train --curves) and near brightness/gamma: a model trained with them has seen mappings of its kind",
}

// undeterminedNote is the caveat of a parameterised family scored with its
// instructions withheld.
const undeterminedNote = "its instruction names what to change (an object, a colour, an amount, a place) and its example shows another, so without the instruction the query has no single answer: a score of what the example suggests, not of the task"

// familyNote returns the caveat printed next to fam's numbers, "" when none;
// hidden says the instructions were withheld, shared that the examples
// shared the queries' parameters (Options.SharedParams).
func familyNote(fam string, hidden, shared bool) string {
	f, err := tasks.ByName(fam)
	if err != nil {
		return familyNotes[fam]
	}
	_, bindable := f.Bindable()
	if hidden && f.Parameterised() && !(shared && bindable) {
		return undeterminedNote
	}
	if shared && f.Parameterised() && !bindable {
		return unsharedNote
	}
	return familyNotes[fam]
}

// unsharedNote is the caveat of a parameterised family that cannot share its
// parameters with the examples.
const unsharedNote = "its examples could not share the query's parameters (the family is not bindable): they show another object, colour, place or amount"

// Groups returns the groups named by spec: "heldout", "seen", "all", or a
// comma list of family names (one group, "selected").
func Groups(spec string) ([]Group, error) {
	switch spec {
	case "heldout", "held-out":
		return HeldOutGroups, nil
	case "seen":
		return SeenGroups, nil
	case "all":
		return append(append([]Group(nil), HeldOutGroups...), SeenGroups...), nil
	}
	var names []string
	for _, n := range strings.Split(spec, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("protocol: no families in %q (want heldout, seen, all or a comma list)", spec)
	}
	g := []Group{{"selected", names}}
	if err := checkGroups(g); err != nil {
		return nil, err
	}
	return g, nil
}

// checkGroups returns an error naming a family that is unknown or whose
// queries are not image → image.
func checkGroups(gs []Group) error {
	if len(gs) == 0 {
		return fmt.Errorf("protocol: no families to evaluate")
	}
	for _, g := range gs {
		if len(g.Families) == 0 {
			return fmt.Errorf("protocol: group %q has no families", g.Name)
		}
		for _, name := range g.Families {
			f, err := tasks.ByName(name)
			if err != nil {
				return err
			}
			if f.Kind == tasks.KindText {
				return fmt.Errorf("protocol: family %s is not image → image (copy-input and tokenizer baselines need an input image)", f.Name)
			}
		}
	}
	return nil
}

// wrongPool holds the families whose examples serve as wrong examples:
// seen whole-image mappings unlike each other.
var wrongPool = []string{"flip_v", "invert", "segmentation", "edges", "grayscale", "rotate180"}

// WrongFamily returns the family of the wrong in-context example for prompt
// i of family: a family of wrongPool, rotating with i, that is neither the
// family nor its reverse.
func WrongFamily(family string, i int) string {
	f, err := tasks.ByName(family)
	if err != nil {
		panic(fmt.Sprintf("protocol.WrongFamily: %v", err))
	}
	h := fnv.New32a()
	h.Write([]byte(f.Name))
	start := int(h.Sum32()%uint32(len(wrongPool))) + i
	for k := 0; ; k++ {
		w := wrongPool[(start+k)%len(wrongPool)]
		if w != f.Name && w != f.Reverse {
			return w
		}
	}
}

// isEdit reports whether the family is a local edit, scored inside its
// changed region as well.
func isEdit(family string) bool {
	f, err := tasks.ByName(family)
	return err == nil && f.Kind == tasks.KindEdit
}
