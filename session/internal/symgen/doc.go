// Package symgen generates the interpreter's view of the project's packages:
// one yaegi symbol table per package (the output of yaegi's extract, the same
// code that `yaegi extract` runs) and a JSON index of their doc comments and
// signatures, so that cells can call the compiled packages and the installed
// binary can show documentation without the source tree.
//
// The list of packages lives in one place: the //go:generate line of
// session/symbols/symbols.go. ParseGenerateLine reads it back for the test
// that fails when the generated files are stale.
package symgen
