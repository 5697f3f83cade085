package model

import (
	"fmt"

	"xprompt/core"
	"xprompt/ops"
)

// KVCache holds, per layer, the keys and values (B, H, Tk, hd) of the tokens
// processed so far, with their segments and positions, so that later tokens
// attend to them without recomputation.
type KVCache struct {
	B, Tk int
	K, V  []*core.Tensor
	Seg   []int32 // B·Tk
	Pos   []int32 // B·Tk

	// img is each sequence's place in an open image (imagepos.go); nil
	// means no sequence is inside an image.
	img imageState
}

// image returns the image state of the cache's b sequences, for embed to
// advance in place.
func (c *KVCache) image(b int) imageState {
	if c.img == nil {
		c.img = newImageState(b)
	}
	return c.img
}

// NewCache returns an empty cache for a batch of b sequences.
func (m *Model) NewCache(b int) *KVCache {
	return &KVCache{B: b, K: make([]*core.Tensor, m.Cfg.Layers), V: make([]*core.Tensor, m.Cfg.Layers)}
}

// Bytes returns the memory held by keys and values.
func (c *KVCache) Bytes() int64 {
	var n int64
	for l := range c.K {
		if c.K[l] != nil {
			n += int64(c.K[l].Len()+c.V[l].Len()) * 4
		}
	}
	return n
}

func (c *KVCache) extendMask(kind core.MaskKind, seg, pos []int32, b, t int) *core.Mask {
	if b != c.B {
		panic(fmt.Sprintf("model.KVCache: batch of %d sequences for a cache of %d", b, c.B))
	}
	tk := c.Tk + t
	kseg, kpos := make([]int32, b*tk), make([]int32, b*tk)
	for i := 0; i < b; i++ {
		copy(kseg[i*tk:], c.Seg[i*c.Tk:(i+1)*c.Tk])
		copy(kseg[i*tk+c.Tk:], seg[i*t:(i+1)*t])
		copy(kpos[i*tk:], c.Pos[i*c.Tk:(i+1)*c.Tk])
		copy(kpos[i*tk+c.Tk:], pos[i*t:(i+1)*t])
	}
	return &core.Mask{Kind: kind, QSeg: seg, KSeg: kseg, QPos: pos, KPos: kpos}
}

// append joins the new keys and values of layer l to the cached ones and
// returns the joined tensors (which the cache keeps, cut from the graph).
func (c *KVCache) append(l int, k, v *core.Tensor) (*core.Tensor, *core.Tensor) {
	if c.K[l] != nil {
		k = ops.Concat(2, c.K[l], k)
		v = ops.Concat(2, c.V[l], v)
	}
	c.K[l], c.V[l] = k.Detach(), v.Detach()
	return k, v
}

func (c *KVCache) commit(seg, pos []int32, b, t int) {
	tk := c.Tk + t
	kseg, kpos := make([]int32, b*tk), make([]int32, b*tk)
	for i := 0; i < b; i++ {
		copy(kseg[i*tk:], c.Seg[i*c.Tk:(i+1)*c.Tk])
		copy(kseg[i*tk+c.Tk:], seg[i*t:(i+1)*t])
		copy(kpos[i*tk:], c.Pos[i*c.Tk:(i+1)*c.Tk])
		copy(kpos[i*tk+c.Tk:], pos[i*t:(i+1)*t])
	}
	c.Seg, c.Pos, c.Tk = kseg, kpos, tk
}

// Keep returns a cache of batch 1 holding only the entries at the given
// indices of sequence 0 (with their segments and positions).
func (c *KVCache) Keep(idx []int) *KVCache {
	out := &KVCache{B: 1, Tk: len(idx), K: make([]*core.Tensor, len(c.K)), V: make([]*core.Tensor, len(c.V))}
	for l := range c.K {
		h, hd := c.K[l].Dim(1), c.K[l].Dim(3)
		k, v := core.Zeros(1, h, len(idx), hd), core.Zeros(1, h, len(idx), hd)
		ck, cv := c.K[l].HostData(), c.V[l].HostData()
		for hi := 0; hi < h; hi++ {
			for j, src := range idx {
				copy(k.Data[(hi*len(idx)+j)*hd:][:hd], ck[(hi*c.Tk+src)*hd:][:hd])
				copy(v.Data[(hi*len(idx)+j)*hd:][:hd], cv[(hi*c.Tk+src)*hd:][:hd])
			}
		}
		out.K[l], out.V[l] = onDeviceOf(k, c.K[l]), onDeviceOf(v, c.V[l])
	}
	for _, src := range idx {
		out.Seg = append(out.Seg, c.Seg[src])
		out.Pos = append(out.Pos, c.Pos[src])
	}
	if c.img != nil {
		out.img = imageState{c.img[0]}
	}
	return out
}

// Repeat returns a cache for a batch of b sequences that all start from this
// single-sequence cache.
func (c *KVCache) Repeat(b int) *KVCache {
	if c.B != 1 {
		panic(fmt.Sprintf("model.KVCache.Repeat: cache holds %d sequences, want 1", c.B))
	}
	out := &KVCache{B: b, Tk: c.Tk, K: make([]*core.Tensor, len(c.K)), V: make([]*core.Tensor, len(c.V))}
	for l := range c.K {
		if c.K[l] == nil {
			continue
		}
		sh := c.K[l].Shape()
		sh[0] = b
		k, v := core.Zeros(sh...), core.Zeros(sh...)
		n := c.K[l].Len()
		ck, cv := c.K[l].HostData(), c.V[l].HostData()
		for i := 0; i < b; i++ {
			copy(k.Data[i*n:], ck)
			copy(v.Data[i*n:], cv)
		}
		out.K[l], out.V[l] = onDeviceOf(k, c.K[l]), onDeviceOf(v, c.V[l])
	}
	for i := 0; i < b; i++ {
		out.Seg = append(out.Seg, c.Seg...)
		out.Pos = append(out.Pos, c.Pos...)
	}
	if c.img != nil {
		out.img = newImageState(b)
		for i := range out.img {
			out.img[i] = c.img[0]
		}
	}
	return out
}

// Forward runs new tokens (B×t, flattened) through the model on top of the
// cache, appending them to it, and returns the logits (B·t, V). Positions
// and segments are per token; kind is the mask rule.
func (m *Model) Forward(c *KVCache, tokens, seg, pos []int32, t int, kind core.MaskKind) *core.Tensor {
	var out *core.Tensor
	core.NoGrad(func() {
		out = m.logits(m.hidden(tokens, seg, pos, c.B, t, kind, c))
	})
	return out
}

// onDeviceOf returns the host tensor t on the device of like.
func onDeviceOf(t, like *core.Tensor) *core.Tensor {
	m, err := core.To(t, like.Device())
	if err != nil {
		panic("model.KVCache: " + err.Error())
	}
	return m
}

// MoveTo moves the cached keys and values to device d in place.
func (c *KVCache) MoveTo(d core.Device) error {
	return core.MoveAll(d, append(append([]*core.Tensor(nil), c.K...), c.V...)...)
}
