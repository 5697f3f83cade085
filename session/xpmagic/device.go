package xpmagic

import (
	"fmt"

	"xprompt/core"
	"xprompt/session"
)

func init() { session.OnDeviceChange(moveModels) }

// moveModels moves what the model magics hold to device d (called by
// %device): the loaded engine's model, the prompt's engine, and %train's
// run (model and optimizer moments). Prompts are token layouts on the host;
// the KV caches of generation are made on the model's device as it runs.
func moveModels(s *session.Session, d core.Device) error {
	m := models(s)
	seen := map[*core.Params]bool{}
	move := func(what string, p *core.Params) error {
		if p == nil || seen[p] {
			return nil
		}
		seen[p] = true
		if err := p.MoveTo(d); err != nil {
			return fmt.Errorf("moving %s to %s: %w", what, d, err)
		}
		return nil
	}
	if m.loaded != nil && m.loaded.Model != nil {
		if err := move("the loaded model", m.loaded.Model.Params); err != nil {
			return err
		}
	}
	if m.promptEng != nil && m.promptEng.Model != nil {
		if err := move("the prompt's model", m.promptEng.Model.Params); err != nil {
			return err
		}
	}
	if m.runEng != nil && m.runEng.Model != nil {
		if err := move("the training model", m.runEng.Model.Params); err != nil {
			return err
		}
	}
	if m.run != nil {
		if err := m.run.MoveTo(d); err != nil {
			return fmt.Errorf("moving the training run to %s: %w", d, err)
		}
	}
	return nil
}
