package xpmagic

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"math"
	"strconv"
	"time"

	"xprompt/display"
	"xprompt/infer"
	"xprompt/session"
	"xprompt/train"
	"xprompt/view"
)

// How often %train redraws its live display: the progress line at most
// every trainLineEvery, the loss plot in it at most every trainPlotEvery
// (and both after the last step).
const (
	trainLineEvery = 250 * time.Millisecond
	trainPlotEvery = time.Second
)

// runTrain implements %train [N] [--lr F].
func runTrain(ctx context.Context, s *session.Session, args string, sink display.Sink) (*display.Bundle, error) {
	fs := newFlags("train")
	lr := fs.Float64("lr", 0, "")
	pos, err := parseArgs(s, "train", args, fs)
	if err != nil {
		return nil, err
	}
	if len(pos) > 1 {
		return nil, s.UsageError("train", "one number of steps N expected, got %q", pos)
	}
	n := 0
	if len(pos) == 1 {
		if n, err = strconv.Atoi(pos[0]); err != nil || n < 1 {
			return nil, s.UsageError("train", "N %q is not a positive number of steps", pos[0])
		}
	}
	if *lr < 0 || *lr > 1 || math.IsNaN(*lr) {
		return nil, s.UsageError("train", "--lr %v: want a learning rate in (0, 1]", *lr)
	}
	e, err := engine(s)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		if *lr > 0 {
			return nil, s.UsageError("train", "--lr needs N steps to train")
		}
		return trainState(s, e, sink)
	}
	run, err := trainRun(s, e, float32(*lr))
	if err != nil {
		return nil, err
	}
	start, startLoss := run.Step, lastLoss(run)
	live := view.NewLiveDisplay(sink)
	var line string
	var plot []byte
	var lastLine, lastPlot time.Time
	show := func(p train.Progress, force bool) {
		now := time.Now()
		if !force && !lastLine.IsZero() && now.Sub(lastLine) < trainLineEvery {
			return
		}
		line = view.ProgressLine("train", p.Step-start, n) + fmt.Sprintf(" step %d · loss %.4f · %.0f tokens/s · lr %.3g · %s",
			p.Step, p.Loss, p.TokensPerS, p.LR, p.Elapsed.Round(100*time.Millisecond))
		if plot == nil || force || now.Sub(lastPlot) >= trainPlotEvery {
			plot = lossPlot(run).Data[display.MIMEPNG].([]byte)
			lastPlot = now
		}
		b := liveBundle(line, plot)
		if force {
			// The last update also carries the plot as PNG, for terminals
			// (notebooks show the HTML): the cell's result is then only the
			// summary, so the plot is drawn once.
			b.Data[display.MIMEPNG] = plot
		}
		live.Show(b)
		lastLine = now
	}
	var last train.Progress
	err = run.Train(ctx, n, func(p train.Progress) {
		last = p
		show(p, false)
	})
	if last.Step > 0 {
		show(last, true)
	}
	done := run.Step - start
	if ctx.Err() != nil {
		sink.Stream("stdout", fmt.Sprintf("interrupted at step %d after %d of %d steps; the run is intact (%%train N goes on from here)\n",
			run.Step, done, n))
		return nil, ctx.Err() // runMagic reports it as an interrupt
	}
	if err != nil {
		return nil, fmt.Errorf("stopped at step %d after %d of %d steps: %w", run.Step, done, n, err)
	}
	b := display.Text(fmt.Sprintf("trained %d steps: step %d → %d, loss %s → %.4f (m is updated; %%save PATH keeps it)",
		done, start, run.Step, startLoss, lastLossValue(run)))
	return &b, nil
}

// liveBundle is %train's live display: the progress line as text (what a
// terminal redraws in place) and, as HTML, the loss plot above it.
func liveBundle(line string, plot []byte) display.Bundle {
	h := "<div><img src=\"data:image/png;base64," + base64.StdEncoding.EncodeToString(plot) +
		"\"><pre>" + html.EscapeString(line) + "</pre></div>"
	return display.Bundle{Data: map[string]any{display.MIMEText: line, display.MIMEHTML: h}}
}

// lossPlot draws the run's loss per step.
func lossPlot(r *train.Run) display.Bundle {
	xs := make([]float64, len(r.History))
	ys := make([]float64, len(r.History))
	for i, l := range r.History {
		xs[i], ys[i] = float64(i+1), float64(l)
	}
	return view.LinePlot(view.PlotOptions{Title: "training loss", XLabel: "step", YLabel: "loss", LogY: true},
		view.Series{Name: r.Opts.Preset, X: xs, Y: ys})
}

