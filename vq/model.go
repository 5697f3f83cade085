package vq

import (
	"fmt"
	"math"

	"xprompt/core"
	"xprompt/ops"
)

// Model is a VQ-VAE image tokenizer: a convolutional encoder, a codebook and
// a decoder. Its weights live in Params (the codebook is the parameter
// "codebook", (Codes, CodeDim)); training state (optimizer moments, codebook
// statistics) is kept beside them and is not saved.
type Model struct {
	Config Config       // the architecture; read-only after New
	Params *core.Params // every weight, by name ("enc.stem.w", …, "codebook")
	Steps  int          // optimisation steps taken so far

	codebook *core.Tensor
	enc      encoder
	dec      decoder
	train    *trainState
}

// conv2d is one convolution layer: weights (O, C, K, K) and bias (O).
type conv2d struct {
	w, b        *core.Tensor
	stride, pad int
}

func (c conv2d) apply(x *core.Tensor) *core.Tensor { return ops.Conv2d(x, c.w, c.b, c.stride, c.pad) }

// groupNorm is a GroupNorm layer, or the identity when groups is 0.
type groupNorm struct {
	w, b   *core.Tensor
	groups int
}

func (n groupNorm) apply(x *core.Tensor) *core.Tensor {
	if n.groups == 0 {
		return x
	}
	return ops.GroupNorm(x, n.w, n.b, n.groups, 1e-5)
}

// resBlock computes x + conv(SiLU(norm(conv(SiLU(norm(x)))))).
type resBlock struct {
	n1, n2 groupNorm
	c1, c2 conv2d
}

func (r resBlock) apply(x *core.Tensor) *core.Tensor {
	h := r.c1.apply(ops.SiLU(r.n1.apply(x)))
	h = r.c2.apply(ops.SiLU(r.n2.apply(h)))
	return ops.Add(x, h)
}

// encoder maps images (B, 3, R, R) in [−1, 1] to latents (B, D, R/f, R/f):
// a 3×3 stem, then per level a 4×4 stride-2 convolution and residual
// blocks, then norm, SiLU and a 1×1 projection to D channels.
type encoder struct {
	stem  conv2d
	downs []conv2d
	res   [][]resBlock // after each downsampling
	norm  groupNorm
	out   conv2d
}

func (e *encoder) apply(x *core.Tensor) *core.Tensor {
	h := e.stem.apply(x)
	for l, d := range e.downs {
		h = d.apply(h)
		for _, r := range e.res[l] {
			h = r.apply(h)
		}
	}
	return e.out.apply(ops.SiLU(e.norm.apply(h)))
}

// decoder maps latents (B, D, R/f, R/f) to images (B, 3, R, R) in [−1, 1]
// (unclamped): a 3×3 stem and residual blocks at the lowest level, then per
// level nearest ×2 upsampling, a 3×3 convolution and residual blocks
// (FullResBlocks of them at full resolution), then norm, SiLU and a 3×3
// convolution to RGB.
type decoder struct {
	stem conv2d
	res0 []resBlock // at the lowest resolution
	ups  []conv2d   // from the lowest level up
	res  [][]resBlock
	norm groupNorm
	out  conv2d
}

func (d *decoder) apply(z *core.Tensor) *core.Tensor {
	h := d.stem.apply(z)
	for _, r := range d.res0 {
		h = r.apply(h)
	}
	for l, u := range d.ups {
		h = u.apply(ops.UpsampleNearest(h, 2))
		for _, r := range d.res[l] {
			h = r.apply(h)
		}
	}
	return d.out.apply(ops.SiLU(d.norm.apply(h)))
}

// builder registers parameters with their initial values or, when dry, only
// records their names and shapes (what a file must hold for a config).
type builder struct {
	p      *core.Params
	rng    *core.RNG
	cfg    Config
	dry    bool
	shapes []namedShape
}

// namedShape is the name and shape of one parameter.
type namedShape struct {
	name  string
	shape []int
}

// param registers a parameter made by init, or in a dry run records its shape
// and returns nil.
func (b *builder) param(name string, shape []int, init func() *core.Tensor) *core.Tensor {
	b.shapes = append(b.shapes, namedShape{name, shape})
	if b.dry {
		return nil
	}
	return b.p.Add(name, init())
}

// conv adds a k×k convolution from cin to cout channels with He-normal
// weights scaled by gain and a zero bias.
func (b *builder) conv(name string, cin, cout, k, stride, pad int, gain float64) conv2d {
	std := gain * math.Sqrt(2/float64(cin*k*k))
	w := b.param(name+".w", []int{cout, cin, k, k}, func() *core.Tensor { return b.rng.Randn(std, cout, cin, k, k) })
	bias := b.param(name+".b", []int{cout}, func() *core.Tensor { return core.Zeros(cout) })
	return conv2d{w: w, b: bias, stride: stride, pad: pad}
}

func (b *builder) norm(name string, ch int) groupNorm {
	if b.cfg.NormGroups == 0 {
		return groupNorm{}
	}
	return groupNorm{
		w:      b.param(name+".w", []int{ch}, func() *core.Tensor { return core.Ones(ch) }),
		b:      b.param(name+".b", []int{ch}, func() *core.Tensor { return core.Zeros(ch) }),
		groups: b.cfg.NormGroups,
	}
}

