package torch

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"xprompt/core"
	"xprompt/interop/safetensors"
	"xprompt/model"
)

// RequireEnv turns the skip for a missing PyTorch into a failure when "1".
const RequireEnv = "XPROMPT_REQUIRE_TORCH"

const python = "/usr/bin/python3"

func requireTorch(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import torch; print(torch.__version__)").CombinedOutput()
	if err != nil {
		msg := "PyTorch unavailable for " + python + " (apt-get install python3-torch): " + string(bytes.TrimSpace(out))
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s\n%s=1, so this is a failure", msg, RequireEnv)
		}
		t.Skipf("%s (%s=1 makes this a failure)", msg, RequireEnv)
	}
	t.Logf("torch %s", bytes.TrimSpace(out))
}

// sequence builds an X-Prompt sequence by hand: [BOS] an in-context image
// with text, the X-Prompt slots, then a query image and a target image cut
// after cut codes (an image still open, as while generating).
func sequence(cfg model.Config, rng *core.RNG, cut int) *model.Sequence {
	v, side := cfg.Vocab, cfg.ImageSide
	s := &model.Sequence{Mode: model.ModeXPrompt}
	add := func(tok, seg int32) {
		s.Tokens = append(s.Tokens, tok)
		s.Seg = append(s.Seg, seg)
	}
	image := func(seg int32, codes int) {
		size, _ := v.SizeToken(side)
		add(v.Tok(model.BOI), seg)
		add(size, seg)
		for r, n := 0, 0; r < side && n < codes; r++ {
			for c := 0; c < side && n < codes; c, n = c+1, n+1 {
				add(v.Code(int32(rng.IntN(v.Codes))), seg)
			}
			if n < codes {
				add(v.Tok(model.EOL), seg)
			}
		}
		if codes >= side*side {
			add(v.Tok(model.EOL), seg)
			add(v.Tok(model.EOI), seg)
		}
	}
	add(v.Tok(model.BOS), core.SegBOS)
	for range 3 {
		add(int32(rng.IntN(v.TextSize)), core.SegIE)
	}
	image(core.SegIE, side*side)
	for slot := range cfg.XP {
		add(int32(-1-slot), core.SegXP)
	}
	add(int32(rng.IntN(v.TextSize)), core.SegTD)
	image(core.SegTD, side*side)
	image(core.SegTD, cut)
	n := len(s.Tokens)
	for i := range n {
		tgt, w := model.IgnoreTarget, float32(0)
		if i+1 < n && s.Seg[i] == core.SegTD && s.Tokens[i+1] >= 0 {
			tgt, w = s.Tokens[i+1], 1+float32(i%3)
		}
		s.Targets = append(s.Targets, tgt)
		s.Weights = append(s.Weights, w)
	}
	return s
}

// TestTorchMatchesGo exports a model with random weights (with and without
// 2-D image positions), runs a padded batch of two X-Prompt sequences through
// the Go model and through xprompt_torch.py, and compares logits and loss.
func TestTorchMatchesGo(t *testing.T) {
	requireTorch(t)
	script, err := filepath.Abs("xprompt_torch.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, pos2d := range []bool{false, true} {
		name := map[bool]string{false: "1d", true: "2d"}[pos2d]
		t.Run(name, func(t *testing.T) {
			cfg := model.Presets["tiny"]
			cfg.ImagePos2D = pos2d
			m, err := model.New(cfg, 7)
			if err != nil {
				t.Fatal(err)
			}
			if pos2d { // the tables are random, not zero: they must matter
				rng := core.NewRNG(9)
				for _, p := range []string{"row_emb", "col_emb"} {
					copy(m.Params.Get(p).Data, rng.Randn(0.5, cfg.ImageSide+2, cfg.D).Data)
				}
			}
			rng := core.NewRNG(3)
			seqs := []*model.Sequence{sequence(cfg, rng, 5), sequence(cfg, rng, 28)}
			batch, err := model.Collate(seqs, cfg.SeqLen, cfg.Vocab.Tok(model.BOS))
			if err != nil {
				t.Fatal(err)
			}
			var logits, loss []float32
			core.NoGrad(func() {
				logits = m.Logits(batch).Data
				loss = m.Loss(batch).Data
			})
			dir := t.TempDir()
			modelPath, casePath, outPath := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "case.safetensors"), filepath.Join(dir, "out.safetensors")
			var buf bytes.Buffer
			if err := safetensors.WriteModel(&buf, m); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(modelPath, buf.Bytes(), 0o644)
			writeCase(t, casePath, batch)
			out, err := exec.Command(python, script, modelPath, casePath, outPath).CombinedOutput()
			if err != nil {
				t.Fatalf("xprompt_torch.py: %v\n%s", err, out)
			}
			data, err := os.ReadFile(outPath)
			if err != nil {
				t.Fatal(err)
			}
			f, err := safetensors.Read(data)
			if err != nil {
				t.Fatal(err)
			}
			got := f.Tensors["logits"].F32
			if len(got) != len(logits) {
				t.Fatalf("torch logits: %d values, Go %d", len(got), len(logits))
			}
			// float32 rounding: the two sum in different orders over D = 64
			// and Hidden = 192; logits are O(1).
			var worst float64
			maxAbs := 0.0
			for i := range got {
				worst = max(worst, math.Abs(float64(got[i]-logits[i])))
				maxAbs = max(maxAbs, math.Abs(float64(logits[i])))
			}
			if tol := 2e-5 * max(1, maxAbs); worst > tol {
				t.Errorf("logits differ by up to %.3g (tolerance %.3g; largest logit %.3g)", worst, tol, maxAbs)
			}
			tl := f.Tensors["loss"].F32[0]
			if d := math.Abs(float64(tl - loss[0])); d > 1e-5*float64(loss[0]) {
				t.Errorf("loss: torch %.7f, Go %.7f", tl, loss[0])
			}
			t.Logf("logits (%d values) agree within %.3g; loss Go %.6f torch %.6f", len(got), worst, loss[0], tl)
		})
	}
}

// writeCase writes the batch as xprompt_torch.py reads it: tokens, pos,
// the dense mask allowed (B, T, T), targets and weights.
func writeCase(t *testing.T, path string, b *model.Batch) {
	t.Helper()
	pos := b.Pos
	if pos == nil {
		pos = make([]int32, b.B*b.T)
		for i := range pos {
			pos[i] = int32(i % b.T)
		}
	}
	mask := b.Mask()
	allowed := make([]int32, 0, b.B*b.T*b.T)
	for i := range b.B {
		for _, a := range mask.Dense(i, b.T, b.T) {
			allowed = append(allowed, int32(a))
		}
	}
	var buf bytes.Buffer
	err := safetensors.Write(&buf, []safetensors.Tensor{
		{Name: "tokens", Shape: []int{b.B, b.T}, I32: b.Tokens},
		{Name: "pos", Shape: []int{b.B, b.T}, I32: pos},
		{Name: "allowed", Shape: []int{b.B, b.T, b.T}, I32: allowed},
		{Name: "targets", Shape: []int{b.B, b.T}, I32: b.Targets},
		{Name: "weights", Shape: []int{b.B, b.T}, F32: b.Weights},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
