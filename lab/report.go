package lab

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"xprompt/display"
	"xprompt/img"
	"xprompt/view"
)

// Report is the outcome of a suite: its tables and the models behind them.
type Report struct {
	Title   string
	Command string // the command line that produced the report
	Config  Config
	Tables  []*Table
	Models  []*Trained
	Elapsed time.Duration
	// Note is shown under the title (an interruption, say).
	Note string
}

// finalLoss is the mean loss of the last tenth of the history (NaN if none).
func finalLoss(h []float32) float64 {
	if len(h) == 0 {
		return math.NaN()
	}
	n := max(len(h)/10, 1)
	s := 0.0
	for _, v := range h[len(h)-n:] {
		s += float64(v)
	}
	return s / float64(n)
}

// settings describes the configuration in one sentence.
func (r *Report) settings() string {
	c := r.Config
	batch := "the preset's batch"
	if c.Batch > 0 {
		batch = fmt.Sprintf("batch %d", c.Batch)
	}
	return fmt.Sprintf("Suite %s: preset %s, %d training steps per model (%s), seed %d; queries per task family: %d; GenEval prompts per kind: %d; RAIE database: %d pairs; decoding: %s.",
		c.Suite, c.Preset, c.Steps, batch, c.Seed, c.Queries, c.GenEvalPerKind, c.Database, decoding(c))
}

// decoding describes the sample options.
func decoding(c Config) string {
	o := c.Sample
	if o.Temperature <= 0 && o.CFG == 0 {
		return "greedy"
	}
	return fmt.Sprintf("temperature %g, top-k %d, top-p %g, CFG %g, seed %d", o.Temperature, o.TopK, o.TopP, o.CFG, o.Seed)
}

// Markdown renders the report: settings, the models with their loss curves,
// then every table with its figure. Image links point at the files Write
// creates.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	if r.Command != "" {
		fmt.Fprintf(&b, "Produced by `%s` in %s.\n\n", r.Command, r.Elapsed.Round(time.Second))
	}
	b.WriteString(r.settings() + "\n\n")
	if r.Note != "" {
		fmt.Fprintf(&b, "**%s**\n\n", r.Note)
	}
	if len(r.Models) > 0 {
		b.WriteString("## Models\n\n| model | equivalent training command | steps | final loss | training s | checkpoint |\n| --- | --- | ---: | ---: | ---: | --- |\n")
		for _, m := range r.Models {
			fmt.Fprintf(&b, "| %s | `%s` | %d | %.3f | %.0f | %s |\n", m.Name, m.TrainCommand(), len(m.History), finalLoss(m.History), m.Seconds, filepath.Base(m.Source))
		}
		b.WriteString("\nFinal loss: mean training loss over the last tenth of the steps. ![loss curves](loss_curves.png)\n\n")
	}
	b.WriteString("## Tables\n\n")
	for _, t := range r.Tables {
		b.WriteString(t.Markdown())
		if t.Name == "compression_sweep" {
			b.WriteString("\n![quality against S](compression_sweep.png) ![KV cache against S](compression_kv.png)\n")
		}
		if t.Figure != nil {
			fmt.Fprintf(&b, "\n![%s examples](%s.png)\n\n%s\n", t.Name, t.Name, t.FigureCaption)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// reportJSON is the JSON form of a report.
type reportJSON struct {
	Title    string      `json:"title"`
	Command  string      `json:"command"`
	Settings string      `json:"settings"`
	Note     string      `json:"note,omitempty"`
	Elapsed  float64     `json:"elapsed_s"`
	Models   []modelJSON `json:"models"`
	Tables   []tableJSON `json:"tables"`
	Rows     []rowRecord `json:"rows"`
}

type modelJSON struct {
	Name      string    `json:"name"`
	Command   string    `json:"command"`
	Steps     int       `json:"steps"`
	FinalLoss jsonFloat `json:"final_loss"`
	Seconds   float64   `json:"seconds"`
}

type tableJSON struct {
	Name    string   `json:"name"`
	Caption string   `json:"caption"`
	Columns []string `json:"columns"`
}

// JSON renders the report: settings, models, the tables' names, captions and
// columns, and every row as in Table.JSON.
func (r *Report) JSON() ([]byte, error) {
	out := reportJSON{Title: r.Title, Command: r.Command, Settings: r.settings(), Note: r.Note,
		Elapsed: math.Round(r.Elapsed.Seconds()*10) / 10, Models: []modelJSON{}, Tables: []tableJSON{}, Rows: []rowRecord{}}
	for _, m := range r.Models {
		out.Models = append(out.Models, modelJSON{m.Name, m.TrainCommand(), len(m.History), jsonFloat(finalLoss(m.History)), math.Round(m.Seconds*10) / 10})
	}
	for _, t := range r.Tables {
		tj := tableJSON{Name: t.Name, Caption: t.Caption}
		for _, c := range t.Columns {
			tj.Columns = append(tj.Columns, c.Name)
		}
		out.Tables = append(out.Tables, tj)
		out.Rows = append(out.Rows, t.records()...)
	}
	return json.MarshalIndent(out, "", " ")
}

// Write writes report.md, report.json and the PNGs (loss curves, the
// compression sweep, each table's figure) into dir and returns the paths.
func (r *Report) Write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lab: report: %w", err)
	}
	var paths []string
	write := func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("lab: report: %w", err)
		}
		paths = append(paths, p)
		return nil
	}
	if err := write("report.md", []byte(r.Markdown())); err != nil {
		return paths, err
	}
	js, err := r.JSON()
	if err != nil {
		return paths, err
	}
	if err := write("report.json", append(js, '\n')); err != nil {
		return paths, err
	}
	plots := map[string]display.Bundle{}
	if len(r.Models) > 0 {
		plots["loss_curves.png"] = LossPlot(r.Models)
	}
	for _, t := range r.Tables {
		if t.Name == "compression_sweep" {
			plots["compression_sweep.png"], plots["compression_kv.png"] = SweepPlots(t)
		}
		if t.Figure != nil {
			p := filepath.Join(dir, t.Name+".png")
			if err := img.SavePNG(p, t.Figure); err != nil {
				return paths, err
			}
			paths = append(paths, p)
		}
	}
	for _, name := range []string{"loss_curves.png", "compression_sweep.png", "compression_kv.png"} {
		if b, ok := plots[name]; ok {
			png, ok := b.Data[display.MIMEPNG].([]byte)
			if !ok {
				return paths, fmt.Errorf("lab: plot %s: %s", name, b.PlainText())
			}
			if err := write(name, png); err != nil {
				return paths, err
			}
		}
	}
	return paths, nil
}

