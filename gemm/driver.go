package gemm

import (
	"sync"
	"unsafe"
)

// Thresholds on the work m·n·k of one product (multiply-adds).
const (
	// directWork: below it, or with m or n under directSide, the product
	// runs as dot products / axpys on the rows without packing.
	directWork = 4096
	directSide = 3
	// partWork is the least work worth one more goroutine.
	partWork = 1 << 20
	// skinnyRows: a product with at most this many rows of C and B stored
	// n×k (a layer applied to a few tokens, as in decoding) is computed as
	// dot products against each row of B in turn: B is streamed once and
	// never packed.
	skinnyRows = 16
	// skinnyPartWork is the least work per goroutine of a skinny product.
	skinnyPartWork = 1 << 17
)

// gemm runs one validated product on up to threads goroutines: one per
// partWork of work, and only for products that go through packing.
func (v *variant) gemm(g *gemmArgs, threads int) {
	if g.m == 0 || g.n == 0 {
		return
	}
	if isSkinny(g) {
		v.skinny(g, min(threads, max(1, g.m*g.n*g.k/skinnyPartWork)))
		return
	}
	threads = min(threads, max(1, g.m*g.n*g.k/partWork))
	if threads > 1 && g.alpha != 0 && !isDirect(g) {
		v.parallel(g, threads)
		return
	}
	buf := getBuffers(v)
	v.single(g, buf)
	buffers.put(buf)
}

// single runs one product on the calling goroutine.
func (v *variant) single(g *gemmArgs, buf *packBuffers) {
	switch {
	case g.m == 0 || g.n == 0:
	case g.alpha == 0 || g.k == 0:
		scaleC(g)
	case isDirect(g):
		v.direct(g, buf)
	default:
		v.block(g, 0, g.m, 0, g.n, buf, prepacked{})
	}
}

// isSkinny reports whether a product is a few rows of A against B stored
// n×k: the shape of a layer applied to the new tokens of a decoding step.
func isSkinny(g *gemmArgs) bool {
	return g.m <= skinnyRows && g.transB && !g.transA && g.alpha != 0 && g.k > 0
}

// skinny computes C = alpha·A·Bᵀ + beta·C one row of B at a time (dot
// products with the m rows of A, which stay in L1), on up to threads
// goroutines that take contiguous column bands. Each element is one dot
// product, so the split does not change results.
func (v *variant) skinny(g *gemmArgs, threads int) {
	if threads <= 1 {
		v.skinnyCols(g, 0, g.n)
		return
	}
	var wg sync.WaitGroup
	band := (g.n + threads - 1) / threads
	shared := *g // g stays on its caller's stack
	for j0 := band; j0 < g.n; j0 += band {
		wg.Add(1)
		go func(j0 int) {
			defer wg.Done()
			v.skinnyCols(&shared, j0, min(j0+band, shared.n))
		}(j0)
	}
	v.skinnyCols(g, 0, min(band, g.n))
	wg.Wait()
}

// skinnyCols computes columns [j0, j1) of a skinny product.
func (v *variant) skinnyCols(g *gemmArgs, j0, j1 int) {
	for j := j0; j < j1; j++ {
		brow := g.b[j*g.ldb : j*g.ldb+g.k]
		for i := 0; i < g.m; i++ {
			c := &g.c[i*g.ldc+j]
			*c = combine(g.alpha*v.dot(g.a[i*g.lda:i*g.lda+g.k], brow), g.beta, *c)
		}
	}
}

// isDirect reports whether a product is too small or too thin to pack.
func isDirect(g *gemmArgs) bool {
	return g.m*g.n*g.k < directWork || g.m < directSide || g.n < directSide
}

// prepacked holds an operand packed whole ahead of the loop nest, shared by
// the goroutines of a split product: all of op(A) as ⌈m/mr⌉ strips per kc
// block (a), or all of op(B) as ⌈n/nr⌉ strips per kc block (b). Block p0
// starts at p0·mpad (p0·npad), strip i at i·mr·kc (i·nr·kc) within it.
type prepacked struct {
	a, b       []float32
	mpad, npad int
}

// block computes rows [m0, m1) and columns [n0, n1) of C on the calling
// goroutine: the Goto loop nest around the micro-kernel. Bands start on
// micro-tile boundaries, so every element of C sees the same sequence of
// kernel calls however the product is split. An operand in pre is read from
// there instead of being packed.
func (v *variant) block(g *gemmArgs, m0, m1, n0, n1 int, buf *packBuffers, pre prepacked) {
	mr, nr := v.mr, v.nr
	for jc := n0; jc < n1; jc += v.nc {
		nc := min(v.nc, n1-jc)
		for pc := 0; pc < g.k; pc += v.kc {
			kc := min(v.kc, g.k-pc)
			beta := g.beta
			if pc > 0 {
				beta = 1
			}
			bpan := buf.b
			if pre.b != nil {
				bpan = pre.b[pc*pre.npad+jc*kc:]
			} else {
				v.packB(bpan, g, pc, kc, jc, nc)
			}
			for ic := m0; ic < m1; ic += v.mc {
				mc := min(v.mc, m1-ic)
				apan := buf.a
				if pre.a != nil {
					apan = pre.a[pc*pre.mpad+ic*kc:]
				} else {
					v.packA(apan, g, ic, mc, pc, kc)
				}
				for jr := 0; jr < nc; jr += nr {
					w := min(nr, nc-jr)
					bp := &bpan[jr*kc]
					for ir := 0; ir < mc; ir += mr {
						h := min(mr, mc-ir)
						ap := &apan[ir*kc]
						ci := (ic+ir)*g.ldc + jc + jr
						if h == mr && w == nr {
							v.kernel(kc, ap, bp, &g.c[ci], g.ldc, g.alpha, beta)
							continue
						}
						// Edge tile: compute the whole padded tile aside, keep h×w.
						v.kernel(kc, ap, bp, &buf.tile[0], nr, 1, 0)
						addTile(g.c[ci:], g.ldc, buf.tile, nr, h, w, g.alpha, beta)
					}
				}
			}
		}
	}
}

