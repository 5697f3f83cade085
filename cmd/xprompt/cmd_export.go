package main

import (
	"bytes"
	"fmt"
	"os"

	"xprompt/interop/safetensors"
	"xprompt/model"
)

func init() {
	register("export", "write a compact float16 copy of a checkpoint, or its weights as safetensors for PyTorch", runExport)
}

// runExport implements `xprompt export [--format xpm|safetensors] IN OUT`:
// xpm is a float16 checkpoint (weights and tokenizers); safetensors is the
// model's float32 weights with its configuration in the header, which
// interop/torch/xprompt_torch.py loads. --ema writes the run's moving
// average of the weights (train --ema) instead of its last weights.
func runExport(args []string) error {
	fs := newFlags("export", "[--format xpm|safetensors] [--ema] IN.ckpt OUT")
	format := fs.String("format", "xpm", "xpm (float16 checkpoint) or safetensors (float32 weights and config, for PyTorch)")
	ema := fs.Bool("ema", false, "write the moving average of the weights that train --ema kept, not the last weights")
	if err := parseFlags(fs, args, nArgs(2, 2, "IN OUT")); err != nil {
		return err
	}
	if *format != "xpm" && *format != "safetensors" {
		return fmt.Errorf("%w: --format %q (want xpm or safetensors)", errUsage, *format)
	}
	in, out := fs.Arg(0), fs.Arg(1)
	ck, err := model.Load(in)
	if err != nil {
		return err
	}
	if *ema {
		if err := ck.UseAverage(); err != nil {
			return fmt.Errorf("export --ema %s: %w", in, err)
		}
	}
	if *format == "safetensors" {
		var buf bytes.Buffer
		if err := safetensors.WriteModel(&buf, ck.Model); err != nil {
			return err
		}
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Printf("wrote %s (%d bytes, float32 safetensors, %d parameters)\n", out, buf.Len(), ck.Model.Params.Count())
		return nil
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
