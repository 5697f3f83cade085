package gemm

// Packing copies blocks of op(A) and op(B) into the layouts the micro-kernel
// streams through: a strip of w ≤ W rows (or columns) over kc steps becomes
// kc groups of W consecutive values, padded with zeros past w.

// packA packs rows [i0, i0+mc) and depths [p0, p0+kc) of op(A) into dst as
// ⌈mc/mr⌉ strips of kc×mr values; strip s starts at dst[s·mr·kc].
func (v *variant) packA(dst []float32, g *gemmArgs, i0, mc, p0, kc int) {
	mr := v.mr
	for ir := 0; ir < mc; ir += mr {
		w := min(mr, mc-ir)
		strip := dst[ir*kc : ir*kc+kc*mr]
		i := i0 + ir
		if g.transA { // op(A)[i][p] = a[p·lda + i]: rows of A run along i
			v.packRows(strip, g.a[p0*g.lda+i:], g.lda, kc, w, mr)
		} else { // op(A)[i][p] = a[i·lda + p]: rows of A run along p
			v.packCols(strip, g.a[i*g.lda+p0:], g.lda, kc, w, mr)
		}
	}
}

// packB packs depths [p0, p0+kc) and columns [j0, j0+nc) of op(B) into dst
// as ⌈nc/nr⌉ strips of kc×nr values; strip s starts at dst[s·nr·kc].
func (v *variant) packB(dst []float32, g *gemmArgs, p0, kc, j0, nc int) {
	nr := v.nr
	for jr := 0; jr < nc; jr += nr {
		w := min(nr, nc-jr)
		strip := dst[jr*kc : jr*kc+kc*nr]
		j := j0 + jr
		if g.transB { // op(B)[p][j] = b[j·ldb + p]
			v.packCols(strip, g.b[j*g.ldb+p0:], g.ldb, kc, w, nr)
		} else { // op(B)[p][j] = b[p·ldb + j]
			v.packRows(strip, g.b[p0*g.ldb+j:], g.ldb, kc, w, nr)
		}
	}
}

// packRows sets dst[p·W + r] = src[p·ld + r] for p < kc, r < w, and zero
// for w ≤ r < W: each step's W values are contiguous in src.
func packRows(dst, src []float32, ld, kc, w, W int) {
	for p := 0; p < kc; p++ {
		d := dst[p*W : p*W+W : p*W+W]
		copy(d, src[p*ld:p*ld+w])
		clear(d[w:])
	}
}

// packCols sets dst[p·W + r] = src[r·ld + p] for p < kc, r < w, and zero
// for w ≤ r < W: each of the w source rows runs along p.
func packCols(dst, src []float32, ld, kc, w, W int) {
	dst = dst[:kc*W]
	r := 0
	for ; r+4 <= w; r += 4 {
		s0 := src[r*ld : r*ld+kc]
		s1 := src[(r+1)*ld : (r+1)*ld+kc]
		s2 := src[(r+2)*ld : (r+2)*ld+kc]
		s3 := src[(r+3)*ld : (r+3)*ld+kc]
		for p := range s0 {
			d := dst[p*W+r : p*W+r+4 : p*W+r+4]
			d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
		}
	}
	for ; r < w; r++ {
		s := src[r*ld : r*ld+kc]
		for p, v := range s {
			dst[p*W+r] = v
		}
	}
	if w < W {
		for p := 0; p < kc; p++ {
			clear(dst[p*W+w : p*W+W])
		}
	}
}