func lastLoss(r *train.Run) string {
	if len(r.History) == 0 {
		return "(none yet)"
	}
	return fmt.Sprintf("%.4f", r.History[len(r.History)-1])
}

func lastLossValue(r *train.Run) float32 {
	if len(r.History) == 0 {
		return float32(math.NaN())
	}
	return r.History[len(r.History)-1]
}

// trainRun returns the training run of m: the session's, a run resumed from
// the checkpoint m was loaded from when it holds training state, or a new
// one (train.DefaultOptions of m's preset, fresh AdamW). A positive lr
// replaces the peak learning rate of the schedule.
func trainRun(s *session.Session, e *infer.Engine, lr float32) (*train.Run, error) {
	st := models(s)
	var r *train.Run
	var err error
	switch {
	case st.run != nil && st.runEng == e:
		r = st.run
	case st.ck != nil && st.loaded == e && st.ck.Train != nil && st.ck.Model == e.Model:
		if r, err = train.Resume(st.ck, e.VQ); err != nil {
			return nil, err
		}
	default:
		o := train.DefaultOptions(e.Model.Cfg.Preset)
		if lr > 0 {
			o.LR, o.MinLR = lr, min(o.MinLR, lr)
		}
		vb, err := vqBlob(s, e)
		if err != nil {
			return nil, err
		}
		if r, err = train.NewRunFrom(o, e.Model, e.Text, e.VQ, vb); err != nil {
			return nil, err
		}
	}
	if lr > 0 && r.Opts.LR != lr {
		if r, err = withLR(r, lr, e); err != nil {
			return nil, err
		}
	}
	st.run, st.runEng = r, e
	return r, nil
}

// withLR returns the run continued with peak learning rate lr: it goes
// through the run's checkpoint (same weights, optimizer moments, data
// stream and history) with the options in its training state changed.
func withLR(r *train.Run, lr float32, e *infer.Engine) (*train.Run, error) {
	ck, err := r.Checkpoint()
	if err != nil {
		return nil, err
	}
	var state map[string]json.RawMessage
	if err := json.Unmarshal(ck.Train, &state); err != nil {
		return nil, fmt.Errorf("--lr: training state: %w", err)
	}
	raw, ok := state["options"]
	if !ok {
		return nil, errors.New("--lr: the training state holds no options; the rate cannot change")
	}
	var o train.Options
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("--lr: training options: %w", err)
	}
	o.LR, o.MinLR = lr, min(o.MinLR, lr)
	if state["options"], err = json.Marshal(o); err != nil {
		return nil, err
	}
	if ck.Train, err = json.Marshal(state); err != nil {
		return nil, err
	}
	return train.Resume(ck, e.VQ)
}

// trainState shows the run of m: a table and the loss curve.
func trainState(s *session.Session, e *infer.Engine, sink display.Sink) (*display.Bundle, error) {
	st := models(s)
	if (st.run == nil || st.runEng != e) && st.ck != nil && st.loaded == e && st.ck.Train != nil {
		if _, err := trainRun(s, e, 0); err != nil {
			return nil, err
		}
	}
	if st.run == nil || st.runEng != e {
		b := display.Text(fmt.Sprintf("no training run of m yet: %%train N starts one (%s preset, AdamW, schedule of train.DefaultOptions)",
			e.Model.Cfg.Preset))
		return &b, nil
	}
	r := st.run
	t := view.NewTable("property", "value")
	t.Title = "training run of m"
	t.Add("preset", r.Opts.Preset)
	t.Add("steps done", r.Step)
	t.Add("schedule", fmt.Sprintf("warmup %d → lr %.3g, cosine to %.3g at step %d", r.Opts.Warmup, r.Opts.LR, r.Opts.MinLR, r.Opts.Steps))
	t.Add("batch", fmt.Sprintf("%d sequences × %d accumulated", r.Opts.Batch, r.Opts.Accum))
	t.Add("tokens seen", view.GroupDigits(r.Tokens))
	t.Add("last loss", lastLoss(r))
	if len(r.History) == 0 {
		b := t.Display()
		return &b, nil
	}
	sink.Display(t.Display(), "", false)
	b := lossPlot(r)
	return &b, nil
}
