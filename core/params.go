package core

import (
	"fmt"
	"sort"
)

// Params is an ordered, named set of trainable tensors (a model's weights).
type Params struct {
	names []string
	byKey map[string]*Tensor
}

// NewParams returns an empty parameter set.
func NewParams() *Params { return &Params{byKey: map[string]*Tensor{}} }

// Add registers t under name, marks it as requiring a gradient and returns it.
// It panics if the name is already taken.
func (p *Params) Add(name string, t *Tensor) *Tensor {
	if _, dup := p.byKey[name]; dup {
		panic("core.Params.Add: duplicate parameter name " + name)
	}
	t.SetName(name).SetRequiresGrad(true)
	p.names = append(p.names, name)
	p.byKey[name] = t
	return t
}

// Get returns the parameter called name, or nil.
func (p *Params) Get(name string) *Tensor { return p.byKey[name] }

// Names returns the parameter names in registration order.
func (p *Params) Names() []string { return append([]string(nil), p.names...) }

// List returns the parameters in registration order.
func (p *Params) List() []*Tensor {
	out := make([]*Tensor, len(p.names))
	for i, n := range p.names {
		out[i] = p.byKey[n]
	}
	return out
}

// Count returns the total number of scalar values in the set.
func (p *Params) Count() int {
	n := 0
	for _, t := range p.byKey {
		n += t.Len()
	}
	return n
}

// ZeroGrad drops every parameter's gradient.
func (p *Params) ZeroGrad() {
	for _, t := range p.byKey {
		t.ZeroGrad()
	}
}

// CopyFrom copies values from src, which must hold the same names and shapes.
func (p *Params) CopyFrom(src *Params) error {
	if len(src.names) != len(p.names) {
		return fmt.Errorf("core.Params.CopyFrom: %d parameters, want %d", len(src.names), len(p.names))
	}
	keys := append([]string(nil), p.names...)
	sort.Strings(keys)
	for _, n := range keys {
		s := src.byKey[n]
		if s == nil {
			return fmt.Errorf("core.Params.CopyFrom: missing parameter %q", n)
		}
		if !SameShape(s, p.byKey[n]) {
			return fmt.Errorf("core.Params.CopyFrom: parameter %q has shape %v, want %v", n, s.shape, p.byKey[n].shape)
		}
		if err := copyValues(p.byKey[n], s); err != nil {
			return fmt.Errorf("core.Params.CopyFrom: parameter %q: %w", n, err)
		}
	}
	return nil
}

// copyValues copies src's values into dst, either of them on any device.
func copyValues(dst, src *Tensor) error {
	if dst.storage == nil {
		copy(dst.Data, src.HostData())
		return nil
	}
	m, err := memoryOf(dst.device)
	if err != nil {
		return err
	}
	s, err := To(src, dst.device)
	if err != nil {
		return err
	}
	m.Copy(dst, s)
	return nil
}
