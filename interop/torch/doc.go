// Package torch holds the PyTorch twin of the xprompt model,
// xprompt_torch.py, and the test that checks it against the Go model: the
// weights go out with `xprompt export --format safetensors`
// (interop/safetensors), the Python module builds the same architecture
// (2-D image positions included), loads them and must reproduce the Go
// model's logits and loss to float32 rounding.
//
// The test runs /usr/bin/python3 with Debian's python3-torch (1.13). Without
// torch it skips, saying so, unless XPROMPT_REQUIRE_TORCH=1 (set by CI).
package torch
