package lab

import (
	"reflect"
	"strings"
	"testing"

	"xprompt/model"
)

// TestRecipeReachesEveryVariant checks that the suites train each variant on
// the embedded model's recipe with the variant's one change, that the row
// commands name the recipe's flags, and that the two recipes cache apart.
func TestRecipeReachesEveryVariant(t *testing.T) {
	cfg := SmokeConfig()
	cfg.VQ, cfg.Trainer, cfg.Cache = testVQ(), testTrainer, t.TempDir()
	reg, err := NewRegistry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defaults := testTrainer.Defaults(cfg.Preset)
	for _, v := range []string{VariantBase, VariantCausal, VariantFull, VariantNoText, VariantNoReverse, "xp4"} {
		o, err := reg.Options(v)
		if err != nil {
			t.Fatal(err)
		}
		d := o.Data
		if d.HideInstruction != 0.6 || d.HideExampleInstruction != 0.5 || d.PaletteWeight != 0.3 || d.CurveWeight != 0.25 || !o.ImagePos2D {
			t.Errorf("%s: recipe not applied: hide %v/%v palette %v curves %v pos2d %v", v, d.HideInstruction, d.HideExampleInstruction, d.PaletteWeight, d.CurveWeight, o.ImagePos2D)
		}
		if (d.Mode == model.ModeCausal) != (v == VariantCausal) {
			t.Errorf("%s: mode %v", v, d.Mode)
		}
		cmd := trainCommand(o, defaults)
		if (v == "xp4") != strings.Contains(cmd, "--xp 4") {
			t.Errorf("%s: command %q and its X-Prompt tokens (%d)", v, cmd, o.XP)
		}
		for _, flag := range []string{"--hide-instruction 0.6", "--hide-example-instruction 0.5", "--palette 0.3", "--curves 0.25", "--pos2d"} {
			if !strings.Contains(cmd, flag) {
				t.Errorf("%s: command %q lacks %s", v, cmd, flag)
			}
		}
	}

	plain := cfg
	plain.Recipe = PlainRecipe()
	preg, err := NewRegistry(plain)
	if err != nil {
		t.Fatal(err)
	}
	po, _ := preg.Options(VariantBase)
	if !reflect.DeepEqual(po.Data, defaults.Data) || po.ImagePos2D {
		t.Errorf("plain recipe changed the defaults: %+v", po.Data)
	}
	if cmd := trainCommand(po, defaults); strings.Contains(cmd, "--hide") || strings.Contains(cmd, "--pos2d") {
		t.Errorf("plain command %q names recipe flags", cmd)
	}
	eo, _ := reg.Options(VariantBase)
	if reg.cachePath(VariantBase, eo) == preg.cachePath(VariantBase, po) {
		t.Error("the embedded and plain recipes share a cache file")
	}
	if !strings.Contains(plain.command("novel", "x"), "--recipe plain") {
		t.Errorf("plain suite command %q does not name its recipe", plain.command("novel", "x"))
	}
}
