package session

import (
	"fmt"

	"xprompt/core"
)

// moveModels moves what the model magics hold to device d: the loaded
// engine's model, the prompt's engine, and %train's run (model and
// optimizer moments). Prompts are token layouts on the host; the KV caches
// of generation are made on the model's device as it runs.
func (s *Session) moveModels(d core.Device) error {
	m := &s.models
	seen := map[*core.Params]bool{}
	move := func(p *core.Params) error {
		if p == nil || seen[p] {
			return nil
		}
		seen[p] = true
		return p.MoveTo(d)
	}
	if m.loaded != nil && m.loaded.Model != nil {
		if err := move(m.loaded.Model.Params); err != nil {
			return fmt.Errorf("moving the loaded model to %s: %w", d, err)
		}
	}
	if m.promptEng != nil && m.promptEng.Model != nil {
		if err := move(m.promptEng.Model.Params); err != nil {
			return fmt.Errorf("moving the prompt's model to %s: %w", d, err)
		}
	}
	if m.runEng != nil && m.runEng.Model != nil {
		if err := move(m.runEng.Model.Params); err != nil {
			return fmt.Errorf("moving the training model to %s: %w", d, err)
		}
	}
	if m.run != nil {
		if err := m.run.MoveTo(d); err != nil {
			return fmt.Errorf("moving the training run to %s: %w", d, err)
		}
	}
	return nil
}
