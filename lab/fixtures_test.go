package lab

import (
	"xprompt/train"
	"xprompt/vq"
)

type trainOptions = train.Options

// testVQ is an untrained tokenizer: the plumbing is under test, not quality.
func testVQ() *vq.Model { return vq.New(vq.DefaultConfig, 1) }
