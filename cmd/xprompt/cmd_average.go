package main

import (
	"bytes"
	"fmt"
	"math"
	"os"

	"xprompt/model"
)

func init() {
	register("average", "average the weights of two models trained from the same start", runAverage)
}

// runAverage implements `xprompt average [--weight W] A B OUT`: OUT is a
// float16 checkpoint whose weights are (1−W)·A + W·B (model.Average), with
// the tokenizers the two share. A model with fewer X-Prompt tokens is
// resized to the other's count first.
func runAverage(args []string) error {
	fs := newFlags("average", "[--weight W] A B OUT")
	weight := fs.Float64("weight", 0.5, "the weight of B: OUT = (1−W)·A + W·B, W in [0,1]")
	if err := parseFlags(fs, args, nArgs(3, 3, "A B OUT")); err != nil {
		return err
	}
	if math.IsNaN(*weight) || *weight < 0 || *weight > 1 {
		return fmt.Errorf("%w: --weight %v (want 0…1)", errUsage, *weight)
	}
	pa, pb, out := fs.Arg(0), fs.Arg(1), fs.Arg(2)
	a, err := model.Load(pa)
	if err != nil {
		return err
	}
	b, err := model.Load(pb)
	if err != nil {
		return err
	}
	if !bytes.Equal(a.Text, b.Text) || !bytes.Equal(a.VQ, b.VQ) {
		return fmt.Errorf("average %s %s: the two use different tokenizers, so no average of their weights reads the same codes", pa, pb)
	}
	avg, resized, err := model.Average(a.Model, b.Model, *weight)
	if err != nil {
		return fmt.Errorf("average %s %s: %w", pa, pb, err)
	}
	if resized {
		fmt.Printf("X-Prompt tokens: %d and %d; the model with fewer resized to %d first (as train --xp does)\n", a.Model.Cfg.XP, b.Model.Cfg.XP, avg.Cfg.XP)
	}
	ck := &model.Checkpoint{Model: avg, Text: b.Text, VQ: b.VQ}
	if err := ck.Save(out, true); err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s = %.3g·%s + %.3g·%s (%d bytes, float16, %d parameters)\n", out, 1-*weight, pa, *weight, pb, st.Size(), avg.Params.Count())
	return nil
}
