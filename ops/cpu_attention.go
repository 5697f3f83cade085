package ops

import "xprompt/core"

func (cpuBackend) Attention(q, k, v *core.Tensor, mask *core.Mask, scale float32, out, lse, weights *core.Tensor) {
	panic("cpu.Attention: not implemented yet")
}

func (cpuBackend) AttentionBackward(q, k, v, out, lse, gout *core.Tensor, mask *core.Mask, scale float32, gq, gk, gv *core.Tensor) {
	panic("cpu.AttentionBackward: not implemented yet")
}
