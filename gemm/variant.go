package gemm

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
)

// kernelFunc computes one full mr×nr tile: C = alpha·Â·B̂ + beta·C, where
// Â is a packed A strip (kc steps of mr values) and B̂ a packed B strip (kc
// steps of nr values); c points at the tile's top-left element and rows of C
// are ldc elements apart. beta == 0 writes C without reading it.
type kernelFunc func(kc int, a, b, c *float32, ldc int, alpha, beta float32)

// variant is one implementation of the micro-kernel with the block sizes
// tuned for it and the vector routines of the same instruction set.
type variant struct {
	name   string
	mr, nr int // micro-tile: rows of A, columns of B
	kc     int // depth of one packed block
	mc     int // rows of A per packed block, a multiple of mr
	nc     int // columns of B per packed panel, a multiple of nr
	kernel kernelFunc
	// packRows and packCols are the packing routines (pack.go) of the
	// same instruction set.
	packRows, packCols func(dst, src []float32, ld, kc, w, W int)
	dot                func(x, y []float32) float32
	axpy               func(alpha float32, x, y []float32)
}

// variants lists the variants this CPU supports, best first.
var variants = detectVariants()

var (
	current  atomic.Pointer[variant]
	nthreads atomic.Int64
)

func init() {
	current.Store(variants[0])
	if name := os.Getenv("XPROMPT_GEMM"); name != "" {
		if err := SetKernel(name); err != nil {
			fmt.Fprintf(os.Stderr, "gemm: XPROMPT_GEMM ignored: %v\n", err)
		}
	}
}

// Kernel returns the name of the variant in use: "avx512", "avx2" or "go".
func Kernel() string { return current.Load().name }

// Kernels returns the names of the variants this CPU supports, best first.
func Kernels() []string {
	names := make([]string, len(variants))
	for i, v := range variants {
		names[i] = v.name
	}
	return names
}

// SetKernel switches every later call to the named variant ("avx512",
// "avx2" or "go"). It returns an error naming the variant if the name is
// unknown or the CPU lacks the instructions it needs.
func SetKernel(name string) error {
	for _, v := range variants {
		if v.name == name {
			current.Store(v)
			return nil
		}
	}
	switch name {
	case "avx512", "avx2", "go":
		return fmt.Errorf("gemm: kernel %q not supported on this CPU (supported: %s)",
			name, strings.Join(Kernels(), ", "))
	}
	return fmt.Errorf("gemm: unknown kernel %q (want avx512, avx2 or go)", name)
}

// Threads returns the number of goroutines a large Sgemm is split over; the
// default is runtime.GOMAXPROCS(0).
func Threads() int {
	if n := nthreads.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// SetThreads sets the number of goroutines a large Sgemm is split over;
// n <= 0 restores the default, runtime.GOMAXPROCS(0).
func SetThreads(n int) {
	if n < 0 {
		n = 0
	}
	nthreads.Store(int64(n))
}
