package infer

import (
	"fmt"
	"math/rand/v2"

	"xprompt/data"
	"xprompt/model"
	"xprompt/tasks"
)

// Prompt is an in-context prompt of one task: Examples (the in-context
// examples, IE) and a Query (TD) whose output is the ground truth, tokenised
// and laid out as Seq = [BOS][IE][XP][TD] with the query's target, the
// sequence a model trains on. Prefix gives what compression prefills and
// Sequence the layout of the baselines.
type Prompt struct {
	Task     string
	Examples []tasks.Example
	Query    tasks.Example
	// Seq is the X-Prompt layout, target included.
	Seq *model.Sequence

	builder *model.Builder
	pairs   []model.Pair // the examples' pairs, then the query's
}

// NewPrompt draws n in-context examples and one query of the task family
// from seed and lays them out. The draw is Evaluate's with Examples n and
// one query: the same seed gives the same examples and query.
func (e *Engine) NewPrompt(task string, n int, seed uint64) (*Prompt, error) {
	f, err := tasks.ByName(task)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("prompt: %d in-context examples", n)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0xe7a1))
	all := data.SampleExamples(f, false, n+1, rng, e.ImageSize())
	return e.PromptOf(f.Name, all[:n], all[n])
}

// PromptOf lays out the given examples and query as a prompt of task.
func (e *Engine) PromptOf(task string, examples []tasks.Example, query tasks.Example) (*Prompt, error) {
	exs := append(append([]tasks.Example(nil), examples...), query)
	ps, err := e.Pairs(exs)
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", task, err)
	}
	p := &Prompt{Task: task, Examples: exs[:len(examples)], Query: query, builder: e.Builder(), pairs: ps}
	if p.Seq, err = p.Sequence(model.ModeXPrompt); err != nil {
		return nil, err
	}
	return p, nil
}

// Sequence lays the prompt out in mode, the query's target included:
// [BOS][IE][XP][TD] (xprompt), [BOS][IE][TD] (causal) or [BOS][TD] (none).
func (p *Prompt) Sequence(mode model.Mode) (*model.Sequence, error) {
	p.check("Sequence")
	n := len(p.pairs) - 1
	s, err := p.builder.Build(p.pairs[:n], p.pairs[n], mode)
	if err != nil {
		return nil, fmt.Errorf("prompt %s (%s): %w", p.Task, mode, err)
	}
	return s, nil
}

// Prefix lays out the context part [BOS][IE][XP] in mode: what
// Model.Compress prefills.
func (p *Prompt) Prefix(mode model.Mode) (*model.Sequence, error) {
	p.check("Prefix")
	s, err := p.builder.Prefix(p.pairs[:len(p.pairs)-1], mode)
	if err != nil {
		return nil, fmt.Errorf("prompt %s (%s): %w", p.Task, mode, err)
	}
	return s, nil
}

// String summarises the prompt: task, examples and sequence length.
func (p *Prompt) String() string {
	return fmt.Sprintf("Prompt{%s: %d examples + query, %d tokens}", p.Task, len(p.Examples), p.Seq.Len())
}

// check panics if p was not made by NewPrompt or PromptOf.
func (p *Prompt) check(fn string) {
	if p.builder == nil || len(p.pairs) == 0 {
		panic("infer.Prompt." + fn + ": the prompt was not made by Engine.NewPrompt or Engine.PromptOf")
	}
}
