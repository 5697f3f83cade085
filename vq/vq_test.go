package vq

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"xprompt/img"
	"xprompt/tasks"
)

// smallConfig trains in a fraction of a second per step.
var smallConfig = Config{Resolution: 16, Downsample: 4, Channels: 8, ResBlocks: 1, NormGroups: 4, Codes: 32, CodeDim: 8, Normalize: true}

func scenes(seed uint64, size, n int) []*img.Image {
	rng := tasks.NewRand(seed)
	out := make([]*img.Image, n)
	for i := range out {
		out[i] = CleanScenes(size)(rng)
	}
	return out
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	if g, n := DefaultConfig.Grid(), DefaultConfig.Tokens(); g != 8 || n != 64 {
		t.Fatalf("default grid %d, tokens %d; want 8 and 64", g, n)
	}
	for _, c := range []struct {
		modify func(*Config)
		want   string
	}{
		{func(c *Config) { c.Downsample = 3 }, "downsample 3"},
		{func(c *Config) { c.Resolution = 30 }, "resolution 30"},
		{func(c *Config) { c.Channels = 0 }, "channels 0"},
		{func(c *Config) { c.NormGroups = 5 }, "5 norm groups"},
		{func(c *Config) { c.Codes = 1 }, "1 codes"},
		{func(c *Config) { c.CodeDim = 0 }, "code dimension 0"},
		{func(c *Config) { c.ResBlocks = -1 }, "res blocks -1"},
	} {
		cfg := DefaultConfig
		c.modify(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %+v: error %v, want one containing %q", cfg, err, c.want)
		}
	}
}

func TestEncodeDecodeShapes(t *testing.T) {
	for _, ds := range []int{2, 4, 8} {
		cfg := smallConfig
		cfg.Downsample = ds
		m := New(cfg, 1)
		imgs := scenes(1, 16, 3)
		codes := m.Encode(imgs)
		if len(codes) != 3 {
			t.Fatalf("downsample %d: %d code grids for 3 images", ds, len(codes))
		}
		for _, c := range codes {
			if len(c) != (16/ds)*(16/ds) {
				t.Fatalf("downsample %d: %d codes per image, want %d", ds, len(c), (16/ds)*(16/ds))
			}
			for _, id := range c {
				if id < 0 || int(id) >= cfg.Codes {
					t.Fatalf("downsample %d: code %d outside [0,%d)", ds, id, cfg.Codes)
				}
			}
		}
		out := m.Decode(codes)
		for _, im := range out {
			if im.W != 16 || im.H != 16 {
				t.Fatalf("downsample %d: decoded %d×%d, want 16×16", ds, im.W, im.H)
			}
			for _, v := range im.Pix {
				if v < 0 || v > 1 {
					t.Fatalf("decoded value %g outside [0,1]", v)
				}
			}
		}
	}
	m := New(smallConfig, 1)
	mustPanic(t, func() { m.Encode([]*img.Image{img.New(8, 8)}) }, "Encode", "8×8", "16×16")
	mustPanic(t, func() { m.Decode([][]int32{make([]int32, 15)}) }, "Decode", "15 codes")
	mustPanic(t, func() { m.Decode([][]int32{append(make([]int32, 15), 32)}) }, "Decode", "code 32")
}

// Encoding in one batch or image by image gives the same codes: nothing
// leaks between images (GroupNorm is per image), and batches split at 64.
func TestEncodeIsPerImage(t *testing.T) {
	m := New(smallConfig, 2)
	imgs := scenes(2, 16, 70)
	all := m.Encode(imgs)
	for _, i := range []int{0, 33, 64, 69} {
		one := m.Encode(imgs[i : i+1])[0]
		for j := range one {
			if one[j] != all[i][j] {
				t.Fatalf("image %d: code %d is %d alone but %d in a batch", i, j, one[j], all[i][j])
			}
		}
	}
}

