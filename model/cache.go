package model

import (
	"fmt"

	"xprompt/core"
)

// KVCache holds, per layer, the keys and values of the tokens processed so
// far, with their segments and positions, so that later tokens attend to
// them without recomputation. K[l] and V[l] are (B, H, Cap, hd) with Cap ≥
// Tk: the first Tk entries of each head are the tokens, the rest is room to
// append into without moving what is cached (capacity doubles when it runs
// out; a cache made by Keep or Repeat, or by one Forward, has Cap = Tk).
type KVCache struct {
	B, Tk int
	K, V  []*core.Tensor
	Seg   []int32 // B·Tk
	Pos   []int32 // B·Tk

	// next is the capacity after the Forward in progress (set by extendMask,
	// used by append in every layer).
	next int

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

// Bytes returns the memory of the cached keys and values (Tk entries).
func (c *KVCache) Bytes() int64 {
	var n int64
	for l := range c.K {
		if c.K[l] != nil {
			n += int64(c.K[l].Dim(0)*c.K[l].Dim(1)*c.Tk*c.K[l].Dim(3)) * 2 * 4
		}
	}
	return n
}

// capacity returns the number of entries per head the buffers hold.
func (c *KVCache) capacity() int {
	if len(c.K) == 0 || c.K[0] == nil {
		return 0
	}
	return c.K[0].Dim(2)
}

// extendMask returns the mask of t new tokens against the cache after they
// are appended: keys are the buffers' Cap entries per sequence, the unused
// ones padding.
func (c *KVCache) extendMask(kind core.MaskKind, seg, pos []int32, b, t int) *core.Mask {
	if b != c.B {
		panic(fmt.Sprintf("model.KVCache: batch of %d sequences for a cache of %d", b, c.B))
	}
	c.next = c.capacity()
	switch {
	case c.Tk == 0 && c.next == 0:
		c.next = t // the first Forward: exactly its tokens
	case c.Tk+t > c.next:
		c.next = max(2*c.next, c.Tk+t)
	}
	tk := c.next
	kseg, kpos := make([]int32, b*tk), make([]int32, b*tk)
	for i := 0; i < b; i++ {
		copy(kseg[i*tk:], c.Seg[i*c.Tk:(i+1)*c.Tk])
		copy(kseg[i*tk+c.Tk:], seg[i*t:(i+1)*t])
		copy(kpos[i*tk:], c.Pos[i*c.Tk:(i+1)*c.Tk])
		copy(kpos[i*tk+c.Tk:], pos[i*t:(i+1)*t])
		for j := c.Tk + t; j < tk; j++ {
			kseg[i*tk+j] = core.SegPad
		}
	}
	return &core.Mask{Kind: kind, QSeg: seg, KSeg: kseg, QPos: pos, KPos: kpos}
}

// append writes the new keys and values (B, H, t, hd) of layer l after the
// cached ones, growing the buffers to the capacity extendMask chose, and
// returns the buffers (B, H, Cap, hd) for attention (entries past Tk + t
// are masked as padding).
func (c *KVCache) append(l int, k, v *core.Tensor) (*core.Tensor, *core.Tensor) {
	if c.K[l] == nil && c.Tk == 0 && k.Dim(2) == c.next {
		c.K[l], c.V[l] = k.Detach(), v.Detach()
		return c.K[l], c.V[l]
	}
	if c.K[l] == nil || c.K[l].Dim(2) != c.next {
		c.K[l], c.V[l] = c.grow(c.K[l]), c.grow(c.V[l])
	}
	writeEntries(c.K[l], k, c.Tk)
	writeEntries(c.V[l], v, c.Tk)
	return c.K[l], c.V[l]
}

// grow returns a buffer of capacity c.next holding the Tk cached entries of
// each head of x (nil x: an empty cache).
func (c *KVCache) grow(x *core.Tensor) *core.Tensor {
	if x == nil {
		panic("model.KVCache: layer without cached keys in a non-empty cache")
	}
	b, h, old, hd := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	out := core.ZerosOn(x.Device(), b, h, c.next, hd)
	if x.Storage() != nil { // on a device: one strided copy by its backend
		core.BackendOf(x).CopyAxis(x.View(b*h, old, hd), out.View(b*h, c.next, hd), 1, 0, 0, c.Tk, false)
		return out
	}
	for bh := 0; bh < b*h; bh++ {
		copy(out.Data[bh*c.next*hd:][:c.Tk*hd], x.Data[bh*old*hd:][:c.Tk*hd])
	}
	return out
}

// writeEntries copies the t entries per head of src (B, H, t, hd) into dst
// (B, H, Cap, hd) from entry at.
func writeEntries(dst, src *core.Tensor, at int) {
	b, h, t, hd := src.Dim(0), src.Dim(1), src.Dim(2), src.Dim(3)
	cp := dst.Dim(2)
	if dst.Dim(0) != b || dst.Dim(1) != h || dst.Dim(3) != hd || at+t > cp {
		panic(fmt.Sprintf("model.KVCache: %v new entries at %d into %v", src.Dims(), at, dst.Dims()))
	}
	if dst.Storage() != nil { // on a device: one strided copy by its backend
		core.BackendOf(dst).CopyAxis(src.View(b*h, t, hd), dst.View(b*h, cp, hd), 1, 0, at, t, false)
		return
	}
	for bh := 0; bh < b*h; bh++ {
		copy(dst.Data[(bh*cp+at)*hd:][:t*hd], src.Data[bh*t*hd:][:t*hd])
	}
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
		h, cp, hd := c.K[l].Dim(1), c.K[l].Dim(2), c.K[l].Dim(3)
		k, v := core.Zeros(1, h, len(idx), hd), core.Zeros(1, h, len(idx), hd)
		ck, cv := c.K[l].HostData(), c.V[l].HostData()
		for hi := 0; hi < h; hi++ {
			for j, src := range idx {
				copy(k.Data[(hi*len(idx)+j)*hd:][:hd], ck[(hi*cp+src)*hd:][:hd])
				copy(v.Data[(hi*len(idx)+j)*hd:][:hd], cv[(hi*cp+src)*hd:][:hd])
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
	f := m.frozen() // no graph: see frozen
	return f.logits(f.hidden(tokens, seg, pos, c.B, t, kind, c, nil))
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
