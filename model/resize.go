package model

import (
	"fmt"
	"strconv"
	"strings"
)

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

// WithLayers returns a copy of the model with n transformer layers, n at
// least its own count, for training a trained model further with more
// depth. The new layers are spread evenly between the old ones; each
// starts as a copy of the layer before it with its two output projections
// (attention and MLP) at zero, so it adds nothing to the residual stream
// and the copy computes exactly the model's logits until training moves
// them. Every other weight is copied; the model itself is not changed.
func (m *Model) WithLayers(n int) (*Model, error) {
	old := m.Cfg.Layers
	if n < old {
		return nil, fmt.Errorf("add layers: the model has %d, cannot shrink it to %d", old, n)
	}
	cfg := m.Cfg
	cfg.Layers = n
	out, err := New(cfg, 1)
	if err != nil {
		return nil, fmt.Errorf("add layers: %w", err)
	}
	// from[k] is the old layer new layer k copies; added[k] marks a new one.
	from, added := make([]int, 0, n), make([]bool, 0, n)
	extra := n - old
	for j := 0; j < old; j++ {
		from, added = append(from, j), append(added, false)
		for range (j+1)*extra/old - j*extra/old {
			from, added = append(from, j), append(added, true)
		}
	}
	for _, name := range out.Params.Names() {
		dst, srcName := out.Params.Get(name), name
		k, field, inLayer := layerParam(name)
		if inLayer {
			srcName = fmt.Sprintf("layer%d.%s", from[k], field)
		}
		src := m.Params.Get(srcName)
		if src == nil || src.Len() != dst.Len() {
			return nil, fmt.Errorf("add layers: parameter %q has no match %q in the model", name, srcName)
		}
		if inLayer && added[k] && (dst == out.layers[k].wo || dst == out.layers[k].w3) {
			clear(dst.Data)
			continue
		}
		copy(dst.Data, src.HostData())
	}
	return out, nil
}

// layerParam splits a parameter name "layer<k>.<field>" (New's naming).
func layerParam(name string) (k int, field string, ok bool) {
	rest, ok := strings.CutPrefix(name, "layer")
	if !ok {
		return 0, "", false
	}
	num, field, ok := strings.Cut(rest, ".")
	if !ok {
		return 0, "", false
	}
	k, err := strconv.Atoi(num)
	return k, field, err == nil
}
