package lab_test

import (
	"xprompt/lab"
	"xprompt/lab/labtrain"
)

// The lab's tests train with package train, through lab.Trainer as
// cmd/xprompt does.
func init() { *lab.TestTrainer = labtrain.Trainer{} }
