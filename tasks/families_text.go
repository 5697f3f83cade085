package tasks

import "math/rand/v2"

// textFamilies returns caption (image → text), text-to-image (text → image)
// and difference description (pair → text).
func textFamilies() []*Family {
	return []*Family{
		{
			Name: "caption", Kind: KindText, Reverse: "text_to_image",
			Templates: []string{"describe the image", "write a caption", "what is in this picture?"},
			sample:    sampleCaption,
		},
		{
			Name: "text_to_image", Kind: KindText, Reverse: "caption",
			Templates: []string{"draw {caption}", "generate an image of {caption}", "{caption}"},
			sample:    reverseOf("caption"),
		},
		{
			Name: "describe_difference", Kind: KindText,
			Templates: []string{"what changed?", "describe the difference between the two images", "how does the second image differ from the first?"},
			sample:    sampleDifference,
		},
	}
}

// sampleCaption draws a scene; the caption example and its reverse, the
// text-to-image example, share it.
func sampleCaption(f *Family, rng *rand.Rand, size int) Example {
	s, m := sceneAndImage(rng, size)
	c := s.Caption()
	e := &Example{Family: f.Name, Instruction: f.instruction(rng), Input: m, Text: c, Scene: s}
	rf := mustFamily(f.Reverse)
	r := &Example{Family: rf.Name, Instruction: rf.instruction(rng, "caption", c), Output: m, Text: c, Scene: s}
	e.reverse, r.reverse = r, e
	return *e
}

// sampleDifference draws an example of a seen image → image family (any
// kind but text) and asks for its difference description. Held-out families
// never appear here, so their transformations stay unseen in training.
func sampleDifference(f *Family, rng *rand.Rand, size int) Example {
	var pool []*Family
	for _, g := range registry {
		if !g.HeldOut && g.Kind != KindText {
			pool = append(pool, g)
		}
	}
	src := pool[rng.IntN(len(pool))].Sample(rng, size)
	return Example{
		Family: f.Name, Instruction: f.instruction(rng),
		Input: src.Input, SecondInput: src.Output, Text: src.Description,
		Scene: src.Scene, OutputScene: src.OutputScene,
	}
}
