// Package symbols holds the interpreter's symbol tables of the project's
// packages — the compiled functions, types, constants and variables that cells
// can import — and the index of their documentation.
//
// The files xprompt-*.go and docs.json are generated. To make one more
// package importable in cells, add its import path to the go:generate line
// in symbols.go (the only list of them) and run
//
//	go generate ./session/symbols/
//
// The session tests fail while the generated files are stale.
package symbols
