// Package train holds the training loop of the X-Prompt model: the unified
// loss with gradient accumulation over sequences from package data, warmup +
// cosine learning rate, gradient clipping, progress reporting, interruption
// at step boundaries, NaN/Inf detection, checkpoints with exact resume,
// moving a model onto another image tokenizer (Retokenize), and the
// training-step benchmark.
package train
