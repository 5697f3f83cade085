package tasks

import (
	"strings"
	"testing"

	"xprompt/img"
)

func TestGenEvalPromptsText(t *testing.T) {
	ps := GenEvalPrompts(1, 30)
	if len(ps) != 30*len(GenEvalKinds) {
		t.Fatalf("%d prompts, want %d", len(ps), 30*len(GenEvalKinds))
	}
	for _, p := range ps {
		for _, po := range p.Objects {
			name := po.Shape.String()
			if po.Count > 1 {
				name = numberWords[po.Count] + " " + po.Shape.Plural()
			}
			if po.Colour >= 0 {
				name = ColourNames[po.Colour] + " " + name
			}
			if !strings.Contains(p.Text, name) {
				t.Errorf("%s prompt %q does not name %q", p.Kind, p.Text, name)
			}
		}
		if p.Kind == GenPosition && !strings.Contains(p.Text, " "+p.Relation+" ") {
			t.Errorf("position prompt %q misses %q", p.Text, p.Relation)
		}
	}
	again := GenEvalPrompts(1, 30)
	for i := range ps {
		if ps[i].Text != again[i].Text {
			t.Fatalf("prompt %d differs between equal seeds", i)
		}
	}
}

// TestGenEvalOnOwnScenes renders each prompt's own scene (clean and with
// mild noise, as a generated image would have) and expects a perfect score.
func TestGenEvalOnOwnScenes(t *testing.T) {
	ps := GenEvalPrompts(2, 40)
	rng := NewRand(3)
	clean := make([]*img.Image, len(ps))
	noisy := make([]*img.Image, len(ps))
	for i, p := range ps {
		clean[i] = Render(p.Scene(rng, 32))
		noisy[i] = AddNoise(clean[i], rng, 0.03)
		if ok, why := CheckPrompt(p, clean[i]); !ok {
			t.Errorf("%q on its own scene: %s", p.Text, why)
		}
	}
	for name, ims := range map[string][]*img.Image{"clean": clean, "noisy": noisy} {
		sc := ScoreGenEval(ps, ims)
		for _, k := range GenEvalKinds {
			if sc.Accuracy[k] != 1 || sc.N[k] != 40 {
				t.Errorf("%s: %s accuracy %g over %d", name, k, sc.Accuracy[k], sc.N[k])
			}
		}
		if sc.Overall != 1 {
			t.Errorf("%s: overall %g", name, sc.Overall)
		}
	}
}

// wrongPrompt returns a prompt that p's claims contradict: another shape,
// count, colour or relation, or swapped colours.
func wrongPrompt(p GenPrompt) GenPrompt {
	w := p
	w.Objects = append([]PromptObject(nil), p.Objects...)
	other := func(s Shape) Shape { return Shapes[(int(s)-1+1)%len(Shapes)] }
	switch p.Kind {
	case GenSingle, GenColours:
		if p.Kind == GenSingle {
			w.Objects[0].Shape = other(p.Objects[0].Shape)
		} else {
			w.Objects[0].Colour = (p.Objects[0].Colour + 1) % len(Palette)
		}
	case GenTwo:
		a, b := p.Objects[0].Shape, p.Objects[1].Shape
		for _, s := range Shapes {
			if s != a && s != b {
				w.Objects[1].Shape = s
			}
		}
	case GenCounting:
		w.Objects[0].Count = p.Objects[0].Count + 1
		if p.Objects[0].Count == 4 {
			w.Objects[0].Count = 3
		}
	case GenPosition:
		w.Relation = map[string]string{"left of": "right of", "right of": "left of", "above": "below", "below": "above"}[p.Relation]
	case GenColorAttr:
		w.Objects[0].Colour, w.Objects[1].Colour = p.Objects[1].Colour, p.Objects[0].Colour
	}
	return w
}

func TestGenEvalRejectsWrongScenes(t *testing.T) {
	ps := GenEvalPrompts(4, 30)
	rng := NewRand(5)
	ims := make([]*img.Image, len(ps))
	for i, p := range ps {
		ims[i] = Render(wrongPrompt(p).Scene(rng, 32))
		if ok, _ := CheckPrompt(p, ims[i]); ok {
			t.Errorf("%q passes on a scene of %q", p.Text, wrongPrompt(p).Text)
		}
	}
	sc := ScoreGenEval(ps, ims)
	if sc.Overall != 0 {
		t.Errorf("overall %g on wrong scenes, want 0 (%v)", sc.Overall, sc.Accuracy)
	}
}

// TestDetectShapes renders each shape at radii 3–10 pixels and random
// sub-pixel positions on random backgrounds at 32 and 64 and expects it
// found with its shape, colour and centre.
func TestDetectShapes(t *testing.T) {
	rng := NewRand(6)
	for _, size := range []int{32, 64} {
		for _, sh := range Shapes {
			for k := 0; k < 60; k++ {
				r := 3 + rng.Float64()*min(7, float64(size)/8)
				o := Object{Shape: sh, Colour: rng.IntN(len(Palette)), Size: r / float64(size),
					X: 0.3 + 0.4*rng.Float64(), Y: 0.3 + 0.4*rng.Float64()}
				s := &Scene{Size: size, Background: RandomBackground(rng), Objects: []Object{o}}
				d := DetectObjects(Render(s))
				if len(d) != 1 || d[0].Shape != sh || d[0].Colour != o.Colour {
					t.Fatalf("%v r=%.2f px at %d: detections %+v", sh, r, size, d)
				}
				if dx, dy := d[0].X-o.X, d[0].Y-o.Y; dx*dx+dy*dy > 0.03*0.03 && sh != Triangle {
					t.Errorf("%v centre (%.3f,%.3f), want (%.3f,%.3f)", sh, d[0].X, d[0].Y, o.X, o.Y)
				}
			}
		}
	}
}

func TestScoreGenEvalArithmetic(t *testing.T) {
	// Two kinds: single_object 1 of 2 right, counting 1 of 1 → mean 0.75.
	sq := Render(&Scene{Size: 32, Objects: []Object{{Shape: Square, Colour: 0, X: 0.5, Y: 0.5, Size: 0.15}}})
	ps := []GenPrompt{
		{Kind: GenSingle, Text: "a square", Objects: []PromptObject{{Square, -1, 1}}},
		{Kind: GenSingle, Text: "a circle", Objects: []PromptObject{{Circle, -1, 1}}},
		{Kind: GenCounting, Text: "one square", Objects: []PromptObject{{Square, -1, 1}}},
	}
	sc := ScoreGenEval(ps, []*img.Image{sq, sq, sq})
	if sc.Accuracy[GenSingle] != 0.5 || sc.Accuracy[GenCounting] != 1 || sc.Overall != 0.75 {
		t.Errorf("score %+v, want single 0.5, counting 1, overall 0.75", sc)
	}
}
