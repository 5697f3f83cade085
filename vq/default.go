package vq

import (
	"bytes"
	_ "embed"
	"sync"
)

// defaultModel is the trained tokenizer shipped with the binary; README.md
// gives the command that made it.
//
//go:embed default.vq
var defaultModel []byte

var (
	defaultOnce sync.Once
	defaultM    *Model
	defaultErr  error
)

// Default returns the embedded trained tokenizer (DefaultConfig: 32×32
// images, 8×8 codes of 512). The file is decoded once; each call returns a
// fresh copy that the caller may train or modify.
func Default() (*Model, error) {
	defaultOnce.Do(func() { defaultM, defaultErr = Load(bytes.NewReader(defaultModel)) })
	if defaultErr != nil {
		return nil, defaultErr
	}
	m := New(defaultM.Config, 0)
	if err := m.Params.CopyFrom(defaultM.Params); err != nil {
		return nil, err
	}
	m.Steps = defaultM.Steps
	return m, nil
}
