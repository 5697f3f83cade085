// Package infer puts a trained X-Prompt model to work: it loads a model with
// its tokenizers (from a checkpoint or the embedded default), turns task
// examples into compressed in-context prompts, generates images and text for
// queries, and scores the results against ground truth.
package infer
