package lab

import (
	"fmt"
	"strconv"
)

// Recipe is what a suite's trainings add to the preset's defaults: the data
// mix and the image-position layout of the embedded model's training. Every
// model variant is the recipe with one change, so the ablations are measured
// on the recipe that the shipped model uses.
type Recipe struct {
	Name string // "embedded" or "plain": recorded in the report's commands
	// HideInstruction and HideExampleInstruction are the probabilities that a
	// query, or its in-context examples, come without their instruction.
	HideInstruction, HideExampleInstruction float64
	Palette                                 float64 // share of palette permutations; negative: the preset's
	Curves                                  float64 // share of the other image sequences that are tone curves
	Seeded                                  float64 // share of example-only tasks of the held-out kinds
	Pos2D                                   bool    // learned row and column embeddings for image tokens
}

// EmbeddedRecipe is the data mix and layout of the embedded model's later
// stages (infer/README.md, "How it was made").
func EmbeddedRecipe() Recipe {
	return Recipe{Name: "embedded", HideInstruction: 0.6, HideExampleInstruction: 0.5, Palette: 0.3, Curves: 0.25, Pos2D: true}
}

// PlainRecipe is the preset's defaults: instructions always given, 1-D
// positions only, no tone curves.
func PlainRecipe() Recipe { return Recipe{Name: "plain", Palette: -1} }

// RecipeByName returns the named recipe.
func RecipeByName(name string) (Recipe, error) {
	switch name {
	case "embedded":
		return EmbeddedRecipe(), nil
	case "plain":
		return PlainRecipe(), nil
	}
	return Recipe{}, fmt.Errorf("unknown recipe %q (want embedded or plain)", name)
}

// apply sets the recipe's options on o; the zero Recipe leaves o as it is.
func (rc Recipe) apply(o *TrainOptions) {
	if rc.Name == "" {
		return
	}
	o.Data.HideInstruction = rc.HideInstruction
	o.Data.HideExampleInstruction = rc.HideExampleInstruction
	if rc.Palette >= 0 {
		o.Data.PaletteWeight = rc.Palette
	}
	o.Data.CurveWeight = rc.Curves
	o.Data.SeededWeight = rc.Seeded
	o.ImagePos2D = o.ImagePos2D || rc.Pos2D
}

// recipeFlags returns the xprompt train flags that give o's recipe options
// where they differ from the preset defaults d.
func recipeFlags(o, d TrainOptions) string {
	s := ""
	num := func(flag string, v, def float64) {
		if v != def {
			s += " --" + flag + " " + strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	num("hide-instruction", o.Data.HideInstruction, d.Data.HideInstruction)
	num("hide-example-instruction", o.Data.HideExampleInstruction, d.Data.HideExampleInstruction)
	num("palette", o.Data.PaletteWeight, d.Data.PaletteWeight)
	num("curves", o.Data.CurveWeight, d.Data.CurveWeight)
	num("seeded", o.Data.SeededWeight, d.Data.SeededWeight)
	if o.ImagePos2D && !d.ImagePos2D {
		s += " --pos2d"
	}
	return s
}
