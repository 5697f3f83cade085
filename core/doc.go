// Package core holds the tensor engine's foundations: the float32 Tensor with
// its shape and device, reverse-mode automatic differentiation (a tape of
// nodes walked in reverse topological order), the no-grad scope, named
// parameter sets, a seeded deterministic random generator, and the Backend
// interface listing the primitive kernels that every device implements.
//
// Operators live in package ops; they compute with a Backend and record a
// backward rule with Record. A tensor is always contiguous and row-major.
package core
