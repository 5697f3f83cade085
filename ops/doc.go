// Package ops holds the differentiable operators of the tensor engine and the
// CPU backend that computes them.
//
// Each operator computes its result with the primitive kernels of a
// core.Backend and records one backward rule with core.Record. Shape misuse
// panics with a message naming the operator and the shapes involved; the
// interactive layer recovers such panics into errors.
//
// The CPU backend keeps a simple reference beside every fast kernel (the GEMM
// triple loop, the unfused attention) and tests compare the two.
package ops
