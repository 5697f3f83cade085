package vq

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"xprompt/core"
	"xprompt/img"
	"xprompt/ops"
)

// TrainOptions holds the training hyper-parameters; zero fields take the
// defaults given in brackets.
type TrainOptions struct {
	Batch       int     // images per step [16]
	LR          float32 // peak AdamW learning rate [2e-3]
	FinalLR     float32 // learning rate at the last step, reached by a cosine [LR/20]
	Warmup      int     // linear warm-up steps [min(100, steps/10)]
	WeightDecay float32 // decoupled weight decay of convolution weights [0]
	ClipNorm    float32 // global gradient-norm clip [1]
	Beta        float32 // commitment weight β of ‖z − sg(q)‖² [0.25]
	EMADecay    float32 // codebook moving-average decay [0.99]
	// DeadAfter is the number of steps a code may go unused before it is
	// restarted at a random recent encoder output [100]; RestartEvery is
	// how often codes are checked [20].
	DeadAfter, RestartEvery int
	Seed                    uint64 // data order and restarts [1]
}

func (o TrainOptions) withDefaults(steps int) TrainOptions {
	if o.Batch == 0 {
		o.Batch = 16
	}
	if o.LR == 0 {
		o.LR = 2e-3
	}
	if o.FinalLR == 0 {
		o.FinalLR = o.LR / 20
	}
	if o.Warmup == 0 {
		o.Warmup = min(100, max(steps/10, 1))
	}
	if o.ClipNorm == 0 {
		o.ClipNorm = 1
	}
	if o.Beta == 0 {
		o.Beta = 0.25
	}
	if o.EMADecay == 0 {
		o.EMADecay = 0.99
	}
	if o.DeadAfter == 0 {
		o.DeadAfter = 100
	}
	if o.RestartEvery == 0 {
		o.RestartEvery = 20
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// trainState is what training keeps between steps besides the weights.
type trainState struct {
	moments  map[*core.Tensor][2]*core.Tensor // AdamW first and second moments
	adamStep int
	ema      *codebookEMA
	rng      *rand.Rand
	restarts int // codes restarted so far
}

// learningRate returns the rate at step s (0-based) of n: linear warm-up,
// then a cosine from o.LR down to o.FinalLR.
func (o TrainOptions) learningRate(s, n int) float32 {
	if s < o.Warmup {
		return o.LR * float32(s+1) / float32(o.Warmup)
	}
	t := float64(s-o.Warmup) / float64(max(n-o.Warmup, 1))
	return o.FinalLR + (o.LR-o.FinalLR)*float32(0.5*(1+math.Cos(math.Pi*min(t, 1))))
}

// Train runs steps optimisation steps on batches of images drawn from data
// (each Resolution×Resolution) and calls progress, if not nil, after every
// step with the global step number, the loss (reconstruction MSE in [0, 1]
// units plus the commitment term) and the batch PSNR in dB (from the
// batch's mean squared error). The encoder and decoder learn by AdamW on the
// reconstruction and commitment losses through the straight-through
// estimator; the codebook follows the encoder outputs assigned to it by
// exponential moving averages, and codes unused for DeadAfter steps restart
// at random encoder outputs of the current batch. Train stops early, with
// ctx's error, when ctx is done; the model is consistent after every step,
// and a later call continues from where this one stopped (with a new
// learning-rate schedule over its own steps).
func (m *Model) Train(ctx context.Context, data func(*rand.Rand) *img.Image, steps int, opts TrainOptions, progress func(step int, loss, psnr float64)) error {
	if steps < 0 {
		return fmt.Errorf("vq.Train: %d steps", steps)
	}
	o := opts.withDefaults(steps)
	if m.train == nil {
		m.train = &trainState{moments: map[*core.Tensor][2]*core.Tensor{}}
	}
	st := m.train
	st.rng = rand.New(rand.NewPCG(o.Seed, uint64(m.Steps)))
	batch := make([]*img.Image, o.Batch)
	for s := 0; s < steps; s++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		for i := range batch {
			im := data(st.rng)
			if im == nil || im.W != m.Config.Resolution || im.H != m.Config.Resolution {
				return fmt.Errorf("vq.Train: step %d: the data source gave an image that is not %d×%d", m.Steps, m.Config.Resolution, m.Config.Resolution)
			}
			batch[i] = im
		}
		loss, mse := m.step(batch, o, o.learningRate(s, steps))
		m.Steps++
		if progress != nil {
			progress(m.Steps, loss, -10*math.Log10(max(mse, 1e-12)))
		}
	}
	return nil
}

// step runs one optimisation step and returns the loss and the batch's mean
// squared error in [0, 1] units.
func (m *Model) step(batch []*img.Image, o TrainOptions, lr float32) (loss, mse float64) {
	st := m.train
	x := m.toTensor("Train", batch)
	rows := m.latents(x)
	if st.ema == nil {
		st.ema = newCodebookEMA(m, rows.Data, st.rng)
	}
	zq, ids, vqLoss := ops.VectorQuantize(rows, m.codebook, o.Beta)
	recon := m.decodeRows(zq)
	rec := ops.Scale(ops.Mean(ops.Square(ops.Sub(recon, x))), 0.25) // MSE in [0, 1] units
	total := ops.Add(rec, vqLoss)
	total.Backward()
	m.applyGradients(o, lr)

	st.ema.update(rows.Data, ids, o.EMADecay, m.Steps)
	if (m.Steps+1)%o.RestartEvery == 0 {
		st.restarts += st.ema.restartDead(rows.Data, m.Steps, o.DeadAfter, st.rng)
	}
	beta := float64(o.Beta)
	return float64(rec.Item()) + beta*float64(vqLoss.Item())/(1+beta), float64(rec.Item())
}

// applyGradients clips the global gradient norm to o.ClipNorm, takes one
// AdamW step on every trainable parameter and drops the gradients.
func (m *Model) applyGradients(o TrainOptions, lr float32) {
	st := m.train
	params := m.Params.List()
	var ss float64
	for _, p := range params {
		if g := p.Grad(); g != nil {
			ss += core.BackendOf(g).SumSquares(g)
		}
	}
	scale := float32(1)
	if norm := math.Sqrt(ss); norm > float64(o.ClipNorm) {
		scale = float32(float64(o.ClipNorm) / norm)
	}
	st.adamStep++
	for _, p := range params {
		g := p.Grad()
		if !p.RequiresGrad() || g == nil {
			continue
		}
		be := core.BackendOf(p)
		if scale != 1 {
			be.Unary(core.OpScale, scale, g, g)
		}
		mv, ok := st.moments[p]
		if !ok {
			mv = [2]*core.Tensor{core.ZerosLike(p), core.ZerosLike(p)}
			st.moments[p] = mv
		}
		wd := float32(0)
		if p.Rank() == 4 { // convolution weights; not biases or norms
			wd = o.WeightDecay
		}
		be.AdamW(p, g, mv[0], mv[1], core.AdamWConfig{LR: lr, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, WeightDecay: wd, Step: st.adamStep})
	}
	m.Params.ZeroGrad()
}

// RecentUsage returns the fraction of codes that training assigned to some
// encoder output within the last window steps (0 before training).
func (m *Model) RecentUsage(window int) float64 {
	if m.train == nil || m.train.ema == nil {
		return 0
	}
	n := 0
	for _, s := range m.train.ema.lastUsed {
		if m.Steps-s <= window {
			n++
		}
	}
	return float64(n) / float64(m.Config.Codes)
}

// Restarts returns the number of dead codes restarted so far in training.
func (m *Model) Restarts() int {
	if m.train == nil {
		return 0
	}
	return m.train.restarts
}
