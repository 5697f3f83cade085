// Package xpmagic holds the X-Prompt magics of the cells; importing it
// registers them with package session (cmd/xprompt does, for the REPL and
// the kernel). They step through X-Prompt: %load binds a model as m, %task
// shows task families and examples (ex), %prompt builds an in-context
// prompt p, %mask and %attn draw its attention mask and weights, %compress
// turns it stage by stage into the compressed prompt cp, %gen generates and
// scores its target, %train trains m further with live progress
// (interruptible at step boundaries) and %save writes a checkpoint. They
// read m and p from the cells' variables and never end the session: bad
// arguments are usage errors (Session.UsageError), panics become cell
// errors naming the magic (the session's guard).
//
// One file per stage: magics.go (the table, %load, %save, argument
// parsing), prompt.go (%task, %prompt, %mask, %attn), compress.go
// (%compress), gen.go (%gen), train.go (%train). help/NAME.md is the usage
// line and help text of each, embedded in the binary.
package xpmagic
