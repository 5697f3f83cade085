// Package peers holds the PyTorch peer scripts that `xprompt bench … --peer
// torch` runs beside the project's own measurement: torch_train_step.py (one
// training step of the same architecture, preset and segment layout) and
// torch_decode.py (prompt compression and KV-cached decoding). The scripts
// are embedded in the binary and run with /usr/bin/python3 when it has
// torch.
package peers
