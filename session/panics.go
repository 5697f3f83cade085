package session

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// yaegi reports where a panic unwound only by the function it left (for a
// cell's statements: the start of the chunk), and some panics with the
// message of the reflect call that failed ("reflect: slice index out of
// range"). So statement chunks are instrumented to record the line of the
// statement that runs, and the messages are translated into the Go
// runtime's.

// lineVar is the interpreter variable that holds the cell line of the
// statement running in the cell's body.
const lineVar = "_xpLine"

// insertion is text inserted before column col (1-based, of the cell) on a
// line of the cell.
type insertion struct {
	line, col, n int
}

// lineMarks inserts "_xpLine=L;" before every statement of the statement
// chunk text (the cell's bytes from the chunk's start, at line and column
// of the cell), in the body and the blocks nested in it, but not in
// function literals (they may run on other goroutines). It returns the new
// text and the insertions, to map positions in it back to the cell. When
// the text does not parse it is returned unchanged.
func lineMarks(text string, line, column int) (string, []insertion) {
	src := "package p;func _(){\n" + text + "\n}"
	const head = len("package p;func _(){\n")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return text, nil
	}
	var offs []int
	var visit func(list []ast.Stmt)
	visit = func(list []ast.Stmt) {
		for _, st := range list {
			offs = append(offs, fset.Position(st.Pos()).Offset-head)
			ast.Inspect(st, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncLit:
					return false
				case *ast.BlockStmt:
					visit(n.List)
					return false
				case *ast.CaseClause:
					visit(n.Body)
					return false
				case *ast.CommClause:
					visit(n.Body)
					return false
				}
				return true
			})
		}
	}
	visit(f.Decls[0].(*ast.FuncDecl).Body.List)
	sort.Ints(offs)
	var b strings.Builder
	var ins []insertion
	prev := 0
	for _, off := range offs {
		if off < prev || off > len(text) {
			continue
		}
		b.WriteString(text[prev:off])
		l := line + strings.Count(text[:off], "\n")
		col := off - strings.LastIndexByte(text[:off], '\n') // 1-based within its line
		if l == line {
			col += column - 1
		}
		mark := lineVar + "=" + strconv.Itoa(l) + ";"
		b.WriteString(mark)
		ins = append(ins, insertion{line: l, col: col, n: len(mark)})
		prev = off
	}
	b.WriteString(text[prev:])
	return b.String(), ins
}

// cellColumn maps column col of cell line l in the instrumented text back
// to the cell's column.
func cellColumn(ins []insertion, l, col int) int {
	shift := 0
	for _, in := range ins {
		if in.line == l && in.col+shift <= col {
			if col < in.col+shift+in.n {
				return in.col // inside the mark: the statement's start
			}
			shift += in.n
		}
	}
	return col - shift
}

// runtimeMessages translates panics that yaegi raises from reflect into the
// Go runtime's messages.
var runtimeMessages = []struct {
	re  *regexp.Regexp
	msg string
}{
	{regexp.MustCompile(`^reflect: (slice|array|string) index out of range$`), "runtime error: index out of range"},
	{regexp.MustCompile(`^reflect(?:\.Value\.Slice\S*)?: (?:slice|string) (?:index|bounds) out of (?:range|bounds)$`), "runtime error: slice bounds out of range"},
	{regexp.MustCompile(`^reflect: call of reflect\.Value\.\w+ on zero Value$`), "runtime error: invalid memory address or nil pointer dereference"},
	{regexp.MustCompile(`^reflect: call of reflect\.Value\.\w+ on nil \w+ Value$`), "runtime error: invalid memory address or nil pointer dereference"},
}

// runtimeMessage returns the Go runtime's message for a panic message of
// yaegi, or msg itself.
func runtimeMessage(msg string) string {
	for _, m := range runtimeMessages {
		if m.re.MatchString(msg) {
			return m.msg
		}
	}
	return msg
}
