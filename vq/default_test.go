package vq

import (
	"testing"
)

// TestDefaultReconstructs checks the embedded tokenizer: it loads, has the
// design's configuration, and keeps held-out rendered scenes well above the
// quality of an untrained model.
func TestDefaultReconstructs(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatalf("embedded tokenizer: %v", err)
	}
	c := m.Config
	if c.Resolution != 32 || c.Downsample != 4 || c.Codes != 512 {
		t.Fatalf("embedded tokenizer is %d px, downsample %d, %d codes; want 32, 4, 512", c.Resolution, c.Downsample, c.Codes)
	}
	imgs := scenes(0xdef, 32, 32)
	s, err := m.Evaluate(imgs)
	if err != nil {
		t.Fatal(err)
	}
	const floorPSNR, floorSSIM = 25.0, 0.8
	if s.PSNR < floorPSNR || s.SSIM < floorSSIM {
		t.Fatalf("embedded tokenizer on 32 rendered scenes: PSNR %.2f dB, SSIM %.3f; want ≥ %g dB and ≥ %g", s.PSNR, s.SSIM, floorPSNR, floorSSIM)
	}
	// Default returns independent copies.
	m2, _ := Default()
	m.Codebook().Data[0] += 1
	if m2.Codebook().Data[0] == m.Codebook().Data[0] {
		t.Fatal("Default returned models sharing storage")
	}
}
