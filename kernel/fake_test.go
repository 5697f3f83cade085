package kernel

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"xprompt/display"
)

// fakePNG is the "image" the fake evaluator displays; its base64 form is
// checked against a hand-encoded string.
var fakePNG = []byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff}

// fakePNGBase64 is base64(fakePNG), encoded by hand: 89 50 4e 47 0d 0a 1a 0a
// 00 ff → "iVBORw0KGgoA/w==".
const fakePNGBase64 = "iVBORw0KGgoA/w=="

// fakeEvaluator runs a tiny line language, one command per line:
//
//	out TEXT            stdout "TEXT\n"
//	err TEXT            stderr "TEXT\n"
//	display ID TEXT     display text with id ID ("-" for none)
//	update ID TEXT      update display ID
//	png                 display fakePNG
//	value TEXT          result: text/plain TEXT and image/png fakePNG
//	fail NAME VALUE     return a *display.CellError with a two-line traceback
//	plainerr MSG        return errors.New(MSG)
//	panic MSG           panic(MSG)
//	block               wait until the cell's context is cancelled
//	gate                wait until the test sends on gate (or cancellation)
//	flood N             N KiB of stdout in 1 KiB writes
//	lines N             stdout "line 0\n" … "line N-1\n", one write each
//
// It records every cell it runs.
type fakeEvaluator struct {
	gate    chan struct{}
	started chan string // receives each cell's code as it starts, if non-nil

	mu  sync.Mutex
	ran []string
}

func newFake() *fakeEvaluator {
	return &fakeEvaluator{gate: make(chan struct{}), started: make(chan string, 64)}
}

func (f *fakeEvaluator) executed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ran...)
}

func (f *fakeEvaluator) Eval(ctx context.Context, code string, sink display.Sink) (*display.Bundle, error) {
	f.mu.Lock()
	f.ran = append(f.ran, code)
	f.mu.Unlock()
	select {
	case f.started <- code:
	default:
	}
	var result *display.Bundle
	for _, line := range strings.Split(code, "\n") {
		cmd, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch cmd {
		case "":
		case "out":
			sink.Stream("stdout", rest+"\n")
		case "err":
			sink.Stream("stderr", rest+"\n")
		case "display", "update":
			id, text, _ := strings.Cut(rest, " ")
			if id == "-" {
				id = ""
			}
			sink.Display(display.Text(text), id, cmd == "update")
		case "png":
			sink.Display(display.Bundle{Data: map[string]any{display.MIMEPNG: fakePNG}}, "", false)
		case "value":
			result = &display.Bundle{
				Data:     map[string]any{display.MIMEText: rest, display.MIMEPNG: fakePNG},
				Metadata: map[string]any{display.MIMEPNG: map[string]any{"width": 2}},
			}
		case "fail":
			name, value, _ := strings.Cut(rest, " ")
			return nil, &display.CellError{Name: name, Value: value, Traceback: []string{"line 1", name + ": " + value}}
		case "plainerr":
			return nil, errors.New(rest)
		case "panic":
			panic(rest)
		case "block":
			<-ctx.Done()
			return nil, ctx.Err()
		case "flood":
			n, _ := strconv.Atoi(rest)
			chunk := strings.Repeat("x", 1023) + "\n"
			for range n {
				sink.Stream("stdout", chunk)
			}
		case "lines":
			n, _ := strconv.Atoi(rest)
			for i := range n {
				sink.Stream("stdout", "line "+strconv.Itoa(i)+"\n")
			}
		case "gate":
			select {
			case <-f.gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		default:
			return nil, &display.CellError{Name: "SyntaxError", Value: "unknown command " + cmd}
		}
	}
	return result, nil
}

var fakeNames = []string{"Print", "Printf", "Println", "Sprint"}

// wordBefore returns the byte offset where the identifier ending at cursor
// starts.
func wordBefore(code string, cursor int) int {
	start := cursor
	for start > 0 {
		r := rune(code[start-1])
		if r >= 0x80 || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') {
			break
		}
		start--
	}
	return start
}

func (f *fakeEvaluator) Complete(code string, cursor int) ([]string, int, int) {
	start := wordBefore(code, cursor)
	var out []string
	for _, n := range fakeNames {
		if strings.HasPrefix(n, code[start:cursor]) {
			out = append(out, n)
		}
	}
	return out, start, cursor
}

func (f *fakeEvaluator) Inspect(code string, cursor int) (display.Bundle, bool) {
	word := code[wordBefore(code, cursor):cursor]
	for _, n := range fakeNames {
		if n == word {
			return display.Text("func " + n + "(a ...any)"), true
		}
	}
	return display.Bundle{}, false
}

func (f *fakeEvaluator) IsComplete(code string) (string, string) {
	switch open := strings.Count(code, "{") - strings.Count(code, "}"); {
	case open > 0:
		return display.Incomplete, strings.Repeat("\t", open)
	case open < 0:
		return display.Invalid, ""
	}
	return display.Complete, ""
}
