package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestTaskListingMarksParameterised checks that the listing says which
// families' instructions name a per-example parameter, in JSON and table.
func TestTaskListingMarksParameterised(t *testing.T) {
	var b bytes.Buffer
	if err := listFamilies(&b, true); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var r familyRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got[r.Name] = r.Parameterised
		if want := r.Name == "add_object" || r.Name == "recolour" || r.Name == "lowlight"; want && !r.Shareable {
			t.Errorf("%s: listed not shareable", r.Name)
		}
		if r.Shareable && (r.Name == "hue_shift" || r.Name == "flip_h" || r.Name == "depth") {
			t.Errorf("%s: listed shareable", r.Name)
		}
	}
	for name, want := range map[string]bool{"recolour": true, "hue_shift": true, "move": true, "flip_h": false, "segmentation": false, "invert": false} {
		if p, ok := got[name]; !ok || p != want {
			t.Errorf("%s: listed parameterised %v (present %v), want %v", name, p, ok, want)
		}
	}
	b.Reset()
	if err := listFamilies(&b, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	col := strings.Index(lines[0], "PARAMETERISED")
	if col < 0 {
		t.Fatalf("table header %q has no PARAMETERISED column", lines[0])
	}
	rows := 0
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) == 0 || (f[0] != "recolour" && f[0] != "flip_h") {
			continue
		}
		rows++
		if cell := strings.Fields(line[min(col, len(line)):] + " -")[0]; (cell == "yes") != (f[0] == "recolour") {
			t.Errorf("table row %q: PARAMETERISED %q", line, cell)
		}
	}
	if rows != 2 {
		t.Errorf("found %d of the rows recolour and flip_h", rows)
	}
}
