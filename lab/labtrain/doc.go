// Package labtrain backs lab.Trainer with the training loop of package
// train, so that lab depends on no training code: cmd/xprompt (and lab's
// tests) pass Trainer{} as lab.Config.Trainer.
//
// lab.TrainOptions has the fields of train.Options, in the same order, so
// the two convert into each other directly; the package's test pins that
// the conversion keeps every value and the options' JSON.
package labtrain
