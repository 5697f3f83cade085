// Command gensymbols writes, into the current directory, the yaegi symbol
// tables of the packages named on its command line and their documentation
// index (docs.json). It runs from the //go:generate line of
// session/symbols/symbols.go:
//
//	go generate ./session/symbols/
package main

import (
	"fmt"
	"os"

	"xprompt/session/internal/symgen"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gensymbols IMPORTPATH...")
		os.Exit(2)
	}
	if err := symgen.Generate(".", os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gensymbols:", err)
		os.Exit(1)
	}
}
