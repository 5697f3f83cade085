package xpmagic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"xprompt/data"
	"xprompt/display"
	"xprompt/model"
	"xprompt/session"
	"xprompt/tasks"
	"xprompt/train"
	"xprompt/view"
	"xprompt/vq"
)

// tinyCheckpoint saves an untrained tiny model with fresh tokenizers (the
// plumbing is under test, not the quality) and returns its path and
// parameter count.
func tinyCheckpoint(t *testing.T) (string, int) {
	t.Helper()
	codec := vq.New(vq.DefaultConfig, 1)
	var blob bytes.Buffer
	if err := codec.SaveFloat16(&blob); err != nil {
		t.Fatal(err)
	}
	r, err := train.NewRun(train.DefaultOptions("tiny"), data.NewTextTokenizer(1, 512), codec, blob.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tiny.xpm")
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
	return path, r.Model.Params.Count()
}

// pngOf decodes the image/png of a bundle.
func pngOf(t *testing.T, b display.Bundle) image.Image {
	t.Helper()
	raw, ok := b.Data[display.MIMEPNG].([]byte)
	if !ok {
		t.Fatalf("no image/png in %q", b.PlainText())
	}
	m, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// evalBundle runs a cell that must succeed and returns its bundle.
func evalBundle(t *testing.T, s *session.Session, code string) (display.Bundle, *recorder) {
	t.Helper()
	rec := newRecorder()
	b, err := s.Eval(context.Background(), code, rec)
	if err != nil || b == nil {
		t.Fatalf("cell %q: value %v, error %v", code, b, err)
	}
	return *b, rec
}

// pngs returns the displays of a recorder that hold a PNG.
func (r *recorder) pngs() []display.Bundle {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []display.Bundle
	for _, d := range r.displays {
		if _, ok := d.b.Data[display.MIMEPNG]; ok {
			out = append(out, d.b)
		}
	}
	return out
}

func rgbAt(m image.Image, x, y int) (r, g, b int) {
	R, G, B, _ := m.At(x, y).RGBA()
	return int(R >> 8), int(G >> 8), int(B >> 8)
}

func TestModelMagicsNeedAModel(t *testing.T) {
	s := newSession(t)
	for _, cell := range []string{"%prompt derain", "%mask", "%attn 0 0", "%compress", "%gen", "%train 3", "%train", "%save x.xpm"} {
		if ce := evalErr(t, s, cell); !strings.Contains(ce.Value, "no model: run %load first") {
			t.Errorf("%s without a model: %s: %s", cell, ce.Name, ce.Value)
		}
	}
	eval(t, s, "m := 3")
	if ce := evalErr(t, s, "%prompt derain"); !strings.Contains(ce.Value, "m is a int") {
		t.Errorf("m of another type: %v", ce)
	}
	// %task needs no model.
	if got, _ := eval(t, s, "%task"); !strings.Contains(got, "derain") {
		t.Errorf("%%task without a model:\n%s", got)
	}
}

// TestModelMagics drives every model magic through Eval on one session, as a
// notebook would.
func TestModelMagics(t *testing.T) {
	path, nparams := tinyCheckpoint(t)
	s := newSession(t)

	// %load binds m and describes it.
	got, _ := eval(t, s, "%load "+path)
	for _, want := range []string{"tiny", view.GroupDigits(int64(nparams)), path, "2 × 64 (4 heads"} {
		if !strings.Contains(got, want) {
			t.Errorf("%%load output lacks %q:\n%s", want, got)
		}
	}
	if got, _ := eval(t, s, "m.Source + \" \" + m.Model.Cfg.Preset"); got != path+" tiny" {
		t.Errorf("m: %q", got)
	}

	// %task lists the families with their split; %task NAME samples one.
	got, _ = eval(t, s, "%task")
	held := regexp.MustCompile(`(?m)^\S+\s+\S+\s+held out`).FindAllString(got, -1)
	if len(held) != len(tasks.HeldOut()) || !strings.Contains(got, "flip_h") {
		t.Errorf("%%task: %d held-out rows, want %d:\n%s", len(held), len(tasks.HeldOut()), got)
	}
	got, rec := eval(t, s, "%task derain --seed 3")
	f, _ := tasks.ByName("derain")
	want := f.Sample(tasks.NewRand(3), 32)
	if !strings.Contains(got, want.Instruction) || len(rec.pngs()) != 1 {
		t.Errorf("%%task derain: %d images, text:\n%s\nwant instruction %q", len(rec.pngs()), got, want.Instruction)
	}
	if got, _ := eval(t, s, "ex.Family + \"|\" + ex.Instruction"); got != "derain|"+want.Instruction {
		t.Errorf("ex = %q", got)
	}
	a, _ := eval(t, s, "%task flip_h")
	b, _ := eval(t, s, "%task flip_h")
	if a == b {
		t.Errorf("two %%task draws without --seed are the same:\n%s", a)
	}

	// %prompt on a held-out task: the draw of Evaluate, its layout, images.
	got, rec = eval(t, s, "%prompt derain --examples 2 --seed 5")
	if len(rec.pngs()) != 1 {
		t.Errorf("%%prompt showed %d images", len(rec.pngs()))
	}
	rng := rand.New(rand.NewPCG(5, 5^0xe7a1))
	draw := data.SampleExamples(f, false, 3, rng, 32)
	if q, _ := eval(t, s, "p.Query.Instruction"); q != draw[2].Instruction {
		t.Errorf("p.Query.Instruction = %q, want Evaluate's draw %q", q, draw[2].Instruction)
	}
	tokens := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(\S+(?: target)?)\s+\[(\d+), (\d+)\)\s+(\d+)`).FindAllStringSubmatch(got, -1) {
		lo, _ := strconv.Atoi(m[2])
		hi, _ := strconv.Atoi(m[3])
		n, _ := strconv.Atoi(m[4])
		if hi-lo != n {
			t.Errorf("row %q: span of %d tokens, count %d", m[0], hi-lo, n)
		}
		tokens[strings.TrimSpace(m[1])] = n
	}
	seqLen, _ := strconv.Atoi(must(eval(t, s, "p.Seq.Len()")))
	sum := tokens["BOS"] + tokens["IE[0]"] + tokens["IE[1]"] + tokens["XP"] + tokens["TD"]
	// BOS 1, XP S = 4, the target an image of 8×8 codes (<boi> <size> 8 rows
	// of 8 codes and <eol>, <eoi>) and <eos>.
	if tokens["BOS"] != 1 || tokens["XP"] != 4 || tokens["target"] != 3+8*9+1 || sum != seqLen || tokens["IE[1]"] == 0 {
		t.Errorf("layout %v (sequence of %d tokens):\n%s", tokens, seqLen, got)
	}

	// %mask: a PNG of 6 + T·scale pixels a side; TD rows see IE in the
	// causal baseline only.
	for _, c := range []struct {
		mode   string
		t      int
		tdSeIE bool
	}{
		{"", seqLen, false},
		{"xprompt", seqLen, false},
		{"causal", seqLen - 4, true},
		{"none", 1 + tokens["TD"], false},
	} {
		b, _ := evalBundle(t, s, strings.TrimSpace("%mask "+c.mode))
		m := pngOf(t, b)
		scale := max(1, 480/c.t)
		if side := 6 + c.t*scale; m.Bounds().Dx() != side || m.Bounds().Dy() != side {
			t.Errorf("%%mask %s: %v, want %d×%d for %d tokens", c.mode, m.Bounds(), side, side, c.t)
			continue
		}
		// Query: the last token (TD); key: token 3 (in IE unless none).
		px := func(i, j int) (int, int, int) { return rgbAt(m, 6+j*scale+scale/2, 6+i*scale+scale/2) }
		r, g, bl := px(c.t-1, 3)
		allowed := r+g+bl > 150
		if c.mode != "none" && allowed != c.tdSeIE {
			t.Errorf("%%mask %s: TD→IE cell rgb(%d,%d,%d), allowed %v, want %v", c.mode, r, g, bl, allowed, c.tdSeIE)
		}
		if r, g, bl := px(c.t-1, 0); r+g+bl < 150 {
			t.Errorf("%%mask %s: TD→BOS cell dark rgb(%d,%d,%d)", c.mode, r, g, bl)
		}
	}

	// %attn: weights of one head; TD rows over IE columns are zero (the
	// bottom of the colour scale), BOS is attended to.
	ab, _ := evalBundle(t, s, "%attn 1 3")
	m := pngOf(t, ab)
	cell := max(1, 384/seqLen)
	if m.Bounds().Dx() < seqLen*cell || m.Bounds().Dy() != 18+seqLen*cell {
		t.Errorf("%%attn image %v for %d tokens", m.Bounds(), seqLen)
	}
	if r, g, bl := rgbAt(m, 5*cell, 18+(seqLen-2)*cell); r != 68 || g != 1 || bl != 84 {
		t.Errorf("%%attn: TD→IE weight drawn rgb(%d,%d,%d), want viridis(0)", r, g, bl)
	}

	// %compress step ×4, then cp is BOS + XP and smaller than the full cache.
	for k := 1; k <= 4; k++ {
		got, rec := eval(t, s, "%compress step")
		all := allText(got, rec)
		if !strings.Contains(all, fmt.Sprintf("%%compress %d/4", k)) || strings.Contains(all, fmt.Sprintf("%%compress %d/4", k+1)) {
			t.Errorf("%%compress step %d:\n%s", k, all)
		}
		if k == 2 {
			checkXPMass(t, all, 4)
			if len(rec.pngs()) != 1 {
				t.Errorf("stage 2 showed %d heat maps", len(rec.pngs()))
			}
		}
	}
	// 2 layers × (K and V) × 64 floats × 4 bytes per kept token.
	if got := must(eval(t, s, "fmt.Sprint(cp.Kept(), cp.Bytes, cp.Bytes < cp.FullBytes)")); got != fmt.Sprint(5, 5*2*2*64*4, true) {
		t.Errorf("cp: kept, bytes, smaller = %s", got)
	}
	// The stepwise cp equals one prefill (checked here independently).
	diff := `ref, _ := m.Model.Compress(prefixOf(p.Prefix(model.ModeXPrompt)))
d := 0.0
for l := range ref.Cache.K {
	for i, v := range ref.Cache.K[l].Data {
		d = math.Max(d, math.Abs(float64(v-cp.Cache.K[l].Data[i])))
	}
}
d < 1e-4 && ref.Bytes == cp.Bytes`
	eval(t, s, "func prefixOf(s *model.Sequence, err error) *model.Sequence { return s }")
	if got := must(eval(t, s, diff)); got != "true" {
		t.Errorf("stepwise cp differs from m.Model.Compress")
	}
	// all: after two steps it runs the two stages left; after the last
	// stage it starts over.
	eval(t, s, "%compress step")
	eval(t, s, "%compress step")
	got, rec = eval(t, s, "%compress all")
	if !strings.Contains(rec.displays[0].b.PlainText(), "%compress 3/4") || !strings.Contains(got, "4/4") {
		t.Errorf("%%compress all after 2 steps: %s", got)
	}
	got, rec = eval(t, s, "%compress")
	if len(rec.displays) < 4 || !strings.Contains(rec.displays[0].b.PlainText(), "1/4") || !strings.Contains(got, "ready") {
		t.Errorf("%%compress all from the start: %d displays, %s", len(rec.displays), got)
	}

	// %gen: the strip of images and finite scores; seeded sampling repeats.
	got, rec = eval(t, s, "%gen")
	if len(rec.pngs()) != 1 {
		t.Fatalf("%%gen showed %d images", len(rec.pngs()))
	}
	if strip := pngOf(t, rec.pngs()[0]); strip.Bounds().Dx() < 5*96 {
		t.Errorf("%%gen strip %v: want 5 images of 96 pixels", strip.Bounds())
	}
	psnr := genMetric(t, got, "PSNR (dB)")
	ssim := genMetric(t, got, "SSIM")
	if !(psnr > 0 && psnr <= 100 && ssim >= -1 && ssim <= 1) {
		t.Errorf("%%gen metrics PSNR %v SSIM %v:\n%s", psnr, ssim, got)
	}
	g1, _ := eval(t, s, "%gen --temp 1 --topk 20 --seed 4")
	g2, _ := eval(t, s, "%gen --seed 4 --topk 20 --temp 1")
	if g1 != g2 {
		t.Errorf("seeded %%gen differs:\n%s\n%s", g1, g2)
	}

	// %train 3 advances the run by 3 steps with a live display.
	_, rec = eval(t, s, "%train 3")
	if step := models(s).run.Step; step != 3 || len(models(s).run.History) != 3 {
		t.Fatalf("after %%train 3: step %d, %d losses", step, len(models(s).run.History))
	}
	var live, updates int
	for _, d := range rec.displays {
		if d.id != "" {
			live++
			if d.update {
				updates++
			}
		}
	}
	if live < 2 || updates < 1 {
		t.Errorf("%%train 3: %d live displays, %d updates", live, updates)
	}
	if got := allText(eval(t, s, "%train")); !regexp.MustCompile(`steps done\s+3\b`).MatchString(got) {
		t.Errorf("%%train state:\n%s", got)
	}

	// Interrupted after the first progress update: returns at the next step
	// boundary, the run intact.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := &cancelSink{recorder: newRecorder(), cancel: cancel}
	start := time.Now()
	_, err := s.Eval(ctx, "%train 100000", cs)
	var ce *display.CellError
	if !errors.As(err, &ce) || ce.Name != "Interrupted" {
		t.Fatalf("interrupted %%train: %v", err)
	}
	if el := time.Since(start); el > 2*time.Minute { // a hang guard, not a speed check
		t.Errorf("interrupted %%train returned after %v", el)
	}
	if step := models(s).run.Step; step != 4 || len(models(s).run.History) != 4 || !strings.Contains(cs.text("stdout"), "interrupted at step 4") {
		t.Errorf("after the interrupt: step %d, %d losses, stdout %q", step, len(models(s).run.History), cs.text("stdout"))
	}

	// --lr changes the schedule's peak and keeps the run.
	eval(t, s, "%train 1 --lr 0.0005")
	if r := models(s).run; r.Step != 5 || len(r.History) != 5 || r.Opts.LR != 0.0005 || r.Model != models(s).loaded.Model {
		t.Errorf("%%train 1 --lr: step %d, %d losses, lr %v", r.Step, len(r.History), r.Opts.LR)
	}

	// %save writes a checkpoint that loads, with the optimizer state; a new
	// session resumes the run from it.
	saved := filepath.Join(t.TempDir(), "more.xpm")
	if got, _ := eval(t, s, "%save "+saved); !strings.Contains(got, "step 5") {
		t.Errorf("%%save: %s", got)
	}
	ck, err := model.Load(saved)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Optim == nil || ck.Optim.Steps != 5 {
		t.Errorf("saved optimizer state %+v", ck.Optim)
	}
	for _, name := range models(s).loaded.Model.Params.Names() {
		a, b := models(s).loaded.Model.Params.Get(name).Data, ck.Model.Params.Get(name).Data
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("saved %s[%d] = %v, m has %v", name, i, b[i], a[i])
			}
		}
	}
	s2 := newSession(t)
	eval(t, s2, "%load "+saved)
	if got := allText(eval(t, s2, "%train")); !regexp.MustCompile(`steps done\s+5\b`).MatchString(got) {
		t.Errorf("%%train after loading the saved run:\n%s", got)
	}
}

// checkXPMass checks the table of stage 2: one row per XP token whose
// attention masses sum to 1.
func checkXPMass(t *testing.T, text string, xp int) {
	t.Helper()
	rows := regexp.MustCompile(`(?m)^XP\[\d+\]((?:\s+[\d.]+)+)$`).FindAllStringSubmatch(text, -1)
	if len(rows) != xp {
		t.Fatalf("stage 2 mass table has %d XP rows, want %d:\n%q", len(rows), xp, text)
	}
	for _, r := range rows {
		sum := 0.0
		for _, f := range strings.Fields(r[1]) {
			v, _ := strconv.ParseFloat(f, 64)
			sum += v
		}
		if math.Abs(sum-1) > 0.005 {
			t.Errorf("attention mass row %q sums to %v", r[0], sum)
		}
	}
}

// genMetric reads a metric of %gen's table.
func genMetric(t *testing.T, table, name string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s+(\S+)`).FindStringSubmatch(table)
	if m == nil {
		t.Fatalf("no %s in:\n%s", name, table)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		t.Fatalf("%s = %q", name, m[1])
	}
	return v
}

func must(s string, _ *recorder) string { return s }

// allText joins the texts of a cell's displays and of its value.
func allText(value string, rec *recorder) string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var parts []string
	for _, d := range rec.displays {
		parts = append(parts, d.b.PlainText())
	}
	return strings.Join(append(parts, value), "\n")
}

// cancelSink cancels the cell at its first display.
type cancelSink struct {
	*recorder
	cancel context.CancelFunc
}

func (c *cancelSink) Display(b display.Bundle, id string, update bool) {
	c.recorder.Display(b, id, update)
	c.cancel()
}
