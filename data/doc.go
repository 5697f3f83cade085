// Package data turns the task world into training and evaluation data: the
// family mix of the training stream (Config, with held-out families added
// for the "full training" comparison), drawing examples of a family
// (SampleExamples), tokenising them into model pairs and sequences
// (Pipeline), and the text corpus and BPE tokenizer of the instructions and
// captions (TextCorpus, NewTextTokenizer).
//
// It sits between the tokenizers (tasks, vq, text) and the consumers of
// sequences (train, infer, lab): it imports model only for the sequence
// layout (model.Builder, model.Pair, model.Sequence), and nothing in model
// imports it.
package data
