package tasks

import (
	"math/rand/v2"

	"xprompt/img"
)

// denseFamilies returns the dense-prediction families and their reverses
// (controlled generation from a map). Segmentation and edges are seen;
// depth is held out.
func denseFamilies() []*Family {
	return []*Family{
		{
			Name: "segmentation", Kind: KindDense, Reverse: "seg_to_image",
			Templates: []string{"segment the image", "draw the segmentation map", "label every pixel by its shape", "give the semantic segmentation"},
			sample:    denseSampler(ClassImage, "the image became its segmentation map", "the segmentation map became a rendered scene"),
		},
		{
			Name: "seg_to_image", Kind: KindDense, Reverse: "segmentation",
			Templates: []string{"render a scene from this segmentation map", "turn the segmentation map into an image", "generate an image with this layout"},
			sample:    reverseOf("segmentation"),
		},
		{
			Name: "edges", Kind: KindDense, Reverse: "edges_to_image",
			Templates: []string{"detect the edges", "draw the object outlines", "extract the edge map", "trace the boundaries of the shapes"},
			sample:    denseSampler(EdgeImage, "the image became its edge map", "the edge map became a rendered scene"),
		},
		{
			Name: "edges_to_image", Kind: KindDense, Reverse: "edges",
			Templates: []string{"render a scene from these outlines", "fill in the edge map with a scene", "generate an image with these edges"},
			sample:    reverseOf("edges"),
		},
		{
			Name: "depth", Kind: KindDense, HeldOut: true, Reverse: "depth_to_image",
			Templates: []string{"estimate the depth", "draw the depth map", "show how near each pixel is", "predict depth, nearer is brighter"},
			sample:    denseSampler(DepthImage, "the image became its depth map", "the depth map became a rendered scene"),
		},
		{
			Name: "depth_to_image", Kind: KindDense, HeldOut: true, Reverse: "depth",
			Templates: []string{"render a scene from this depth map", "turn the depth map into an image", "generate an image with this depth"},
			sample:    reverseOf("depth"),
		},
	}
}

// denseSampler returns a sampler whose pairs are (render, target map).
func denseSampler(target func(*Scene) *img.Image, desc, revDesc string) func(*Family, *rand.Rand, int) Example {
	return func(f *Family, rng *rand.Rand, size int) Example {
		s, m := sceneAndImage(rng, size)
		return f.pair(rng, pairSpec{in: m, out: target(s), scene: s, desc: desc, revDesc: revDesc})
	}
}
