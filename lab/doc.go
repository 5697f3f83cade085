// Package lab reproduces the shape of the X-Prompt paper's tables on the
// synthetic task world at toy scale, with one command, and lets a user
// rerun any row.
//
// A Table is a name, a caption, metric columns and rows; each row carries its
// metric values and the seed and exact command line that produced it. Tables
// render to Markdown, HTML, aligned text and JSON (one object per row:
// {"table":…,"row":…,"metrics":{…},"seed":…,"command":…}) and show
// themselves in notebooks through Display.
//
// The table functions (NovelTasks, UnifiedText, RAIE, DenseLowLevel,
// Tokenizer, CompressionSweep, ReverseAblation) take a context, which stops
// them between steps, and a Config: the preset, training steps, seed,
// queries per family, the image tokenizer, a progress callback. Models are
// trained by Config.Trainer (the training loop, injected by cmd/xprompt so
// that lab does not import it) as variants of one set of options, the
// preset's defaults with Config.Recipe applied (the suites use the embedded
// model's recipe: hidden instructions, tone curves, 2-D image positions;
// `--recipe plain` keeps the defaults), each variant changing one thing (base, causal
// mask, held-out families included, no text tasks, no reverse augmentation,
// S X-Prompt tokens) and shared between tables by a Registry, which keeps
// their checkpoints in a cache folder so that a rerun skips finished
// trainings and resumes interrupted ones.
//
// Evaluation is exact and seeded, through package protocol (its draws and
// scorer; the seed must be a development seed): for each task family the
// in-context examples and the queries are drawn from the seed (the queries do not
// depend on how many examples are drawn), every row sees the same queries,
// decoding is greedy unless Config.Sample says otherwise, and outputs are
// scored against the world's ground truth (PSNR, SSIM, RMSE, mIoU, object
// counts, synthetic GenEval). A "tokenizer ceiling" row scores the image
// tokenizer's reconstruction of the ground truth: the best any generated
// code grid can do; a "copy input" row (novel tasks, dense and low-level,
// reverse ablation) scores the query's input returned unchanged.
//
// RAIE retrieves the in-context example whose instruction is most similar to
// the query's by bag-of-words cosine (Similarity: lower-cased runs of letters
// and digits, counted; a·b/(‖a‖‖b‖)).
//
// Run computes a suite of tables; Report writes report.md, report.json and
// PNG plots (loss curves, the compression sweep, example grids). The command
// is `xprompt eval --suite quick|full|smoke`.
package lab
