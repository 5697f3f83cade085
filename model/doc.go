// Package model is the X-Prompt model: the unified vocabulary of text tokens,
// image codes and special tokens; the sequence builder that lays out
// [BOS][IE][XP][TD] with per-token segment ids, loss targets and weights; the
// attention masks (X-Prompt, causal, no context) and their pictures; the
// decoder-only transformer (pre-norm RMSNorm, RoPE, SwiGLU, tied embeddings)
// with a KV cache; real context compression (CompressedPrompt); sampling and
// generation; and checkpoints.
//
// An image enters a sequence as <boi> <sizeN> row₀ <eol> row₁ <eol> … <eoi>,
// each row holding the codes of one row of the VQ code grid.
package model