// res adds a residual block whose second convolution starts small, so that
// every block begins close to the identity.
func (b *builder) res(name string, ch int) resBlock {
	return resBlock{
		n1: b.norm(name+".norm1", ch),
		c1: b.conv(name+".conv1", ch, ch, 3, 1, 1, 1),
		n2: b.norm(name+".norm2", ch),
		c2: b.conv(name+".conv2", ch, ch, 3, 1, 1, 0.1),
	}
}

// New returns a freshly initialised model. It panics if cfg is invalid.
func New(cfg Config, seed uint64) *Model {
	if err := cfg.Validate(); err != nil {
		panic("vq.New: " + err.Error())
	}
	b := &builder{p: core.NewParams(), rng: core.NewRNG(seed), cfg: cfg}
	m := &Model{Config: cfg, Params: b.p}
	m.enc, m.dec, m.codebook = b.build()
	m.codebook.SetRequiresGrad(false) // updated by moving averages, not by gradients
	return m
}

// paramShapes returns the names and shapes of the parameters of a model with
// config cfg, in registration order, without allocating them.
func paramShapes(cfg Config) []namedShape {
	b := &builder{cfg: cfg, dry: true}
	b.build()
	return b.shapes
}

// build registers the encoder, decoder and codebook parameters.
func (b *builder) build() (e encoder, d decoder, codebook *core.Tensor) {
	cfg := b.cfg
	L := cfg.levels()
	e.stem = b.conv("enc.stem", 3, cfg.width(0), 3, 1, 1, 1)
	for l := 0; l < L; l++ {
		e.downs = append(e.downs, b.conv(fmt.Sprintf("enc.down%d", l), cfg.width(l), cfg.width(l+1), 4, 2, 1, 1))
		var blocks []resBlock
		for i := 0; i < cfg.ResBlocks; i++ {
			blocks = append(blocks, b.res(fmt.Sprintf("enc.res%d.%d", l+1, i), cfg.width(l+1)))
		}
		e.res = append(e.res, blocks)
	}
	e.norm = b.norm("enc.norm", cfg.width(L))
	e.out = b.conv("enc.out", cfg.width(L), cfg.CodeDim, 1, 1, 0, 1)

	d.stem = b.conv("dec.stem", cfg.CodeDim, cfg.width(L), 3, 1, 1, 1)
	for i := 0; i < cfg.ResBlocks; i++ {
		d.res0 = append(d.res0, b.res(fmt.Sprintf("dec.res%d.%d", L, i), cfg.width(L)))
	}
	for l := L - 1; l >= 0; l-- {
		d.ups = append(d.ups, b.conv(fmt.Sprintf("dec.up%d", l), cfg.width(l+1), cfg.width(l), 3, 1, 1, 1))
		n := cfg.ResBlocks
		if l == 0 {
			n = cfg.FullResBlocks
		}
		var blocks []resBlock
		for i := 0; i < n; i++ {
			blocks = append(blocks, b.res(fmt.Sprintf("dec.res%d.%d", l, i), cfg.width(l)))
		}
		d.res = append(d.res, blocks)
	}
	d.norm = b.norm("dec.norm", cfg.width(0))
	d.out = b.conv("dec.out", cfg.width(0), 3, 3, 1, 1, 0.1)

	codebook = b.param("codebook", []int{cfg.Codes, cfg.CodeDim}, func() *core.Tensor {
		cb := b.rng.Randn(1, cfg.Codes, cfg.CodeDim)
		if cfg.Normalize {
			normalizeRows(cb.Data, cfg.CodeDim)
		}
		return cb
	})
	return e, d, codebook
}

// Codebook returns the codebook tensor (Codes, CodeDim).
func (m *Model) Codebook() *core.Tensor { return m.codebook }

// latents runs the encoder on x (B, 3, R, R) in [−1, 1] and returns the code
// vectors as rows (B·G·G, D) in row-major grid order, l2-normalised when the
// config says so.
func (m *Model) latents(x *core.Tensor) *core.Tensor {
	z := m.enc.apply(x) // (B, D, G, G)
	bn, d, g := z.Dim(0), z.Dim(1), z.Dim(2)
	rows := ops.Reshape(ops.Permute(z, 0, 2, 3, 1), bn*g*g, d) // (B·G·G, D)
	if m.Config.Normalize {
		norm := ops.Sqrt(ops.AddScalar(ops.SumKeep(ops.Square(rows), 1), 1e-8)) // (N, 1)
		rows = ops.Div(rows, norm)
	}
	return rows
}

// decodeRows runs the decoder on code vectors as rows (B·G·G, D).
func (m *Model) decodeRows(rows *core.Tensor) *core.Tensor {
	g, d := m.Config.Grid(), m.Config.CodeDim
	bn := rows.Dim(0) / (g * g)
	z := ops.Permute(ops.Reshape(rows, bn, g, g, d), 0, 3, 1, 2) // (B, D, G, G)
	return m.dec.apply(z)
}

// normalizeRows scales each row of width d of xs to unit length (rows of
// zeros are left alone).
func normalizeRows(xs []float32, d int) {
	for i := 0; i+d <= len(xs); i += d {
		var s float64
		for _, v := range xs[i : i+d] {
			s += float64(v) * float64(v)
		}
		if s == 0 {
			continue
		}
		inv := float32(1 / math.Sqrt(s))
		for j := i; j < i+d; j++ {
			xs[j] *= inv
		}
	}
}
