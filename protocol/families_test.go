package protocol

import "testing"

// TestFamilyNoteUndetermined checks that a parameterised family scored with
// its instructions withheld carries the caveat, and no other does.
func TestFamilyNoteUndetermined(t *testing.T) {
	for _, c := range []struct {
		fam    string
		hidden bool
		want   string
	}{
		{"recolour", true, undeterminedNote}, {"hue_shift", true, undeterminedNote},
		{"recolour", false, ""}, {"flip_h", true, ""}, {"segmentation", true, ""},
		{"lowlight", false, familyNotes["lowlight"]}, {"lowlight", true, familyNotes["lowlight"]},
	} {
		if got := familyNote(c.fam, c.hidden); got != c.want {
			t.Errorf("familyNote(%s, hidden %v) = %q, want %q", c.fam, c.hidden, got, c.want)
		}
	}
}
