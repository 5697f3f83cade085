// Package train holds the training loop of the X-Prompt model: the data
// pipeline from task families to token sequences, the unified loss with
// gradient accumulation, warmup + cosine learning rate, gradient clipping,
// progress reporting, interruption at step boundaries, NaN/Inf detection,
// checkpoints with exact resume, and the training-step benchmark.
package train
