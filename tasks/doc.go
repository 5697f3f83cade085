// Package tasks is the synthetic visual world and the task families that
// X-Prompt trains on and is judged on.
//
// The world. A Scene is a background (flat, gradient, texture or stripes, in
// muted colours) and 1–4 objects (circle, square, triangle) in a fixed palette
// of eight saturated named colours, each with a position, a size and a depth.
// Render draws it at any square size (32×32 by default; 16 and 64 work too)
// without anti-aliasing, so every object pixel holds its palette colour
// exactly. Alongside the image the scene gives exact ground truth: ObjectMap,
// ClassMap (0 background, then one class per shape), DepthMap (nearer is
// brighter), EdgeMap (object boundaries) and Caption / Relations (a scene
// graph as text). Everything is deterministic from a seed: each generator
// takes a *rand.Rand (math/rand/v2, PCG source, see NewRand) and never uses a
// global source.
//
// Task families. A Family samples Examples: an instruction, an input image, an
// output image (or a text target), a difference description (what changed from
// input to output) and, where meaningful, the example of the reverse family
// built from the same pair (Example.Reversed). Families come in five kinds:
// low-level (denoise, deblur, derain, low-light, inpaint and their reverses),
// dense (segmentation, depth, edges and map-to-image), edit (add, remove,
// recolour, move, resize an object), global (grayscale, invert, flips,
// rotations, posterize, hue shift, brightness/contrast/gamma curves, palette
// permutations — PalettePermutation(seed) makes a new task for any seed —
// and tone curves v → clip(a·v^e), ToneCurveFamily(seed), also one task per
// seed) and text (caption, difference description, text-to-image).
//
// Splits. Following the paper's Table 4, low-light enhancement, deraining,
// object addition, object removal and depth estimation (and their reverses)
// are held out: Stream never yields them unless asked. The seen families are
// chosen so that each held-out one is a new member of a known kind:
// brightness/contrast/gamma curves of moderate strength are seen, low-light
// enhancement is a strong curve; add/remove noise and blur are seen, rain is
// not; recolour/move/resize and inpainting are seen, addition and removal are
// not; segmentation and edges are seen, depth is not. The tone curves are a
// training option (data.Config.CurveWeight) that changes this for
// low-light: its curves, k·v^g and the inverse, are members of the
// tone-curve distribution, so a model trained with tone curves has seen
// that kind of mapping at that strength, though never the family, its
// instructions or its name. Likewise the example-only families of the other
// held-out kinds (families_seeded.go, data.Config.SeededWeight): overlays
// laid over or cleaned off the image (regular, axis-aligned patterns, never
// rain's slanted streaks), stamps (an object the seed fixes, added or
// removed: the edit of add_object and remove_object with the object shown
// rather than named) and dense maps of random class colours over a ramp (the
// kind of depth). A model trained with them has seen those edits and maps.
//
// Bound families. Family.Bind(seed) fixes what a parameterised family's
// instruction names (the added object and its place, the recoloured object
// and its new colour, the rain, the darkening curve; Family.Bindable says
// which families and what): every example of the bound family makes that
// edit on its own scene, so one can demonstrate exactly what another asks.
// A palette permutation binds its objects' colours instead: every example
// holds the same ones, so an example shows where each colour of another
// goes. An unbound family draws exactly as before Bind existed.
//
// GenEval. GenEvalPrompts and ScoreGenEval form a synthetic GenEval for
// text-to-image: prompts of six kinds (single object, two objects, counting,
// colours, position, colour attribution) are checked on a generated image by
// connected components of pixels near a palette colour, with the shape read
// from the fill ratio of the component's bounding box and how low its
// centroid sits in that box. Objects need a radius of about 3 pixels to be
// told apart, so GenEval is meant for 32×32 images and larger.
//
// Real images. LoadFolder reads folders of input/output image pairs (PNG or
// JPEG) into Examples of the same form; a bad file yields an error naming it
// and the rest of the folder still loads.
package tasks
