package lab

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
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
	DropWords                               float64 // probability that an instruction word becomes the unknown-word token
	// FamilyWeights weighs the draw of the named image families (others 1).
	FamilyWeights map[string]float64
	Pos2D         bool // learned row and column embeddings for image tokens
}

// EmbeddedRecipe is the data mix and layout of the embedded model's last
// stage (stage 13 in infer/README.md, "How it was made").
func EmbeddedRecipe() Recipe {
	return Recipe{Name: "embedded", HideInstruction: 0.6, HideExampleInstruction: 0.5, Palette: 0.3, Curves: 0.25,
		Seeded: 0.3, DropWords: 0.25, FamilyWeights: stage13Weights(), Pos2D: true}
}

// stage13Weights are the family weights of the embedded model's mix.
func stage13Weights() map[string]float64 {
	return map[string]float64{"flip_h": 2, "flip_v": 2, "rotate90": 3, "rotate180": 2, "invert": 1.5, "hue_shift": 2,
		"segmentation": 1.5, "edges": 1.5, "denoise": 2, "deblur": 2, "recolour": 2, "move": 2, "resize": 2}
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
	o.Data.DropWords = rc.DropWords
	if len(rc.FamilyWeights) > 0 {
		o.Data.FamilyWeights = maps.Clone(rc.FamilyWeights)
	}
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
	num("drop-words", o.Data.DropWords, d.Data.DropWords)
	if !maps.Equal(o.Data.FamilyWeights, d.Data.FamilyWeights) && len(o.Data.FamilyWeights) > 0 {
		var kv []string
		for _, name := range slices.Sorted(maps.Keys(o.Data.FamilyWeights)) {
			kv = append(kv, name+"="+strconv.FormatFloat(o.Data.FamilyWeights[name], 'g', -1, 64))
		}
		s += " --family-weights " + strings.Join(kv, ",")
	}
	if o.ImagePos2D && !d.ImagePos2D {
		s += " --pos2d"
	}
	return s
}
