package session

import (
	"go/token"
	"reflect"
	"unsafe"

	"github.com/traefik/yaegi/interp"
)

// Memory per cell. yaegi v0.16.1 appends the AST root of every evaluation
// to Interpreter.roots, which only its debugger reads, so every cell's
// parsed and compiled nodes stay reachable forever (about 4–9 KB a short
// cell: 10,000 cells through the kernel grew its RSS by 180 MB). What a cell
// defines stays reachable through the interpreter's scopes and frame; the
// list itself is dropped after each evaluation that finished.
//
// Not fixed here: yaegi evaluates a func literal by copying the frame of
// its scope, and at the top level of a cell that is the global frame, whose
// copy stays in a global slot for good. A cell such as
// "go func() { … }()" therefore keeps O(cells so far) bytes, and memory
// grows quadratically with such cells (about 10 KB a cell after 800 cells).
// Func literals inside declared functions do not have this cost; the rewrite
// of go statements (goroutines.go) adds none.

// rootsField is the index of Interpreter.roots, or -1 when this yaegi has no
// such field of the expected type (the trim is then skipped; the
// staleness of this hack is caught by TestMemoryPerCellBounded).
var rootsField = func() int {
	f, ok := reflect.TypeFor[interpreterLayout]().FieldByName("roots")
	if !ok {
		return -1
	}
	return f.Index[0]
}()

// interpreterLayout is the type whose roots field is trimmed.
type interpreterLayout = interp.Interpreter

// dropRoots empties the interpreter's list of evaluation roots.
func (s *Session) dropRoots() {
	if rootsField < 0 {
		return
	}
	f := reflect.ValueOf(s.in).Elem().Field(rootsField)
	if f.Kind() != reflect.Slice {
		return
	}
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().SetZero()
}

// Temporaries. yaegi keeps every value a cell's top-level code computes in a
// slot of its global frame: the result of each call and expression, the
// tensor a cell displayed, the arguments of a call that failed. Slots are
// never reused, so every such value stayed reachable for the life of the
// session (a cell printing a 4 MB tensor kept 4 MB for good). After an
// evaluation that finished, the slots it added that no symbol names are
// given fresh zero values: named variables (at any block depth of the top
// level) keep theirs, and values handed out (the result shown, a pointer
// taken) stay valid, as only the frame's reference is dropped.

// globalFrame returns yaegi's global frame data, or nil when this yaegi is
// not laid out as expected (the clearing is then skipped; the staleness of
// this hack is caught by TestTemporariesAreReleased).
func (s *Session) globalFrame() []reflect.Value {
	in := reflect.ValueOf(s.in).Elem()
	f := in.FieldByName("frame")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return nil
	}
	data := f.Elem().FieldByName("data")
	if !data.IsValid() || data.Type() != reflect.TypeFor[[]reflect.Value]() {
		return nil
	}
	return *(*[]reflect.Value)(unsafe.Pointer(data.UnsafeAddr()))
}

// namedSlots returns the global frame indexes that symbols of the top level
// (the universe and package scopes and the blocks inside them) refer to, and
// the indexes of the session's own result variables (resultVars).
func (s *Session) namedSlots() (named map[int]bool, results map[string]int, ok bool) {
	in := reflect.ValueOf(s.in).Elem()
	u := in.FieldByName("universe")
	scopes := in.FieldByName("scopes")
	if !u.IsValid() || u.Kind() != reflect.Pointer || !scopes.IsValid() || scopes.Kind() != reflect.Map {
		return nil, nil, false
	}
	named, results, ok = map[int]bool{}, map[string]int{}, true
	var walk func(sc reflect.Value)
	seen := map[uintptr]bool{}
	walk = func(sc reflect.Value) {
		if sc.IsNil() || seen[sc.Pointer()] {
			return
		}
		seen[sc.Pointer()] = true
		e := sc.Elem()
		level, sym, child := e.FieldByName("level"), e.FieldByName("sym"), e.FieldByName("child")
		if !level.IsValid() || !sym.IsValid() || sym.Kind() != reflect.Map || !child.IsValid() || child.Kind() != reflect.Slice {
			ok = false
			return
		}
		if level.Int() != 0 {
			return // a function's own frame
		}
		for it := sym.MapRange(); it.Next(); {
			v := it.Value()
			if v.Kind() != reflect.Pointer || v.IsNil() {
				continue
			}
			idx := v.Elem().FieldByName("index")
			if !idx.IsValid() || idx.Kind() != reflect.Int {
				ok = false
				return
			}
			if i := int(idx.Int()); i >= 0 {
				named[i] = true
				if k := it.Key().String(); k == lastVar || k == boxedVar {
					results[k] = i
				}
			}
		}
		for i := range child.Len() {
			walk(child.Index(i))
		}
	}
	walk(u)
	for it := scopes.MapRange(); it.Next(); {
		walk(it.Value())
	}
	return named, results, ok
}

// releaseTemporaries gives the unnamed global slots from index from on
// fresh zero values, and the previous cell result's slot once lastVar (or
// boxedVar) names another (only the session's own code reads them). Call it
// only when the
// evaluation that made them is over.
func (s *Session) releaseTemporaries(from int) {
	data := s.globalFrame()
	if from >= len(data) {
		return
	}
	named, results, ok := s.namedSlots()
	if !ok {
		return
	}
	release := func(i int) {
		if i >= 0 && i < len(data) && !named[i] && data[i].IsValid() {
			data[i] = reflect.New(data[i].Type()).Elem()
		}
	}
	for i := from; i < len(data); i++ {
		release(i)
	}
	for k, i := range results {
		if prev, seen := s.resultSlots[k]; seen && prev != i {
			release(prev)
		}
		s.resultSlots[k] = i
	}
}

// Source files and scopes. yaegi adds every evaluated source to its
// token.FileSet (line tables, kept to print positions) and every block
// scope to its parent's list of children (read by nothing), so both grew
// with every cell. After an evaluation that finished, the files it added are
// removed when its source has no function (whose code could run later and
// name a position), and the top-level scopes forget their children.

// fileSet returns yaegi's file set, or nil when this yaegi is not laid out
// as expected.
func (s *Session) fileSet() *token.FileSet {
	f := reflect.ValueOf(s.in).Elem().FieldByName("fset")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*token.FileSet]() {
		return nil
	}
	return *(**token.FileSet)(unsafe.Pointer(f.UnsafeAddr()))
}

// dropFiles removes the files added to yaegi's file set from base on.
func (s *Session) dropFiles(base int) {
	fs := s.fileSet()
	if fs == nil {
		return
	}
	var added []*token.File
	fs.Iterate(func(f *token.File) bool {
		if f.Base() >= base {
			added = append(added, f)
		}
		return true
	})
	for _, f := range added {
		fs.RemoveFile(f)
	}
}

// pruneScopes empties the child lists of the universe and package scopes.
func (s *Session) pruneScopes() {
	in := reflect.ValueOf(s.in).Elem()
	prune := func(sc reflect.Value) {
		if sc.Kind() != reflect.Pointer || sc.IsNil() {
			return
		}
		c := sc.Elem().FieldByName("child")
		if c.IsValid() && c.Kind() == reflect.Slice {
			reflect.NewAt(c.Type(), unsafe.Pointer(c.UnsafeAddr())).Elem().SetZero()
		}
	}
	if u := in.FieldByName("universe"); u.IsValid() {
		prune(u)
	}
	if scopes := in.FieldByName("scopes"); scopes.IsValid() && scopes.Kind() == reflect.Map {
		for it := scopes.MapRange(); it.Next(); {
			prune(it.Value())
		}
	}
}