// addTile sets c[i·ldc+j] = alpha·t[i·ldt+j] + beta·c[i·ldc+j] for i < h,
// j < w; beta == 0 does not read c.
func addTile(c []float32, ldc int, t []float32, ldt, h, w int, alpha, beta float32) {
	for i := 0; i < h; i++ {
		cr := c[i*ldc : i*ldc+w]
		tr := t[i*ldt : i*ldt+w]
		if beta == 0 {
			for j, x := range tr {
				cr[j] = alpha * x
			}
		} else {
			for j, x := range tr {
				cr[j] = alpha*x + beta*cr[j]
			}
		}
	}
}

// scaleC sets C = beta·C (C = 0 when beta == 0, whatever C held).
func scaleC(g *gemmArgs) {
	for i := 0; i < g.m; i++ {
		row := g.c[i*g.ldc : i*g.ldc+g.n]
		if g.beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= g.beta
		}
	}
}

// direct computes C row by row with the vector routines, without packing:
// for matrix-vector shapes and tiny products, where packing a padded tile
// would cost more than the arithmetic. Row i of C is either n dot products
// of op(A)'s row i with op(B)'s columns (when those are rows of B, or when
// n is small and they can be gathered once), or k axpys of op(B)'s rows.
func (v *variant) direct(g *gemmArgs, buf *packBuffers) {
	m, n, k := g.m, g.n, g.k
	arow := buf.vec(&buf.arow, k)
	dots := g.transB || n < 16
	var bcols []float32 // op(B)'s columns gathered, k apart
	if dots && !g.transB {
		bcols = buf.vec(&buf.bcol, n*k)
		for j := 0; j < n; j++ {
			for p := 0; p < k; p++ {
				bcols[j*k+p] = g.b[p*g.ldb+j]
			}
		}
	}
	for i := 0; i < m; i++ {
		if g.transA {
			for p := range arow {
				arow[p] = g.a[p*g.lda+i]
			}
		} else {
			copy(arow, g.a[i*g.lda:i*g.lda+k])
		}
		crow := g.c[i*g.ldc : i*g.ldc+n]
		if dots {
			for j := range crow {
				var col []float32
				if g.transB {
					col = g.b[j*g.ldb : j*g.ldb+k]
				} else {
					col = bcols[j*k : j*k+k]
				}
				crow[j] = combine(g.alpha*v.dot(arow, col), g.beta, crow[j])
			}
			continue
		}
		// C row = beta·C row + Σ_p alpha·op(A)[i][p]·(row p of B)
		if g.beta == 0 {
			clear(crow)
		} else if g.beta != 1 {
			for j := range crow {
				crow[j] *= g.beta
			}
		}
		for p, x := range arow {
			v.axpy(g.alpha*x, g.b[p*g.ldb:p*g.ldb+n], crow)
		}
	}
}

// combine returns x + beta·c, not reading c when beta == 0.
func combine(x, beta, c float32) float32 {
	if beta == 0 {
		return x
	}
	return x + beta*c
}

// packBuffers holds one goroutine's packing space; pooled so that steady
// state calls allocate nothing.
type packBuffers struct {
	a, b, tile []float32
	arow, bcol []float32
}

var buffers = freeList[packBuffers]{new: func() *packBuffers { return new(packBuffers) }}

func getBuffers(v *variant) *packBuffers {
	buf := buffers.get()
	buf.grow(v)
	return buf
}

// grow makes the buffers large enough for v's block sizes. The packed
// blocks are 64-byte aligned so that B strips start on cache lines.
func (buf *packBuffers) grow(v *variant) {
	if len(buf.a) < v.mc*v.kc {
		buf.a = aligned(v.mc * v.kc)
	}
	if len(buf.b) < v.kc*v.nc {
		buf.b = aligned(v.kc * v.nc)
	}
	if len(buf.tile) < v.mr*v.nr {
		buf.tile = aligned(v.mr * v.nr)
	}
}

// vec returns (*s)[:n], growing *s if needed.
func (buf *packBuffers) vec(s *[]float32, n int) []float32 {
	if cap(*s) < n {
		*s = make([]float32, n)
	}
	return (*s)[:n]
}

// aligned returns a zeroed slice of n float32s starting on a 64-byte
// boundary.
func aligned(n int) []float32 {
	s := make([]float32, n+16)
	off := int(uintptr(unsafe.Pointer(&s[0]))&63) / 4
	if off != 0 {
		off = 16 - off
	}
	return s[off : off+n : off+n]
}
