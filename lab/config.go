package lab

import (
	"fmt"
	"strings"

	"xprompt/model"
	"xprompt/protocol"
	"xprompt/vq"
)

// Config says how big the experiments are and where their models come from.
// The suites (QuickConfig, FullConfig, SmokeConfig) fill everything but VQ.
type Config struct {
	Suite  string // "quick", "full", "smoke": recorded in row commands
	Preset string // model preset of every trained model
	Steps  int    // training steps per model
	Batch  int    // sequences per step (0: the preset's)
	// Seed seeds the weights and training streams of every model and the
	// draw of every evaluation set; each row records it.
	Seed uint64
	// Queries is the number of queries per task family and row.
	Queries int
	// GenEvalPerKind is the number of synthetic GenEval prompts per kind.
	GenEvalPerKind int
	// Database is the number of training pairs RAIE retrieves from.
	Database int
	// Sweep lists the X-Prompt token counts S of the compression sweep.
	Sweep []int
	// MaxExamples is the largest number of in-context examples tried in the
	// compression sweep (1…MaxExamples, with the preset's S).
	MaxExamples int
	// TokenizerImages is the number of held-out images per set in the
	// tokenizer table.
	TokenizerImages int
	// Recipe is the data mix and layout every trained model shares; the
	// suites use EmbeddedRecipe. The zero Recipe trains on the preset's
	// defaults.
	Recipe Recipe
	// Sample controls decoding (zero: greedy).
	Sample model.SampleOptions

	// VQ is the image tokenizer of every trained model (required).
	VQ *vq.Model
	// Tokenizers are further tokenizers (other resolutions) for the
	// tokenizer table; VQ is always its first row.
	Tokenizers []*vq.Model
	// Model, if set, is a checkpoint file ("default": the embedded model)
	// used as the base X-Prompt model instead of training one.
	Model string
	// Cache is a folder for the checkpoints of trained models; a rerun
	// loads finished ones and resumes interrupted ones. "" keeps them in
	// memory only.
	Cache string
	// Trainer trains the models (required); cmd/xprompt passes
	// labtrain.Trainer, backed by package train.
	Trainer Trainer
	// Models shares trained models between tables; Run sets it, and a table
	// function called alone makes its own when it is nil.
	Models *Registry

	// Command is the command line that reproduces this configuration; each
	// row records it followed by --table NAME --row 'ROW'. Default:
	// "xprompt eval --suite SUITE --seed SEED".
	Command string
	// Rows, when not empty, restricts every table to the rows of these
	// names (compared case-insensitively): rerunning single rows.
	Rows []string
	// Progress, if set, receives training progress and stage messages.
	Progress func(Event)
}

// Event reports what the lab is doing: a training step (Model, Step,
// Total, Loss) or a stage message (Message).
type Event struct {
	Table       string
	Model       string
	Step, Total int
	Loss        float64
	Message     string
}

// QuickConfig is the quick suite: the tiny preset, short trainings and few
// queries; the whole pipeline takes minutes on two CPU cores.
func QuickConfig() Config {
	return Config{Suite: "quick", Preset: "tiny", Steps: 200, Seed: 1, Queries: 4, GenEvalPerKind: 2,
		Database: 48, Sweep: []int{1, 2, 4, 8, 16, 32}, MaxExamples: 4, TokenizerImages: 64, Recipe: EmbeddedRecipe()}
}

// FullConfig is the full suite: the small preset with its default training
// length and more queries (hours on a CPU).
func FullConfig() Config {
	return Config{Suite: "full", Preset: "small", Steps: 2000, Seed: 1, Queries: 16, GenEvalPerKind: 8,
		Database: 256, Sweep: []int{1, 2, 4, 8, 16, 32}, MaxExamples: 4, TokenizerImages: 256, Recipe: EmbeddedRecipe()}
}

// SmokeConfig is the smallest suite that exercises every table: two-step
// trainings of batch 1, one query per family, a two-point sweep. The
// numbers mean nothing; tests and CI check that they are produced.
func SmokeConfig() Config {
	return Config{Suite: "smoke", Preset: "tiny", Steps: 2, Batch: 1, Seed: 1, Queries: 1, GenEvalPerKind: 1,
		Database: 6, Sweep: []int{2, 4}, MaxExamples: 2, TokenizerImages: 4, Recipe: EmbeddedRecipe()}
}

// SuiteConfig returns the configuration of the named suite.
func SuiteConfig(name string) (Config, error) {
	switch name {
	case "quick":
		return QuickConfig(), nil
	case "full":
		return FullConfig(), nil
	case "smoke":
		return SmokeConfig(), nil
	}
	return Config{}, fmt.Errorf("unknown suite %q (want quick, full or smoke)", name)
}

// validate reports the first unusable setting.
func (c Config) validate() error {
	switch {
	case c.VQ == nil:
		return fmt.Errorf("lab: Config.VQ (the image tokenizer) is not set")
	case c.Steps < 1 || c.Queries < 1 || c.Batch < 0:
		return fmt.Errorf("lab: steps %d, queries %d and batch %d must be positive", c.Steps, c.Queries, c.Batch)
	}
	if _, err := model.Preset(c.Preset); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	if err := protocol.CheckDevelopmentSeed(c.Seed); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	return nil
}

// wants reports whether row name is to be computed.
func (c Config) wants(name string) bool {
	if len(c.Rows) == 0 {
		return true
	}
	for _, r := range c.Rows {
		if strings.EqualFold(strings.TrimSpace(r), name) {
			return true
		}
	}
	return false
}

// command returns the command line that recomputes one row.
func (c Config) command(table, row string) string {
	base := c.Command
	if base == "" {
		base = fmt.Sprintf("xprompt eval --suite %s --seed %d", c.Suite, c.Seed)
		if c.Recipe.Name != "" && c.Recipe.Name != "embedded" {
			base += " --recipe " + c.Recipe.Name
		}
	}
	return base + " --table " + table + " --row " + ShellQuote(row)
}

// ShellQuote quotes s for a POSIX shell when it holds anything but letters,
// digits and -_./=:,+.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// event sends e to the progress callback, if any.
func (c Config) event(e Event) {
	if c.Progress != nil {
		c.Progress(e)
	}
}

// say sends a stage message.
func (c Config) say(table, format string, args ...any) {
	c.event(Event{Table: table, Message: fmt.Sprintf(format, args...)})
}

// newRow returns a row of the table with its seed and command filled in.
func (c Config) newRow(table, name string) Row {
	return Row{Name: name, Metrics: map[string]float64{}, Seed: c.Seed, Command: c.command(table, name)}
}
