// Package vq is the image tokenizer: a VQ-VAE that turns an image into a
// grid of discrete codes and back, so that images can be tokens of the
// autoregressive transformer.
//
// Architecture (Config; DefaultConfig is 32×32 pixels → 8×8 codes of 512):
//
//	encoder  x (B,3,R,R) in [−1,1] → conv3×3 → [conv4×4/2 → ResBlock×n] per halving
//	         → GroupNorm → SiLU → conv1×1 → z (B,D,R/f,R/f)
//	quantise z rows (B·G², D), l2-normalised when Config.Normalize,
//	         → nearest code q = codebook[argminₖ ‖z − eₖ‖²] (ops.VectorQuantize)
//	decoder  q → conv3×3 → ResBlock×n → [upsample×2 → conv3×3 → ResBlock×n]
//	         per doubling (FullResBlocks at full resolution) → GroupNorm → SiLU → conv3×3 → RGB
//
// with ResBlock(x) = x + conv(SiLU(GN(conv(SiLU(GN(x)))))). Codes are listed
// in row-major grid order: code i covers pixels [f·(i/G), f·(i/G+1)) ×
// [f·(i%G), f·(i%G+1)).
//
// Training (Model.Train) minimises the reconstruction MSE plus the
// commitment term β‖z − sg(q)‖² through the straight-through estimator with
// AdamW; the codebook follows the encoder outputs by exponential moving
// averages with Laplace smoothing, and codes unused for a while restart at
// random encoder outputs of the current batch (dead-code restarts).
//
// Files (Model.Save, Load) are msgpack: a magic string, a format version, the
// config, and named float32 or float16 tensors; Load validates everything
// and returns errors, never panics. Default returns the tokenizer embedded in
// the binary; README.md gives the command that trained it and RESULTS.md the
// resolution table.
package vq
