package protocol

import "testing"

// TestFamilyNoteUndetermined checks that a parameterised family scored with
// its instructions withheld carries the caveat unless its examples shared the
// query's parameters, that a family which cannot share says so when asked
// to, and that no other family carries either.
func TestFamilyNoteUndetermined(t *testing.T) {
	for _, c := range []struct {
		fam            string
		hidden, shared bool
		want           string
	}{
		{"recolour", true, false, undeterminedNote}, {"hue_shift", true, false, undeterminedNote},
		{"recolour", false, false, ""}, {"flip_h", true, false, ""}, {"segmentation", true, false, ""},
		{"lowlight", false, false, familyNotes["lowlight"]}, {"lowlight", true, false, familyNotes["lowlight"]},
		{"recolour", true, true, ""}, {"add_object", true, true, ""}, {"recolour", false, true, ""},
		{"hue_shift", true, true, undeterminedNote}, {"hue_shift", false, true, unsharedNote},
		{"flip_h", false, true, ""}, {"lowlight", true, true, familyNotes["lowlight"]},
	} {
		if got := familyNote(c.fam, c.hidden, c.shared); got != c.want {
			t.Errorf("familyNote(%s, hidden %v, shared %v) = %q, want %q", c.fam, c.hidden, c.shared, got, c.want)
		}
	}
}
