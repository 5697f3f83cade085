package train

import "xprompt/core"

// weightAverage is an exponential moving average of a model's weights
// (Polyak averaging), kept on the host beside the run. After update number
// t (from 0) it holds avg ← d·avg + (1−d)·w with d = min(Decay,
// (1+t)/(10+t)): the average follows the weights closely at first, so a
// fine-tuning run does not drag its starting point along for thousands of
// steps, and settles to Decay. Averaging the noisy end of a run often
// scores above its last weights; the average is saved in checkpoints and
// `xprompt export --ema` writes it out. A run on a device copies its
// weights to the host for each update (about 20 MB a step on the small
// preset): simple, and cheap beside a step on the CPU; an average kept on
// the device would spare that copy on a GPU.
type weightAverage struct {
	decay float32
	w     []*core.Tensor
}

// newWeightAverage starts an average at the current weights.
func newWeightAverage(params []*core.Tensor, decay float32) *weightAverage {
	a := &weightAverage{decay: decay}
	for _, p := range params {
		a.w = append(a.w, core.New(append([]float32(nil), p.HostData()...), p.Dims()...).SetName(p.Name()))
	}
	return a
}

// rate returns the decay of update t.
func (a *weightAverage) rate(t int) float32 {
	return min(a.decay, float32(1+t)/float32(10+t))
}

// update folds the weights after update t into the average.
func (a *weightAverage) update(params []*core.Tensor, t int) {
	d := a.rate(t)
	for i, p := range params {
		avg := a.w[i].Data
		for j, v := range p.HostData() {
			avg[j] += (1 - d) * (v - avg[j])
		}
	}
}
