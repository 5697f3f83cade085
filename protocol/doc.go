// Package protocol is the one evaluation protocol of in-context generation:
// how prompts and queries are drawn from seeds, how an output is scored
// against the task world's ground truth, which baselines and controls stand
// beside a model, and how errors are estimated. `xprompt evaluate`, `gen`,
// `demo`, the lab's tables and the notebooks all score through it.
//
// Seeds. A prompt (one in-context example set and the queries answered from
// it) is drawn from one seed (Draw). Seeds below ReservedSeedBase are
// development seeds: choose recipes, training stages and hyperparameters on
// them. Seeds from ReservedSeedBase up are reserved for final numbers
// (Split Reserved, `xprompt evaluate --reserved`); a recipe must never be
// chosen by looking at them, and every other command refuses them
// (CheckDevelopmentSeed).
//
// Scores. ScoreImage gives PSNR (capped at PSNRCap for identical images),
// SSIM and RMSE over the whole image. For local edits (KindEdit families)
// RegionMask marks the pixels where the query's input and ground truth
// differ, dilated by one pixel, and RegionPSNR scores only those: the
// whole-image score of an edit is dominated by the unchanged background.
//
// Shared parameters (Options.SharedParams, DrawShared). An edit's
// instruction names what it changes — an object, a colour, a place, an
// amount — and by default each example and query draws its own, so the
// example shows another edit of the family than the query asks for. With
// SharedParams the family is bound by the prompt's seed (tasks.Family.Bind):
// the example makes the query's own edit on another scene. Families with
// nothing to bind draw as by default; parameterised ones that cannot be
// bound are marked in the table.
//
// Table (Run). For each family, Options.Prompts prompts of Options.Examples
// examples and Options.Queries queries each, every query answered by:
//
//   - copy input: the query's input returned unchanged;
//   - input via tokenizer: the input encoded and decoded by the image
//     tokenizer (copying through the codes);
//   - tokenizer ceiling: the ground truth encoded and decoded, the best any
//     generated code grid can score;
//   - no context: the X-Prompt model on the query alone;
//   - X-Prompt: the X-Prompt model with the example compressed into its
//     X-Prompt tokens;
//   - wrong example: the same, with an example of another family (a
//     control: what the model does with context that names another task);
//   - causal-trained: a second model, trained with the plain causal mask,
//     in context without X-Prompt tokens. Without such a model the row is
//     omitted and the table says why: the X-Prompt model is never run under
//     a mask it did not train on.
//
// Errors. Queries answered from one prompt share their example and are not
// independent; every mean carries the cluster-robust standard error over
// prompts (metrics.ClusterMean), and differences between rows (X-Prompt −
// no context, …) are paired per query and clustered the same way. Means
// over families take √(Σ SE²)/K.
//
// Comparing models. Two tables of the same draw (the same seeds, prompts,
// queries and settings) answer the same queries, so two models, or one
// model under two settings, compare paired per query: Compare (`xprompt
// compare A B`) gives B − A per family and group, clustered by prompt, with
// how many queries rose and fell, and refuses tables drawn differently.
package protocol
