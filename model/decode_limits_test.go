package model

import (
	"math"
	"runtime"
	"strings"
	"testing"
)

// TestDecodeDoesNotPreallocate: a few bytes whose array headers claim a
// million tensors, or a million dimensions, are refused without allocating
// for them.
func TestDecodeDoesNotPreallocate(t *testing.T) {
	head := "\x83\xa5magic\xb2xprompt-checkpoint\xa7version\x01"
	for name, data := range map[string]string{
		"tensors": head + "\xa7tensors\xdd\x00\x0f\x42\x40",
		"shape":   head + "\xa7tensors\x91\x81\xa5shape\xdd\x00\x0f\x42\x40",
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Decode([]byte(data))
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: truncated file decoded", name)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Errorf("%s: decoding %d bytes allocated %d bytes", name, len(data), grew)
		}
	}
}

// TestConfigValidateFields: every field of a config is checked, the image
// size (allocated at first use), RoPE base and norm epsilon included.
func TestConfigValidateFields(t *testing.T) {
	good := Presets["tiny"]
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	nan := float32(math.NaN())
	for name, mod := range map[string]func(*Config){
		"huge image":       func(c *Config) { c.ImageSize = 1 << 20 },
		"image below grid": func(c *Config) { c.ImageSize = 4 },
		"image not grid×k": func(c *Config) { c.ImageSize = 33 },
		"zero image":       func(c *Config) { c.ImageSize = 0 },
		"rope NaN":         func(c *Config) { c.RopeBase = nan },
		"rope zero":        func(c *Config) { c.RopeBase = 0 },
		"rope inf":         func(c *Config) { c.RopeBase = float32(math.Inf(1)) },
		"eps zero":         func(c *Config) { c.NormEps = 0 },
		"eps NaN":          func(c *Config) { c.NormEps = nan },
		"eps negative":     func(c *Config) { c.NormEps = -1 },
		"grid over seq":    func(c *Config) { c.SeqLen = 10 },
		"hidden over 8d":   func(c *Config) { c.Hidden = 1 << 15 },
	} {
		c := good
		mod(&c)
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "model config:") {
			t.Errorf("%s: Validate = %v, want an error", name, err)
		}
	}
	if err := good.CheckImageTokenizer(32, 8, 512); err != nil {
		t.Errorf("matching tokenizer refused: %v", err)
	}
	if err := good.CheckImageTokenizer(64, 16, 512); err == nil {
		t.Error("a tokenizer for 64 px images fits a 32 px model")
	}
}
