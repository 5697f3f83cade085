package infer

import (
	"embed"
	"fmt"
	"sync"

	"xprompt/model"
)

//go:embed weights
var weights embed.FS

// DefaultFile is the embedded checkpoint's name inside weights/.
const DefaultFile = "weights/default.xpm"

var (
	defaultOnce sync.Once
	defaultCk   *model.Checkpoint
	defaultErr  error
)

// Default returns a fresh engine over the embedded default model. Each call
// returns its own copy of the weights, so training one engine never changes
// another.
func Default() (*Engine, error) {
	defaultOnce.Do(func() {
		data, err := weights.ReadFile(DefaultFile)
		if err != nil {
			defaultErr = fmt.Errorf("this build has no embedded default model (%s); train one with 'xprompt train' and pass --model", DefaultFile)
			return
		}
		defaultCk, defaultErr = model.Decode(data)
	})
	if defaultErr != nil {
		return nil, defaultErr
	}
	m, err := model.New(defaultCk.Model.Cfg, 0)
	if err != nil {
		return nil, err
	}
	if err := m.Params.CopyFrom(defaultCk.Model.Params); err != nil {
		return nil, err
	}
	ck := *defaultCk
	ck.Model = m
	return FromCheckpoint(&ck, "default")
}

// Load returns the engine of a checkpoint file, or the default for "" or
// "default".
func Load(path string) (*Engine, error) {
	if path == "" || path == "default" {
		return Default()
	}
	return LoadFile(path)
}
