// Package session is the interactive layer shared by the terminal REPL and
// the Jupyter kernel: it evaluates cells of Go with yaegi, runs % magics,
// renders results as display bundles, completes, inspects, and interrupts.
//
// A Session implements display.Evaluator. Each cell is a sequence of Go
// declarations (import, func, type, var, const) and statements, in any order;
// state persists across cells. When the last item of a cell is an expression
// with one value, that value is rendered (view.Render) and returned. The
// standard library and the project's packages listed in package symbols are
// importable; DefaultImports are imported before the first cell, and
// importing a package again is a no-op.
//
// Errors in a cell never end the session: syntax and compile errors, panics
// (an operator's shape check: "ops.MatMul: inner dimensions differ: [2 3] ·
// [4 5]") and interrupts come back as *display.CellError. Output that a cell
// writes with fmt.Print… goes to the sink of that cell, and the bound
// variables sink (a display.Sink) and show (func(any), displays a value now)
// let a cell show images, tables and live progress while it runs.
//
// Cancelling the context given to Eval stops the cell: interpreted loops stop
// at their next iteration; a call into compiled code in progress finishes in
// the background and its result is dropped.
//
// Magics are lines starting with %: a registry of Magic values, each with
// usage and help text (built-in ones read theirs from help/*.md, embedded in
// the binary). Other packages add theirs from init with RegisterAll (a
// table and a folder of help files) or Register; a magic can Bind compiled
// values as variables of the cells. runMagic is the one guard: a panic in
// any magic becomes a cell error naming it, and UsageError is the one way
// to report bad arguments.
//
// The X-Prompt magics (%load, %prompt, %mask, %compress, %gen, %train, …)
// live in package xpmagic, which registers them when imported; State keeps
// their per-session values and Global reads the cells' variables.
//
// Completion covers identifiers in scope, package members, fields and
// methods of variables, and magic names. Inspect shows the signature and doc
// comment of project symbols from an index generated beside the symbol tables
// (no source tree needed), and the type and value of variables.
package session