func TestTrainOverfitsOneBatch(t *testing.T) {
	m := New(smallConfig, 3)
	batch := scenes(3, 16, 4)
	next := 0
	data := func(*rand.Rand) *img.Image { next++; return batch[next%len(batch)] }
	var losses, psnrs []float64
	err := m.Train(context.Background(), data, 80, TrainOptions{Batch: 4, LR: 3e-3, DeadAfter: 20, RestartEvery: 10}, func(step int, loss, psnr float64) {
		if step != len(losses)+1 {
			t.Fatalf("progress step %d after %d calls", step, len(losses))
		}
		losses = append(losses, loss)
		psnrs = append(psnrs, psnr)
	})
	if err != nil {
		t.Fatal(err)
	}
	first, last := mean(losses[:5]), mean(losses[len(losses)-5:])
	if !(last < 0.35*first) {
		t.Fatalf("loss fell from %.4f to %.4f over 80 steps on one batch; want below 35%%", first, last)
	}
	if gain := mean(psnrs[len(psnrs)-5:]) - mean(psnrs[:5]); gain < 4 {
		t.Fatalf("batch PSNR rose by only %.2f dB", gain)
	}
	// Reconstruction through the codes (not the training forward) also improved.
	s, err := m.Evaluate(batch)
	if err != nil {
		t.Fatal(err)
	}
	if s.PSNR < mean(psnrs[:5])+3 {
		t.Fatalf("reconstruction PSNR %.2f dB after overfitting; training began at %.2f dB", s.PSNR, mean(psnrs[:5]))
	}

	// Training stops at once with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	steps := m.Steps
	if err := m.Train(ctx, data, 10, TrainOptions{Batch: 4}, nil); !errors.Is(err, context.Canceled) || m.Steps != steps {
		t.Fatalf("cancelled training: error %v, steps %d → %d", err, steps, m.Steps)
	}
	bad := func(*rand.Rand) *img.Image { return img.New(8, 8) }
	if err := m.Train(context.Background(), bad, 1, TrainOptions{Batch: 2}, nil); err == nil || !strings.Contains(err.Error(), "not 16×16") {
		t.Fatalf("wrong-size data: error %v", err)
	}
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// TestCodebookEMA checks one moving-average update against the formulas
// computed by hand in float64, with and without normalisation.
func TestCodebookEMA(t *testing.T) {
	for _, normalize := range []bool{false, true} {
		cfg := Config{Resolution: 8, Downsample: 2, Channels: 4, NormGroups: 0, Codes: 3, CodeDim: 2, Normalize: normalize}
		m := New(cfg, 1)
		e := &codebookEMA{m: m, counts: []float64{1, 2, 0.5}, sums: []float64{1, 0, 0, 2, 0.5, 0.5}, lastUsed: []int{0, 0, 0}}
		rows := []float32{1, 1, 3, -1, 0, 2}
		ids := []int32{0, 0, 1} // code 0 gets (1,1)+(3,−1) = (4,0); code 1 gets (0,2)
		const g = 0.75          // exact in float32
		e.update(rows, ids, g, 7)
		counts := []float64{g*1 + (1-g)*2, g*2 + (1-g)*1, g * 0.5}
		sums := []float64{g*1 + (1-g)*4, g*0 + (1-g)*0, g*0 + (1-g)*0, g*2 + (1-g)*2, g * 0.5, g * 0.5}
		for i := range counts {
			if math.Abs(e.counts[i]-counts[i]) > 1e-12 {
				t.Fatalf("count[%d] = %g, want %g", i, e.counts[i], counts[i])
			}
		}
		total := counts[0] + counts[1] + counts[2]
		for c := 0; c < 3; c++ {
			want := []float64{sums[2*c], sums[2*c+1]}
			smoothed := (counts[c] + laplaceEps) / (total + 3*laplaceEps) * total
			want[0] /= smoothed
			want[1] /= smoothed
			if normalize {
				n := math.Hypot(want[0], want[1])
				want[0] /= n
				want[1] /= n
			}
			for j := 0; j < 2; j++ {
				if got := float64(m.codebook.Data[2*c+j]); math.Abs(got-want[j]) > 1e-6 {
					t.Fatalf("normalize=%v: code %d[%d] = %g, want %g", normalize, c, j, got, want[j])
				}
			}
		}
		if e.lastUsed[0] != 7 || e.lastUsed[1] != 7 || e.lastUsed[2] != 0 {
			t.Fatalf("last used %v, want [7 7 0]", e.lastUsed)
		}
	}
}

func TestDeadCodeRestart(t *testing.T) {
	cfg := Config{Resolution: 8, Downsample: 2, Channels: 4, Codes: 4, CodeDim: 2}
	m := New(cfg, 1)
	e := &codebookEMA{m: m, counts: make([]float64, 4), sums: make([]float64, 8), lastUsed: []int{95, 10, 90, 0}}
	before := append([]float32(nil), m.codebook.Data...)
	rows := []float32{5, 5, -5, 5}
	moved := e.restartDead(rows, 100, 50, rand.New(rand.NewPCG(1, 2)))
	if moved != 2 {
		t.Fatalf("restarted %d codes, want 2 (codes 1 and 3, unused for 90 and 100 steps)", moved)
	}
	for c := 0; c < 4; c++ {
		code := m.codebook.Data[2*c : 2*c+2]
		if c == 0 || c == 2 {
			if code[0] != before[2*c] || code[1] != before[2*c+1] {
				t.Fatalf("live code %d moved", c)
			}
			continue
		}
		near := false
		for i := 0; i < 2; i++ {
			if math.Abs(float64(code[0]-rows[2*i])) < 0.1 && math.Abs(float64(code[1]-rows[2*i+1])) < 0.1 {
				near = true
			}
		}
		if !near || e.lastUsed[c] != 100 || e.counts[c] != 1 {
			t.Fatalf("dead code %d restarted at %v (last used %d, count %g); want near an encoder output of %v, 100, 1", c, code, e.lastUsed[c], e.counts[c], rows)
		}
	}
}

// mustPanic checks that f panics with a message containing all of parts.
func mustPanic(t *testing.T, f func(), parts ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic; want one mentioning %q", parts)
		}
		msg, _ := r.(string)
		for _, p := range parts {
			if !strings.Contains(msg, p) {
				t.Fatalf("panic %q does not mention %q", msg, p)
			}
		}
	}()
	f()
}

