package model

import "fmt"

// WithXP returns a copy of the model with n X-Prompt tokens (Config.XP),
// for fine-tuning a trained model with more (or fewer) of them. Every other
// weight is copied; X-Prompt token i starts as the model's token i mod its
// old count, so the new tokens begin as the learned ones (their positions
// tell them apart). The model itself is not changed.
func (m *Model) WithXP(n int) (*Model, error) {
	if m.Cfg.XP < 1 && n > 0 {
		return nil, fmt.Errorf("resize X-Prompt tokens: the model has none to start the new ones from")
	}
	cfg := m.Cfg
	cfg.XP = n
	out, err := New(cfg, 1)
	if err != nil {
		return nil, fmt.Errorf("resize X-Prompt tokens: %w", err)
	}
	for _, name := range out.Params.Names() {
		dst, src := out.Params.Get(name), m.Params.Get(name)
		if src == nil {
			return nil, fmt.Errorf("resize X-Prompt tokens: the model has no parameter %q", name)
		}
		if dst == out.xpEmb {
			old, d := src.HostData(), m.Cfg.D
			for i := 0; i < max(n, 1); i++ {
				j := i % max(m.Cfg.XP, 1)
				copy(dst.Data[i*d:(i+1)*d], old[j*d:(j+1)*d])
			}
			continue
		}
		if src.Len() != dst.Len() {
			return nil, fmt.Errorf("resize X-Prompt tokens: parameter %q has %d values, want %d", name, src.Len(), dst.Len())
		}
		copy(dst.Data, src.HostData())
	}
	return out, nil
}
