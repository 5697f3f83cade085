package xpmagic

import (
	"bytes"
	"context"
	"embed"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"

	"xprompt/display"
	"xprompt/infer"
	"xprompt/model"
	"xprompt/session"
	"xprompt/train"
	"xprompt/view"
)

//go:embed help/*.md
var helpFS embed.FS

// magics is the table of the X-Prompt magics; help/NAME.md holds the usage
// line and help text of each.
var magics = map[string]session.MagicFunc{
	"load":     runLoad,
	"task":     runTask,
	"prompt":   runPrompt,
	"mask":     runMask,
	"attn":     runAttn,
	"compress": runCompress,
	"gen":      runGen,
	"train":    runTrain,
	"save":     runSave,
}

func init() { session.RegisterAll(helpFS, magics) }

// modelState is what the model magics keep between cells, one per session.
type modelState struct {
	loaded *infer.Engine     // the engine %load bound last
	ck     *model.Checkpoint // the checkpoint it came from (nil for the default)
	run    *train.Run        // %train's run, training runEng's model
	runEng *infer.Engine

	prompt    *infer.Prompt // the prompt %prompt bound last, made with promptEng
	promptEng *infer.Engine
	comp      *compression // %compress's progress, for one prompt and engine
	draws     uint64       // %task draws without --seed so far
}

// stateKey is the key of modelState in a session (Session.State).
type stateKey struct{}

// models returns the session's model-magic state. The magics use it only
// while their cell runs, one cell at a time.
func models(s *session.Session) *modelState {
	return s.State(stateKey{}, func() any { return &modelState{} }).(*modelState)
}

// engine returns the model bound as m.
func engine(s *session.Session) (*infer.Engine, error) {
	v, ok := s.Global("m")
	if !ok {
		return nil, fmt.Errorf("no model: run %%load first")
	}
	e, ok := v.(*infer.Engine)
	if !ok || e == nil {
		return nil, fmt.Errorf("no model: m is a %T, not an *infer.Engine; run %%load first", v)
	}
	return e, nil
}

// currentPrompt returns the model m and the prompt bound as p, which must
// have been made for m.
func currentPrompt(s *session.Session) (*infer.Engine, *infer.Prompt, error) {
	e, err := engine(s)
	if err != nil {
		return nil, nil, err
	}
	v, ok := s.Global("p")
	if !ok {
		return nil, nil, fmt.Errorf("no prompt: run %%prompt TASK first")
	}
	p, ok := v.(*infer.Prompt)
	if !ok {
		return nil, nil, fmt.Errorf("no prompt: p is a %T, not an *infer.Prompt; run %%prompt TASK first", v)
	}
	if p == nil || p.Seq == nil {
		return nil, nil, fmt.Errorf("no prompt: p is empty; make one with %%prompt TASK or m.NewPrompt")
	}
	if st := models(s); p == st.prompt && st.promptEng != e {
		return nil, nil, fmt.Errorf("p was built for another model than m; run %%prompt again")
	}
	return e, p, nil
}

// splitArgs splits a magic's arguments at white space; a double-quoted
// argument may hold spaces ("my file.xpm").
func splitArgs(args string) ([]string, error) {
	var out []string
	rest := strings.TrimSpace(args)
	for rest != "" {
		if rest[0] == '"' {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return nil, fmt.Errorf("unterminated quoted argument %s", rest)
			}
			a, _ := strconv.Unquote(q)
			out = append(out, a)
			rest = strings.TrimLeftFunc(rest[len(q):], unicode.IsSpace)
			continue
		}
		i := strings.IndexFunc(rest, unicode.IsSpace)
		if i < 0 {
			i = len(rest)
		}
		out = append(out, rest[:i])
		rest = strings.TrimLeftFunc(rest[i:], unicode.IsSpace)
	}
	return out, nil
}

