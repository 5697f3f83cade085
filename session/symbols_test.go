package session

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"xprompt/session/internal/symgen"
)

// TestSymbolsUpToDate regenerates the symbol tables and the documentation
// index of the packages on the go:generate line of symbols/symbols.go and
// fails when the files in symbols/ differ: run `go generate ./session/symbols/`.
func TestSymbolsUpToDate(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("symbols", "symbols.go"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := symgen.ParseGenerateLine(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"xprompt/core", "xprompt/ops", "xprompt/img", "xprompt/display"} {
		if !slices.Contains(pkgs, p) {
			t.Errorf("the go:generate line lacks %s", p)
		}
	}
	const fix = "stale: run `go generate ./session/symbols/`"
	// Extraction type-checks each package from source: run them together.
	fresh := make([][]byte, len(pkgs))
	errs := make([]error, len(pkgs))
	var wg sync.WaitGroup
	for i, p := range pkgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fresh[i], errs[i] = symgen.Extract(p)
		}()
	}
	wg.Wait()
	var want []string
	for i, p := range pkgs {
		name := symgen.FileName(p)
		want = append(want, name)
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		old, err := os.ReadFile(filepath.Join("symbols", name))
		if err != nil {
			t.Errorf("symbols/%s: %v (%s)", name, err, fix)
			continue
		}
		if !bytes.Equal(dropBuildLines(fresh[i]), dropBuildLines(old)) {
			t.Errorf("symbols/%s is %s", name, fix)
		}
	}
	slices.Sort(want)
	have, err := symgen.GeneratedFiles("symbols")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(have, want) {
		t.Errorf("generated tables %v, want %v (%s)", have, want, fix)
	}
	docs, err := symgen.DocIndex(pkgs)
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(filepath.Join("symbols", symgen.DocsFile))
	if err != nil || !bytes.Equal(docs, old) {
		t.Errorf("symbols/%s is %s (%v)", symgen.DocsFile, fix, err)
	}
}

// dropBuildLines removes the build constraint lines, which name the Go
// version that generated the file.
func dropBuildLines(b []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("//go:build ")) || bytes.HasPrefix(l, []byte("// +build ")) {
			continue
		}
		out = append(out, l)
	}
	return bytes.Join(out, []byte("\n"))
}

func TestParseGenerateLine(t *testing.T) {
	src := []byte("package x\n\n//go:generate go run xprompt/session/internal/symgen/gensymbols a/b c\n")
	got, err := symgen.ParseGenerateLine(src)
	if err != nil || !slices.Equal(got, []string{"a/b", "c"}) {
		t.Errorf("ParseGenerateLine = %v, %v", got, err)
	}
	if _, err := symgen.ParseGenerateLine([]byte("package x\n")); err == nil {
		t.Error("no go:generate line: want an error")
	}
}
