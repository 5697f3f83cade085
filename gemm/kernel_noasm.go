//go:build !amd64 || purego

package gemm

// detectVariants returns the portable variant only: there is no assembly
// for this GOARCH (or the purego build tag is set).
func detectVariants() []*variant { return []*variant{goVariant} }
