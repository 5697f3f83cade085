package lab

import (
	"context"
	"math"
	"strings"
	"unicode"

	"xprompt/data"
	"xprompt/img"
	"xprompt/model"
	"xprompt/tasks"
)

// bag is a bag of words with its Euclidean norm.
type bag struct {
	counts map[string]float64
	norm   float64
}

// Words splits an instruction into lower-case words: maximal runs of letters
// and digits ("Make the red circle blue!" → make, the, red, circle, blue).
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func newBag(s string) bag {
	b := bag{counts: map[string]float64{}}
	for _, w := range Words(s) {
		b.counts[w]++
	}
	for _, c := range b.counts {
		b.norm += c * c
	}
	b.norm = math.Sqrt(b.norm)
	return b
}

func (a bag) cosine(b bag) float64 {
	if a.norm == 0 || b.norm == 0 {
		return 0
	}
	dot := 0.0
	for w, c := range a.counts {
		dot += c * b.counts[w]
	}
	return dot / (a.norm * b.norm)
}

// Similarity is the bag-of-words cosine of two instructions: with word
// counts a and b (Words), a·b / (‖a‖‖b‖), 0 when either has no word.
func Similarity(x, y string) float64 { return newBag(x).cosine(newBag(y)) }

// Database is the retrieval side of RAIE (retrieval-augmented image
// editing): training pairs whose instructions are compared with a query's.
type Database struct {
	Examples []tasks.Example
	bags     []bag
}

// NewDatabase indexes the examples by their instructions.
func NewDatabase(exs []tasks.Example) *Database {
	d := &Database{Examples: exs, bags: make([]bag, len(exs))}
	for i, e := range exs {
		d.bags[i] = newBag(e.Instruction)
	}
	return d
}

// Nearest returns the index of the example whose instruction is most
// similar to instruction (Similarity; ties go to the lowest index) and the
// similarity, or −1 and 0 for an empty database.
func (d *Database) Nearest(instruction string) (int, float64) {
	q := newBag(instruction)
	best, bestSim := -1, math.Inf(-1)
	for i, b := range d.bags {
		if s := q.cosine(b); s > bestSim {
			best, bestSim = i, s
		}
	}
	if best < 0 {
		return -1, 0
	}
	return best, bestSim
}

// RAIE measures retrieval-augmented image editing on the seen edit
// families: the in-context example of each query is the database pair with
// the most similar instruction (Database.Nearest, bag-of-words cosine), a
// random pair of the query's own family, or nothing. The database holds
// Config.Database training pairs drawn round-robin from the edit families
// with a seed apart from the queries'. Columns: PSNR per family, mean PSNR
// and SSIM, the mean instruction similarity of the chosen examples, and the
// fraction of retrieved examples from the query's family.
func RAIE(ctx context.Context, cfg Config) (*Table, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t := &Table{Name: "raie", Caption: "Retrieval-augmented image editing on the seen edit families (base model, X-Prompt): " +
		"the in-context example is retrieved by bag-of-words cosine similarity of instructions, drawn at random from the query's family, or absent."}
	var fams []familySpec
	for _, f := range editFamilies {
		fams = append(fams, familySpec{f, scorePSNRSSIM})
		t.Columns = append(t.Columns, Column{f + " PSNR", 2})
	}
	t.Columns = append(t.Columns, Column{"mean PSNR", 2}, Column{"mean SSIM", 3}, Column{"similarity", 3}, Column{"same family", 2})
	sets, err := drawSets(cfg, fams, 0)
	if err != nil {
		return nil, err
	}
	size := cfg.imageSize()
	rng := tasks.NewRand(familySeed(cfg.Seed, "raie database"))
	var pool []tasks.Example
	for i := 0; i < max(cfg.Database, len(editFamilies)); i++ {
		f, err := tasks.ByName(editFamilies[i%len(editFamilies)])
		if err != nil {
			return nil, err
		}
		pool = append(pool, data.SampleExamples(f, false, 1, rng, size)...)
	}
	db := NewDatabase(pool)
	pick := tasks.NewRand(familySeed(cfg.Seed, "raie random"))

	const (
		rowNone      = "no example"
		rowRandom    = "random example"
		rowRetrieved = "retrieved example"
	)
	// choose returns the example of each row for a query.
	choose := func(rowName string, q tasks.Example) tasks.Example {
		if rowName == rowRetrieved {
			i, _ := db.Nearest(q.Instruction)
			return db.Examples[i]
		}
		var same []int
		for i, e := range db.Examples {
			if e.Family == q.Family {
				same = append(same, i)
			}
		}
		return db.Examples[same[pick.IntN(len(same))]]
	}
	firsts := make([][]*img.Image, len(sets)) // [family][row]
	chosen := make([][]*tasks.Example, len(sets))
	for _, name := range []string{rowNone, rowRandom, rowRetrieved} {
		if !cfg.wants(name) {
			continue
		}
		reg, err := cfg.models()
		if err != nil {
			return t, err
		}
		tr, err := reg.Get(ctx, VariantBase)
		if err != nil {
			return t, err
		}
		row := cfg.newRow(t.Name, name)
		var psnr, ssim, sim, same float64
		n := 0
		for fi, s := range sets {
			cfg.say(t.Name, "%s: %s", name, s.Family)
			var outs []*img.Image
			if name == rowNone {
				g, err := generate(ctx, tr.Engine, nil, model.ModeNone, s.Queries, cfg.Sample, 1)
				if err != nil {
					return t, err
				}
				outs = g.Outputs
			} else {
				for qi, q := range s.Queries {
					ex := choose(name, q)
					g, err := generate(ctx, tr.Engine, []tasks.Example{ex}, model.ModeXPrompt, []tasks.Example{q}, cfg.Sample, 1)
					if err != nil {
						return t, err
					}
					outs = append(outs, g.Outputs[0])
					sim += Similarity(q.Instruction, ex.Instruction)
					if ex.Family == q.Family {
						same++
					}
					n++
					if qi == 0 {
						chosen[fi] = append(chosen[fi], &ex)
					}
				}
			}
			sc, err := meanScores(outs, s.truths())
			if err != nil {
				return t, err
			}
			row.Metrics[s.Family+" PSNR"] = sc.PSNR
			psnr += sc.PSNR / float64(len(sets))
			ssim += sc.SSIM / float64(len(sets))
			firsts[fi] = append(firsts[fi], outs[0])
		}
		row.Metrics["mean PSNR"], row.Metrics["mean SSIM"] = psnr, ssim
		if n > 0 {
			row.Metrics["similarity"] = sim / float64(n)
			row.Metrics["same family"] = same / float64(n)
		}
		t.Add(row)
	}
	if len(t.Rows) > 0 {
		var lines [][]*img.Image
		for fi, s := range sets {
			up := func(m *img.Image) *img.Image { return img.Nearest(m, 2) }
			line := []*img.Image{up(s.Queries[0].Input)}
			for _, ex := range chosen[fi] {
				line = append(line, up(ex.Input), up(ex.Output))
			}
			for _, o := range firsts[fi] {
				line = append(line, up(o))
			}
			lines = append(lines, append(line, up(s.Queries[0].Output)))
		}
		t.Figure = img.Grid(lines, 2)
		t.FigureCaption = "One line per edit family, first query: input | the chosen examples (input, output) of the random and retrieved rows | " +
			"the outputs of each row computed (" + strings.Join(computed(t), ", ") + ") | ground truth."
	}
	return t, nil
}

// computed lists the names of the table's rows.
func computed(t *Table) []string {
	var out []string
	for _, r := range t.Rows {
		out = append(out, r.Name)
	}
	return out
}
