package symbols

//go:generate go run xprompt/session/internal/symgen/gensymbols xprompt/core xprompt/ops xprompt/img xprompt/display xprompt/view xprompt/model xprompt/infer xprompt/tasks xprompt/metrics xprompt/train xprompt/data

import (
	_ "embed"
	"reflect"
)

// Symbols maps "importpath/name" (as yaegi's interp.Use expects) to the
// exported symbols of that package. The generated files fill it from init.
var Symbols = map[string]map[string]reflect.Value{}

// Docs is the JSON documentation index generated beside the tables: import
// path → {name, doc, symbols: {"Tensor.Shape": {kind, sig, doc}}}.
//
//go:embed docs.json
var Docs []byte
