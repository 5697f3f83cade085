package cuda_test

import (
	"testing"

	"xprompt/core"
	"xprompt/cuda"
)

// BenchmarkEmuGemm64 times the tiled GEMM kernel on the emulator (64³).
func BenchmarkEmuGemm64(b *testing.B) {
	be := emuBackend(b)
	for i := 0; i < b.N; i++ {
		cuda.BenchGemm(be, 64, 64, 64, 1)
	}
}

// BenchmarkEmuAttention times attention forward+backward on the emulator.
func BenchmarkEmuAttention(b *testing.B) {
	be := emuBackend(b)
	for i := 0; i < b.N; i++ {
		cuda.BenchAttention(be, 1, 2, 64, 16, core.MaskXPrompt, 1)
	}
}