// parseArgs parses flags (anywhere among the arguments, -f or --f) with fs
// and returns the positional arguments. Errors are usage errors of the magic
// that name the argument.
func parseArgs(s *session.Session, name, args string, fs *flag.FlagSet) ([]string, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	rest, err := splitArgs(args)
	if err != nil {
		return nil, s.UsageError(name, "%v", err)
	}
	var pos []string
	for {
		if err := fs.Parse(rest); err != nil {
			return nil, s.UsageError(name, "%v", err)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		rest = rest[1:]
	}
}

// newFlags returns an empty flag set for magic name.
func newFlags(name string) *flag.FlagSet { return flag.NewFlagSet("%"+name, flag.ContinueOnError) }

// runLoad implements %load [default|PATH].
func runLoad(_ context.Context, s *session.Session, args string, _ display.Sink) (*display.Bundle, error) {
	pos, err := parseArgs(s, "load", args, newFlags("load"))
	if err != nil {
		return nil, err
	}
	if len(pos) > 1 {
		return nil, s.UsageError("load", "one model expected, got %d arguments %q", len(pos), pos)
	}
	src := "default"
	if len(pos) == 1 {
		src = pos[0]
	}
	var e *infer.Engine
	var ck *model.Checkpoint
	if src == "default" {
		e, err = infer.Default()
	} else if ck, err = model.Load(src); err == nil {
		e, err = infer.FromCheckpoint(ck, src)
	}
	if err != nil {
		return nil, err
	}
	st := models(s)
	*st = modelState{loaded: e, ck: ck, draws: st.draws, prompt: st.prompt, promptEng: st.promptEng}
	if err := s.Bind("m", e); err != nil {
		return nil, err
	}
	t := modelTable(e)
	t.Title = "m: model loaded from " + e.Source
	if ck != nil && ck.Optim != nil {
		t.Add("optimizer state", fmt.Sprintf("AdamW after %d steps (%%train resumes it)", ck.Optim.Steps))
	}
	b := t.Display()
	return &b, nil
}

// modelTable describes a model: preset, size and layout.
func modelTable(e *infer.Engine) *view.Table {
	c := e.Model.Cfg
	t := view.NewTable("property", "value")
	t.Add("preset", c.Preset)
	t.Add("parameters", view.GroupDigits(int64(e.Model.Params.Count())))
	t.Add("layers × width", fmt.Sprintf("%d × %d (%d heads, SwiGLU %d)", c.Layers, c.D, c.Heads, c.Hidden))
	t.Add("X-Prompt tokens", c.XP)
	t.Add("vocabulary", fmt.Sprintf("%d (%d text, %d image codes, %d special)", c.Vocab.Size(), c.Vocab.TextSize, c.Vocab.Codes, model.NumSpecials))
	t.Add("images", fmt.Sprintf("%d×%d pixels → %d×%d codes", c.ImageSize, c.ImageSize, c.ImageSide, c.ImageSide))
	t.Add("source", e.Source)
	return t
}

// vqBlob returns the serialisation of the engine's image tokenizer: the
// bytes of the checkpoint it was loaded from, or a fresh float32 one.
func vqBlob(s *session.Session, e *infer.Engine) ([]byte, error) {
	if st := models(s); st.ck != nil && st.loaded == e && len(st.ck.VQ) > 0 {
		return st.ck.VQ, nil
	}
	var buf bytes.Buffer
	if err := e.VQ.Save(&buf); err != nil {
		return nil, fmt.Errorf("image tokenizer: %w", err)
	}
	return buf.Bytes(), nil
}

// runSave implements %save PATH.
func runSave(_ context.Context, s *session.Session, args string, _ display.Sink) (*display.Bundle, error) {
	pos, err := parseArgs(s, "save", args, newFlags("save"))
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, s.UsageError("save", "one PATH expected, got %d arguments", len(pos))
	}
	path := pos[0]
	e, err := engine(s)
	if err != nil {
		return nil, err
	}
	st := models(s)
	what := "weights and tokenizers"
	switch {
	case st.run != nil && st.runEng == e:
		if err := st.run.Save(path); err != nil {
			return nil, err
		}
		what = fmt.Sprintf("weights, tokenizers and training state at step %d", st.run.Step)
	default:
		tb, err := e.Text.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("text tokenizer: %w", err)
		}
		vb, err := vqBlob(s, e)
		if err != nil {
			return nil, err
		}
		ck := &model.Checkpoint{Model: e.Model, Text: tb, VQ: vb}
		if st.ck != nil && st.loaded == e {
			ck.Optim, ck.Train = st.ck.Optim, st.ck.Train // kept from the loaded file
			if ck.Optim != nil {
				what = "weights, tokenizers and the loaded optimizer state"
			}
		}
		if err := ck.Save(path, false); err != nil {
			return nil, err
		}
	}
	size := int64(-1)
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	b := display.Text(fmt.Sprintf("saved m to %s (%s bytes: %s)", path, view.GroupDigits(size), what))
	return &b, nil
}
