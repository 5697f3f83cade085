package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"xprompt/img"
	"xprompt/tasks"
)

func init() {
	register("tasks", "list the task families, or show examples of one", runTasks)
}

// familyRecord is one line of `xprompt tasks --json`.
type familyRecord struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	HeldOut bool   `json:"held_out"`
	Reverse string `json:"reverse"`
	// Parameterised: the instruction names something drawn per example
	// (tasks.Family.Parameterised).
	Parameterised bool `json:"parameterised"`
	// Shareable: a prompt's examples can make the query's own edit
	// (tasks.Family.Bindable; evaluate and train --shared-params).
	Shareable bool `json:"shareable"`
}

func runTasks(args []string) error {
	if len(args) > 0 && args[0] == "show" {
		return runTasksShow(args[1:])
	}
	// 'xprompt tasks NAME' is read as 'xprompt tasks show NAME'.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if _, err := tasks.ByName(args[0]); err == nil {
			return runTasksShow(args)
		}
	}
	fs := newFlags("tasks", "[--json] | show NAME [--out FILE.png] [--n 4] [--seed S] [--size 32]")
	asJSON := fs.Bool("json", false, "one JSON object per family and line")
	if err := parseFlags(fs, args, anyArgs); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q ('xprompt tasks' lists the families, 'xprompt tasks show NAME' shows one)", errUsage, fs.Arg(0))
	}
	return listFamilies(os.Stdout, *asJSON)
}

// listFamilies writes every family as JSON lines or as a table.
func listFamilies(w io.Writer, asJSON bool) error {
	fams := tasks.All()
	if asJSON {
		enc := json.NewEncoder(w)
		for _, f := range fams {
			_, shareable := f.Bindable()
			if err := enc.Encode(familyRecord{Name: f.Name, Kind: f.Kind, HeldOut: f.HeldOut, Reverse: f.Reverse, Parameterised: f.Parameterised(), Shareable: shareable}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tSPLIT\tREVERSE\tINVERTIBLE\tPARAMETERISED\tSHAREABLE")
	for _, f := range fams {
		split, rev, inv, param, share := "seen", f.Reverse, "", "", ""
		if f.HeldOut {
			split = "held-out"
		}
		if rev == "" {
			rev = "-"
		}
		if f.Invertible {
			inv = "yes"
		}
		if f.Parameterised() {
			param = "yes"
		}
		if _, ok := f.Bindable(); ok {
			share = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, f.Kind, split, rev, inv, param, share)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nParameterised: the instruction names something drawn per example (an object, a colour,\n"+
		"an amount, a place), so an example of the family shows another; without its instruction a\n"+
		"query of it has no single answer (train --hide-determined-only keeps these instructions).\n"+
		"Shareable: a prompt's example can make the query's own edit (the same object, colour, place or\n"+
		"amount) on another scene (evaluate and train --shared-params; tasks show NAME --shared); a\n"+
		"palette permutation's example holds the query's colours (train --palette-shared).\n"+
		"\nExample-only families, a new task per seed (the instruction names only its number):\n"+
		"palette_perm_SEED and tone_curve_SEED (global), overlay_SEED (low-level), stamp_SEED (edit), each\n"+
		"with its _inv, and dense_SEED (dense map). Try: xprompt tasks show stamp_7 --out stamp.png")
	return err
}

func runTasksShow(args []string) error {
	fs := newFlags("tasks show", "NAME [--out FILE.png] [--n 4] [--seed S] [--size 32] [--shared]")
	out := fs.String("out", "", "PNG file for the example grid (default NAME.png)")
	n := fs.Int("n", 4, "number of examples")
	seed := fs.Uint64("seed", 1, "random seed")
	size := fs.Int("size", 32, "image side in pixels")
	scale := fs.Int("scale", 4, "nearest-neighbour upscaling of the grid")
	shared := fs.Bool("shared", false, "every example makes the same edit (the same object, colour, place or amount) on its own scene, as a prompt does under --shared-params")
	// Flags may come before or after NAME.
	if err := parseFlags(fs, args, anyArgs); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: tasks show needs a family name (see 'xprompt tasks')", errUsage)
	}
	name := fs.Arg(0)
	if err := parseFlags(fs, fs.Args()[1:], anyArgs); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *n < 1 || *n > 64 || *size < tasks.MinSize || *size > 256 || *scale < 1 || *scale > 16 {
		return fmt.Errorf("%w: need 1 ≤ n ≤ 64, %d ≤ size ≤ 256, 1 ≤ scale ≤ 16", errUsage, tasks.MinSize)
	}
	fam, err := tasks.ByName(name)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *shared {
		if _, ok := fam.Bindable(); !ok {
			return fmt.Errorf("%w: --shared: %s cannot share its parameters between examples (see the SHAREABLE column of 'xprompt tasks')", errUsage, fam.Name)
		}
		fam = fam.Bind(*seed)
	}
	if *out == "" {
		*out = name + ".png"
	}
	rng := tasks.NewRand(*seed)
	exs := make([]tasks.Example, *n)
	for i := range exs {
		exs[i] = fam.Sample(rng, *size)
	}
	if err := img.SavePNG(*out, tasks.Sheet(exs, *scale)); err != nil {
		return err
	}
	fmt.Printf("%s — %d example(s), columns input | output, written to %s\n", fam, *n, *out)
	for i, e := range exs {
		fmt.Printf("%d. %s\n", i+1, e.Instruction)
		if e.Text != "" && e.Output == nil {
			fmt.Printf("   target text: %s\n", e.Text)
		}
		if e.Description != "" {
			fmt.Printf("   change: %s\n", e.Description)
		}
	}
	return nil
}