func BenchmarkTrainStep(b *testing.B) {
	m := New(DefaultConfig, 1)
	imgs := scenes(4, 32, 16)
	next := 0
	data := func(*rand.Rand) *img.Image { next++; return imgs[next%len(imgs)] }
	b.ResetTimer()
	if err := m.Train(context.Background(), data, b.N, TrainOptions{Batch: 16}, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(16*b.N)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkEncode(b *testing.B) {
	m := New(DefaultConfig, 1)
	imgs := scenes(5, 32, 64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Encode(imgs)
	}
	b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "images/s")
}

// A trained model keeps its codebook when training continues (after Load,
// say): the moving averages start from it instead of from the data.
func TestTrainContinuesFromCodebook(t *testing.T) {
	m := New(smallConfig, 4)
	batch := scenes(4, 16, 4)
	data := func(rng *rand.Rand) *img.Image { return batch[rng.IntN(len(batch))] }
	if err := m.Train(context.Background(), data, 3, TrainOptions{Batch: 4}, nil); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	before := append([]float32(nil), loaded.Codebook().Data...)
	if err := loaded.Train(context.Background(), data, 1, TrainOptions{Batch: 4, EMADecay: 0.999}, nil); err != nil {
		t.Fatal(err)
	}
	for i, v := range loaded.Codebook().Data {
		if math.Abs(float64(v-before[i])) > 0.01 {
			t.Fatalf("codebook[%d] moved from %g to %g in one step with decay 0.999: it was reinitialised", i, before[i], v)
		}
	}
	if loaded.Steps != 4 {
		t.Fatalf("steps %d after 3 + 1, want 4", loaded.Steps)
	}
}
