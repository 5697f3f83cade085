package lab

import (
	"reflect"
	"strings"
	"testing"

	"xprompt/data"
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
	tok := data.NewTextTokenizer(1, model.Presets[cfg.Preset].Vocab.TextSize)
	for _, v := range []string{VariantBase, VariantCausal, VariantFull, VariantNoText, VariantNoReverse, "xp4"} {
		o, err := reg.Options(v)
		if err != nil {
			t.Fatal(err)
		}
		d := o.Data
		if d.HideInstruction != 0.6 || d.HideExampleInstruction != 0.5 || d.PaletteWeight != 0.3 || d.CurveWeight != 0.25 ||
			d.SeededWeight != 0.3 || d.DropWords != 0.25 || d.FamilyWeights["rotate90"] != 3 || !o.ImagePos2D {
			t.Errorf("%s: recipe not applied: hide %v/%v palette %v curves %v seeded %v drop-words %v weights %v pos2d %v", v,
				d.HideInstruction, d.HideExampleInstruction, d.PaletteWeight, d.CurveWeight, d.SeededWeight, d.DropWords, d.FamilyWeights, o.ImagePos2D)
		}
		// The weights must name families of the variant's training stream.
		if _, err := data.NewPipeline(d, model.Presets[o.Preset], tok, nil, 0); err != nil {
			t.Errorf("%s: the recipe's data do not make a pipeline: %v", v, err)
		}
		if (d.Mode == model.ModeCausal) != (v == VariantCausal) {
			t.Errorf("%s: mode %v", v, d.Mode)
		}
		cmd := trainCommand(o, defaults)
		if (v == "xp4") != strings.Contains(cmd, "--xp 4") {
			t.Errorf("%s: command %q and its X-Prompt tokens (%d)", v, cmd, o.XP)
		}
		for _, flag := range []string{"--hide-instruction 0.6", "--hide-example-instruction 0.5", "--palette 0.3", "--curves 0.25", "--seeded 0.3", "--drop-words 0.25",
			"--family-weights deblur=2,denoise=2,edges=1.5,flip_h=2,flip_v=2,hue_shift=2,invert=1.5,move=2,recolour=2,resize=2,rotate180=2,rotate90=3,segmentation=1.5", "--pos2d"} {
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
