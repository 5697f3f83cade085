package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"xprompt/protocol"
)

func init() {
	register("compare", "pair two evaluations of the same queries: B − A per family and group", runCompare)
}

// runCompare implements `xprompt compare A B [--method M] [--json]`, where A
// and B are `xprompt evaluate --out` folders (or their evaluation.json).
func runCompare(args []string) error {
	fs := newFlags("compare", "A B [--method xprompt] [--json]   (A, B: xprompt evaluate --out folders)")
	method := fs.String("method", string(protocol.XPrompt), "the method compared (a column of both tables: xprompt, no_context, causal_trained, …)")
	asJSON := fs.Bool("json", false, "print the comparison as JSON")
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(paths) != 2 {
		return fmt.Errorf("%w: want two evaluations (folders written by xprompt evaluate --out), got %d", errUsage, len(paths))
	}
	m := protocol.Method(*method)
	if !slices.Contains(protocol.Methods, m) {
		return fmt.Errorf("%w: --method %q: want one of %v", errUsage, *method, protocol.Methods)
	}
	a, err := protocol.ReadTable(paths[0])
	if err != nil {
		return err
	}
	b, err := protocol.ReadTable(paths[1])
	if err != nil {
		return err
	}
	v, err := protocol.Compare(a, b, m)
	if err != nil {
		return err
	}
	if *asJSON {
		js, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		fmt.Println(string(js))
		return nil
	}
	fmt.Fprint(os.Stdout, v.Markdown())
	return nil
}
