package safetensors

import (
	"encoding/json"
	"fmt"
	"io"

	"xprompt/model"
)

// Metadata keys of WriteModel.
const (
	// ConfigKey holds the model.Config as JSON.
	ConfigKey = "xprompt.config"
	// TokensKey holds the token ids that a reimplementation needs beside the
	// config, as JSON: {"boi", "eoi", "size" (the <size> token of the
	// model's image side), "vocab" (the output vocabulary size)}.
	TokensKey = "xprompt.tokens"
)

// WriteModel writes m's parameters as float32 under their names in
// m.Params (tok_emb, xp_emb, row_emb, col_emb, layerL.wqkv, …, norm_f),
// with the configuration and the special token ids in the metadata.
func WriteModel(w io.Writer, m *model.Model) error {
	cfg, err := json.Marshal(m.Cfg)
	if err != nil {
		return err
	}
	v := m.Cfg.Vocab
	size, err := v.SizeToken(m.Cfg.ImageSide)
	if err != nil {
		return fmt.Errorf("safetensors: model image side %d: %w", m.Cfg.ImageSide, err)
	}
	toks, err := json.Marshal(map[string]int32{
		"boi": v.Tok(model.BOI), "eoi": v.Tok(model.EOI), "size": size, "vocab": int32(v.Size()),
	})
	if err != nil {
		return err
	}
	var ts []Tensor
	for _, name := range m.Params.Names() {
		p := m.Params.Get(name)
		ts = append(ts, Tensor{Name: name, Shape: p.Dims(), F32: p.Data})
	}
	return Write(w, ts, map[string]string{ConfigKey: string(cfg), TokensKey: string(toks)})
}
