package lab

import (
	"xprompt/vq"
)

type trainOptions = TrainOptions

// testTrainer is the training loop the tests train with; trainer_test.go
// (package lab_test, which may import lab/labtrain) sets it.
var testTrainer Trainer

// TestTrainer lets trainer_test.go set testTrainer.
var TestTrainer = &testTrainer

// testVQ is an untrained tokenizer: the plumbing is under test, not quality.
func testVQ() *vq.Model { return vq.New(vq.DefaultConfig, 1) }
