// Package safetensors reads and writes the safetensors format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON naming each tensor's dtype, shape and
// byte range, then the tensors' bytes. It is how xprompt hands weights to
// PyTorch (interop/torch): WriteModel writes a model's parameters as float32
// with its configuration in the header's metadata.
//
// Only the dtypes this project uses are read and written: F32 and I32.
// Read validates the header (size, JSON, dtypes, shapes against byte ranges,
// ranges inside the file and not overlapping) before it allocates tensors.
package safetensors