// LossPlot draws the training loss of each model against the step,
// smoothed by a moving average over a thirtieth of the steps.
func LossPlot(models []*Trained) display.Bundle {
	var series []view.Series
	for _, m := range models {
		if len(m.History) == 0 {
			continue
		}
		w := max(len(m.History)/30, 1)
		s := view.Series{Name: m.Name}
		sum := 0.0
		for i, v := range m.History {
			sum += float64(v)
			if i >= w {
				sum -= float64(m.History[i-w])
			}
			s.X = append(s.X, float64(i+1))
			s.Y = append(s.Y, sum/float64(min(i+1, w)))
		}
		series = append(series, s)
	}
	return view.LinePlot(view.PlotOptions{Title: "training loss (moving average)", XLabel: "step", YLabel: "loss", W: 640, H: 360}, series...)
}

// SweepPlots draws the compression sweep's held-out PSNR against log2 S,
// and the prompt's KV bytes, compressed and not, against log2 S.
func SweepPlots(t *Table) (quality, kv display.Bundle) {
	psnr := view.Series{Name: "held-out PSNR"}
	kept := view.Series{Name: "compressed prompt"}
	full := view.Series{Name: "uncompressed prompt"}
	for _, r := range t.Rows {
		if !strings.HasPrefix(r.Name, "S=") {
			continue
		}
		x := math.Log2(r.Metrics["S"])
		psnr.X, psnr.Y = append(psnr.X, x), append(psnr.Y, r.Metrics["held-out PSNR"])
		kept.X, kept.Y = append(kept.X, x), append(kept.Y, r.Metrics["prompt KV bytes"]/1024)
		full.X, full.Y = append(full.X, x), append(full.Y, r.Metrics["uncompressed KV bytes"]/1024)
	}
	quality = view.LinePlot(view.PlotOptions{Title: "held-out tasks: PSNR against X-Prompt tokens", XLabel: "log2 S", YLabel: "dB", W: 480, H: 300}, psnr)
	kv = view.LinePlot(view.PlotOptions{Title: "prompt KV cache against X-Prompt tokens", XLabel: "log2 S", YLabel: "KiB", W: 480, H: 300, LogY: true}, kept, full)
	return quality, kv
}
