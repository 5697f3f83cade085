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
	// partWork is the least work worth one goroutine of a split product.
	partWork = 1 << 20
)

// gemm runs one validated product on up to threads goroutines.
func (v *variant) gemm(g *gemmArgs, threads int) {
	m, n, k := g.m, g.n, g.k
	if m == 0 || n == 0 {
		return
	}
	if g.alpha == 0 || k == 0 {
		scaleC(g)
		return
	}
	work := m * n * k
	if work < directWork || m < directSide || n < directSide {
		v.direct(g)
		return
	}
	threads = min(threads, max(1, work/partWork))
	if threads <= 1 {
		buf := getBuffers(v)
		v.block(g, 0, m, 0, n, buf)
		buffers.Put(buf)
		return
	}
	tm, tn := splitGrid(threads, m, n, k, v.mr, v.nr)
	j := jobs.Get().(*job)
	*j = job{v: v, g: *g, tm: tm, tn: tn}
	j.runParallel(tm * tn)
	*j = job{}
	jobs.Put(j)
}

// block computes rows [m0, m1) and columns [n0, n1) of C on the calling
// goroutine: the Goto loop nest around the micro-kernel.
func (v *variant) block(g *gemmArgs, m0, m1, n0, n1 int, buf *packBuffers) {
	mr, nr := v.mr, v.nr
	buf.grow(v)
	for jc := n0; jc < n1; jc += v.nc {
		nc := min(v.nc, n1-jc)
		for pc := 0; pc < g.k; pc += v.kc {
			kc := min(v.kc, g.k-pc)
			beta := g.beta
			if pc > 0 {
				beta = 1
			}
			v.packB(buf.b, g, pc, kc, jc, nc)
			for ic := m0; ic < m1; ic += v.mc {
				mc := min(v.mc, m1-ic)
				v.packA(buf.a, g, ic, mc, pc, kc)
				for jr := 0; jr < nc; jr += nr {
					w := min(nr, nc-jr)
					bp := &buf.b[jr*kc]
					for ir := 0; ir < mc; ir += mr {
						h := min(mr, mc-ir)
						ap := &buf.a[ir*kc]
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
// would cost more than the arithmetic. op(A)'s row and, for n == 1, op(B)'s
// column are gathered when they are not contiguous.
func (v *variant) direct(g *gemmArgs) {
	m, n, k := g.m, g.n, g.k
	buf := getBuffers(v)
	defer buffers.Put(buf)
	arow := buf.vec(&buf.arow, k)
	var bcol []float32
	if n == 1 {
		bcol = buf.vec(&buf.bcol, k)
		for p := range bcol { // op(B)[p][0]
			if g.transB {
				bcol[p] = g.b[p]
			} else {
				bcol[p] = g.b[p*g.ldb]
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
		switch {
		case n == 1:
			crow[0] = combine(g.alpha*v.dot(arow, bcol), g.beta, crow[0])
		case g.transB: // op(B)[·][j] is row j of B
			for j := range crow {
				crow[j] = combine(g.alpha*v.dot(arow, g.b[j*g.ldb:j*g.ldb+k]), g.beta, crow[j])
			}
		default: // C row = beta·C row + Σ_p alpha·op(A)[i][p]·(row p of B)
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

var buffers = sync.Pool{New: func() any { return new(packBuffers) }}

func getBuffers(v *variant) *packBuffers {
	buf := buffers.Get().(*packBuffers)
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
