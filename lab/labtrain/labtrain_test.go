package labtrain

import (
	"bytes"
	"encoding/json"
	"testing"

	"xprompt/lab"
	"xprompt/model"
	"xprompt/train"
)

// TestOptionsJSON checks that converting the options keeps every value and
// the JSON that keys the lab's checkpoint cache.
func TestOptionsJSON(t *testing.T) {
	for _, preset := range []string{"tiny", "small"} {
		o := train.DefaultOptions(preset)
		o.XP, o.ImagePos2D, o.Data.Mode, o.Data.Include = 16, true, model.ModeCausal, []string{"derain"}
		want, _ := json.Marshal(o)
		got, _ := json.Marshal(lab.TrainOptions(o))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: lab options JSON\n%s\nwant\n%s", preset, got, want)
		}
		back, _ := json.Marshal(train.Options(lab.TrainOptions(o)))
		if !bytes.Equal(back, want) {
			t.Errorf("%s: round trip JSON\n%s\nwant\n%s", preset, back, want)
		}
		d, _ := json.Marshal(Trainer{}.Defaults(preset))
		w, _ := json.Marshal(train.DefaultOptions(preset))
		if !bytes.Equal(d, w) {
			t.Errorf("%s: Defaults\n%s\nwant\n%s", preset, d, w)
		}
	}
}
