package protocol_test

import (
	"context"
	"fmt"

	"xprompt/infer"
	"xprompt/protocol"
)

// Run the protocol on the held-out families from Go: the X-Prompt model
// under test, optionally a model trained with the causal mask, development
// seeds while choosing a recipe, Split Reserved for the final table.
func ExampleRun() {
	xp, err := infer.Load("default")
	if err != nil {
		panic(err)
	}
	models := protocol.Models{XPrompt: xp, XPromptName: xp.Source}
	// models.Causal, models.CausalName = causalEngine, "runs/causal.ckpt"
	o := protocol.DefaultOptions() // held-out families, 10 prompts × 4 queries
	o.Groups = append(o.Groups, protocol.SeenGroups...)
	// o.Split = protocol.Reserved // final numbers only
	t, err := protocol.Run(context.Background(), models, o)
	if err != nil {
		panic(err)
	}
	fmt.Print(t.Markdown())
	d := t.Rows[len(t.Rows)-1].Diffs["xprompt-no_context"]
	fmt.Printf("X-Prompt − no context over all families: %.2f ± %.2f dB\n", d.Mean, d.SE)
}
