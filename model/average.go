package model

import (
	"fmt"
	"math"
)

// Average returns the model whose every weight is (1−w)·a + w·b: a weight
// average ("model soup") of two models trained from the same start, which
// often keeps part of what each learned. The two must have the same
// architecture except for their number of X-Prompt tokens: the one with
// fewer is first resized to the other's count with WithXP (its new tokens
// start as its learned ones). resized reports whether that happened.
// Neither model is changed.
func Average(a, b *Model, w float64) (avg *Model, resized bool, err error) {
	if !(w >= 0 && w <= 1) { // false for NaN
		return nil, false, fmt.Errorf("average models: weight %v (want 0…1)", w)
	}
	if a.Cfg.XP != b.Cfg.XP {
		resized = true
		if a.Cfg.XP < b.Cfg.XP {
			a, err = a.WithXP(b.Cfg.XP)
		} else {
			b, err = b.WithXP(a.Cfg.XP)
		}
		if err != nil {
			return nil, false, fmt.Errorf("average models: %w", err)
		}
	}
	if a.Cfg != b.Cfg {
		return nil, false, fmt.Errorf("average models: different architectures %+v and %+v", a.Cfg, b.Cfg)
	}
	avg, err = New(a.Cfg, 1)
	if err != nil {
		return nil, false, fmt.Errorf("average models: %w", err)
	}
	for _, name := range avg.Params.Names() {
		pa, pb := a.Params.Get(name), b.Params.Get(name)
		if pa == nil || pb == nil || pa.Len() != pb.Len() {
			return nil, false, fmt.Errorf("average models: parameter %q differs between the two", name)
		}
		da, db, out := pa.HostData(), pb.HostData(), avg.Params.Get(name).Data
		for i := range out {
			v := (1-w)*float64(da[i]) + w*float64(db[i])
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return nil, false, fmt.Errorf("average models: parameter %q is not finite at %d", name, i)
			}
			out[i] = float32(v)
		}
	}
	return avg, resized, nil
}
