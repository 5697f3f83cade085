package main

import (
	"fmt"
	"os"

	"xprompt/model"
)

func init() {
	register("export", "write a compact float16 copy of a checkpoint (weights and tokenizers only)", runExport)
}

func runExport(args []string) error {
	fs := newFlags("export", "IN.ckpt OUT.xpm")
	if err := parseFlags(fs, args, nArgs(2, 2, "IN OUT")); err != nil {
		return err
	}
	in, out := fs.Arg(0), fs.Arg(1)
	ck, err := model.Load(in)
	if err != nil {
		return err
	}
	compact := &model.Checkpoint{Model: ck.Model, Text: ck.Text, VQ: ck.VQ, Train: ck.Train}
	if err := compact.Save(out, true); err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d bytes, float16, %d parameters)\n", out, st.Size(), ck.Model.Params.Count())
	return nil
}
