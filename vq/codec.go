package vq

import (
	"fmt"

	"xprompt/core"
	"xprompt/img"
	"xprompt/ops"
)

// inferenceBatch is the number of images encoded or decoded at once.
const inferenceBatch = 64

// toTensor packs images (Resolution² each) into (B, 3, R, R) with values
// mapped from [0, 1] to [−1, 1]. It panics, naming the image, on a wrong size.
func (m *Model) toTensor(fn string, imgs []*img.Image) *core.Tensor {
	r := m.Config.Resolution
	x := core.Zeros(len(imgs), 3, r, r)
	for n, im := range imgs {
		if im == nil || im.W != r || im.H != r {
			w, h := 0, 0
			if im != nil {
				w, h = im.W, im.H
			}
			panic(fmt.Sprintf("vq.%s: image %d is %d×%d; the tokenizer takes %d×%d", fn, n, w, h, r, r))
		}
		base := n * 3 * r * r
		for i := 0; i < r*r; i++ {
			for c := 0; c < 3; c++ {
				x.Data[base+c*r*r+i] = 2*im.Pix[i*3+c] - 1
			}
		}
	}
	return x
}

// toImages unpacks (B, 3, R, R) in [−1, 1] into images, clamping to [0, 1].
func toImages(x *core.Tensor) []*img.Image {
	bn, r := x.Dim(0), x.Dim(2)
	out := make([]*img.Image, bn)
	for n := range out {
		im := img.New(r, r)
		base := n * 3 * r * r
		for i := 0; i < r*r; i++ {
			for c := 0; c < 3; c++ {
				im.Pix[i*3+c] = min(max((x.Data[base+c*r*r+i]+1)/2, 0), 1)
			}
		}
		out[n] = im
	}
	return out
}

// Encode returns the codes of each image: Tokens() values in [0, Codes), the
// grid in row-major order. Every image must be Resolution×Resolution; Encode
// panics otherwise.
func (m *Model) Encode(imgs []*img.Image) [][]int32 {
	out := make([][]int32, 0, len(imgs))
	t := m.Config.Tokens()
	for lo := 0; lo < len(imgs); lo += inferenceBatch {
		batch := imgs[lo:min(lo+inferenceBatch, len(imgs))]
		x := m.toTensor("Encode", batch)
		ids := make([]int32, len(batch)*t)
		core.NoGrad(func() {
			rows := m.latents(x)
			core.BackendOf(rows).NearestCodes(rows, m.codebook, ids, make([]float32, len(ids)))
		})
		for n := range batch {
			out = append(out, ids[n*t:(n+1)*t:(n+1)*t])
		}
	}
	return out
}

// Decode returns the image of each code grid. Every grid must hold Tokens()
// codes in [0, Codes); Decode panics otherwise.
func (m *Model) Decode(codes [][]int32) []*img.Image {
	t := m.Config.Tokens()
	out := make([]*img.Image, 0, len(codes))
	for lo := 0; lo < len(codes); lo += inferenceBatch {
		batch := codes[lo:min(lo+inferenceBatch, len(codes))]
		ids := make([]int32, 0, len(batch)*t)
		for n, c := range batch {
			if len(c) != t {
				panic(fmt.Sprintf("vq.Decode: grid %d has %d codes, want %d", lo+n, len(c), t))
			}
			for _, id := range c {
				if id < 0 || int(id) >= m.Config.Codes {
					panic(fmt.Sprintf("vq.Decode: grid %d holds code %d outside [0,%d)", lo+n, id, m.Config.Codes))
				}
			}
			ids = append(ids, c...)
		}
		core.NoGrad(func() {
			out = append(out, toImages(m.decodeRows(ops.Gather(m.codebook, ids)))...)
		})
	}
	return out
}

// Reconstruct returns Decode(Encode(imgs)): what the tokenizer keeps of each image.
func (m *Model) Reconstruct(imgs []*img.Image) []*img.Image { return m.Decode(m.Encode(imgs)) }

// Usage returns the fraction of the codebook that occurs in codes.
func (m *Model) Usage(codes [][]int32) float64 {
	seen := make([]bool, m.Config.Codes)
	n := 0
	for _, c := range codes {
		for _, id := range c {
			if id >= 0 && int(id) < len(seen) && !seen[id] {
				seen[id] = true
				n++
			}
		}
	}
	return float64(n) / float64(m.Config.Codes)
}
