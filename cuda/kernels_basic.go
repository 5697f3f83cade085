package cuda

import (
	"fmt"

	"xprompt/core"
)

// Gemm runs gemm_tiled: one 16×16 tile of C per block, batch on grid z.
func (b *Backend) Gemm(s core.GemmSpec, a, bm, c *core.Tensor) {
	need := func(name string, t *core.Tensor, stride, rows, cols int) {
		n := rows * cols
		if s.Batch > 1 && stride > 0 {
			n += (s.Batch - 1) * stride
		}
		if t.Len() < n {
			panic(fmt.Sprintf("%s.Gemm: %s has %d values, needs %d for batch %d of %d×%d", b.device, name, t.Len(), n, s.Batch, rows, cols))
		}
	}
	if s.Batch < 1 || s.M < 0 || s.N < 0 || s.K < 0 {
		panic(fmt.Sprintf("%s.Gemm: bad spec %+v", b.device, s))
	}
	need("A", a, s.StrideA, s.M, s.K)
	need("B", bm, s.StrideB, s.K, s.N)
	need("C", c, s.StrideC, s.M, s.N)
	if s.M == 0 || s.N == 0 {
		return
	}
	grid := [3]uint32{uint32((s.N + 15) / 16), uint32((s.M + 15) / 16), uint32(s.Batch)}
	b.launch3("gemm_tiled", grid, [3]uint32{16, 16, 1}, 0, a, bm, c, int32(s.M), int32(s.N), int32(s.K),
		cbool(s.TransA), cbool(s.TransB), int64(s.StrideA), int64(s.StrideB), int64(s.StrideC), s.Alpha, s.Beta)
}

func cbool(v bool) int32 {
	if v {
		return 1
	}
	return 0
}

// Unary runs unary_fwd.
func (b *Backend) Unary(op core.UnaryOp, p float32, x, out *core.Tensor) {
	if x.Len() != out.Len() {
		panic(fmt.Sprintf("%s.Unary: x %v and out %v differ in size", b.device, x.Dims(), out.Dims()))
	}
	if op < core.OpNeg || op > core.OpPow {
		panic(fmt.Sprintf("%s.Unary: unknown op %d", b.device, op))
	}
	if n := x.Len(); n > 0 {
		b.launch("unary_fwd", grid1(n), 256, 0, int32(op), p, x, out, int64(n))
	}
}

// UnaryBackward runs unary_bwd (y may be nil for ops that do not read it).
func (b *Backend) UnaryBackward(op core.UnaryOp, p float32, x, y, gy, gx *core.Tensor) {
	if gy.Len() != gx.Len() || x.Len() != gx.Len() {
		panic(fmt.Sprintf("%s.UnaryBackward: x %v, gy %v and gx %v differ in size", b.device, x.Dims(), gy.Dims(), gx.Dims()))
	}
	if n := gx.Len(); n > 0 {
		b.launch("unary_bwd", grid1(n), 256, 0, int32(op), p, x, y, gy, gx, int64(n))
	}
}

// broadcastArgs mirrors struct Broadcast of elementwise.cu.
type broadcastArgs struct {
	Rank          int32
	Shape, SA, SB [8]int32
}

// stridesIn returns the strides of shape viewed inside full (0 on broadcast axes).
func stridesIn(shape, full []int) []int {
	st := make([]int, len(full))
	s := 1
	for i := len(full) - 1; i >= 0; i-- {
		j := len(shape) - len(full) + i
		if j >= 0 && shape[j] != 1 {
			st[i] = s
			s *= shape[j]
		}
	}
	return st
}

// broadcastShape returns the NumPy broadcast of two shapes, or nil.
func broadcastShape(a, c []int) []int {
	n := max(len(a), len(c))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, dc := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(c) - n + i; j >= 0 {
			dc = c[j]
		}
		switch {
		case da == dc, dc == 1:
			out[i] = da
		case da == 1:
			out[i] = dc
		default:
			return nil
		}
	}
	return out
}

// Binary runs binary_fwd over out's elements.
func (b *Backend) Binary(op core.BinaryOp, x, y, out *core.Tensor) {
	shape := broadcastShape(x.Dims(), y.Dims())
	if shape == nil || !core.EqualShapes(shape, out.Dims()) || len(shape) > 8 {
		panic(fmt.Sprintf("%s.Binary: a %v, b %v, out %v do not agree", b.device, x.Dims(), y.Dims(), out.Dims()))
	}
	if op < core.OpAdd || op > core.OpDiv {
		panic(fmt.Sprintf("%s.Binary: unknown op %d", b.device, op))
	}
	var g broadcastArgs
	g.Rank = int32(len(shape))
	sa, sb := stridesIn(x.Dims(), shape), stridesIn(y.Dims(), shape)
	for i := range shape {
		g.Shape[i], g.SA[i], g.SB[i] = int32(shape[i]), int32(sa[i]), int32(sb[i])
	}
	if n := out.Len(); n > 0 {
		b.launch("binary_fwd", grid1(n), 256, 0, int32(op), x, y, out, int64(n), g)
	}
}

// sumGeom mirrors struct SumGeom of elementwise.cu.
type sumGeom struct {
	NK, NR                 int32
	KDim, KStr, RDim, RStr [8]int32
	NRed                   int64
}

// SumTo runs sum_to: one thread per element of out.
func (b *Backend) SumTo(x, out *core.Tensor, accumulate bool) {
	full, os := x.Dims(), out.Dims()
	if broadcastShape(full, os) == nil || len(os) > len(full) || len(full) > 8 {
		panic(fmt.Sprintf("%s.SumTo: cannot sum shape %v to %v", b.device, full, os))
	}
	var g sumGeom
	g.NRed = 1
	stride := 1
	xst := make([]int, len(full))
	for i := len(full) - 1; i >= 0; i-- {
		xst[i] = stride
		stride *= full[i]
	}
	for ax, d := range full {
		od := 1
		if j := ax - (len(full) - len(os)); j >= 0 {
			od = os[j]
		}
		if od == d {
			g.KDim[g.NK], g.KStr[g.NK] = int32(d), int32(xst[ax])
			g.NK++
		} else {
			g.RDim[g.NR], g.RStr[g.NR] = int32(d), int32(xst[ax])
			g.NR++
			g.NRed *= int64(d)
		}
	}
	if n := out.Len(); n > 0 {
		b.launch("sum_to", grid1(n), 256, 0, x, out, int64(n), g, cbool(accumulate))
	}
}

// SumSquares runs sum_squares_partial and adds the blocks' partial sums in float64.
func (b *Backend) SumSquares(x *core.Tensor) float64 {
	n := x.Len()
	if n == 0 {
		return 0
	}
	blocks := min(grid1(n), 256)
	part := b.empty(blocks)
	b.launch("sum_squares_partial", blocks, 256, 0, x, int64(n), part)
	var s float64
	for _, v := range b.ToHost(part).Data {
		s += float64(v)
	}
	return s
}

// permGeom mirrors struct PermGeom of layout.cu.
type permGeom struct {
	Rank   int32
	OShape [8]int32
	XStr   [8]int64
}

// Permute runs permute: one thread per element of out.
func (b *Backend) Permute(x, out *core.Tensor, perm []int, accumulate bool) {
	in := x.Dims()
	if len(perm) != len(in) || x.Len() != out.Len() || len(in) > 8 {
		panic(fmt.Sprintf("%s.Permute: perm %v for shape %v into %v", b.device, perm, in, out.Dims()))
	}
	xst := make([]int, len(in))
	s := 1
	for i := len(in) - 1; i >= 0; i-- {
		xst[i] = s
		s *= in[i]
	}
	var g permGeom
	g.Rank = int32(len(in))
	seen := make([]bool, len(in))
	for i, p := range perm {
		if p < 0 || p >= len(in) || seen[p] {
			panic(fmt.Sprintf("%s.Permute: bad perm %v for shape %v", b.device, perm, in))
		}
		seen[p] = true
		g.OShape[i], g.XStr[i] = int32(in[p]), int64(xst[p])
	}
	if n := out.Len(); n > 0 {
		b.launch("permute", grid1(n), 256, 0, x, out, int64(n), g, cbool(accumulate))
	}
}

// CopyAxis runs copy_axis over the (outer, n, inner) slices.
func (b *Backend) CopyAxis(src, dst *core.Tensor, axis, srcOff, dstOff, n int, accumulate bool) {
	ss, ds := src.Dims(), dst.Dims()
	if len(ss) != len(ds) || axis < 0 || axis >= len(ss) || srcOff < 0 || dstOff < 0 || n < 0 ||
		srcOff+n > ss[axis] || dstOff+n > ds[axis] {
		panic(fmt.Sprintf("%s.CopyAxis: %d slices on axis %d from %v@%d to %v@%d", b.device, n, axis, ss, srcOff, ds, dstOff))
	}
	outer, inner := 1, 1
	for i := range ss {
		if i != axis && ss[i] != ds[i] {
			panic(fmt.Sprintf("%s.CopyAxis: shapes %v and %v differ off axis %d", b.device, ss, ds, axis))
		}
		if i < axis {
			outer *= ss[i]
		} else if i > axis {
			inner *= ss[i]
		}
	}
	if total := outer * n * inner; total > 0 {
		b.launch("copy_axis", grid1(total), 256, 0, src, dst, int64(outer), int32(inner), int32(ss[axis]), int32(ds[axis]),
			int32(srcOff), int32(dstOff), int32(n), cbool(accumulate))
	}
}

// checkIDs panics if an id is outside [0, rows).
func (b *Backend) checkIDs(op string, ids []int32, rows int) {
	for _, id := range ids {
		if id < 0 || int(id) >= rows {
			panic(fmt.Sprintf("%s.%s: id %d out of range [0,%d)", b.device, op, id, rows))
		}
	}
}

// GatherRows runs gather_rows.
func (b *Backend) GatherRows(table *core.Tensor, ids []int32, out *core.Tensor) {
	if table.Rank() != 2 || out.Len() != len(ids)*table.Dim(1) {
		panic(fmt.Sprintf("%s.GatherRows: table %v, %d ids, out %v", b.device, table.Dims(), len(ids), out.Dims()))
	}
	b.checkIDs("GatherRows", ids, table.Dim(0))
	if n := out.Len(); n > 0 {
		dev := upload(b, ids)
		defer dev.release()
		b.launch("gather_rows", grid1(n), 256, 0, table, dev, out, int64(len(ids)), int32(table.Dim(1)))
	}
}

// ScatterAddRows runs scatter_add_rows (float atomics).
func (b *Backend) ScatterAddRows(g *core.Tensor, ids []int32, table *core.Tensor) {
	if table.Rank() != 2 || g.Len() != len(ids)*table.Dim(1) {
		panic(fmt.Sprintf("%s.ScatterAddRows: table %v, %d ids, g %v", b.device, table.Dims(), len(ids), g.Dims()))
	}
	b.checkIDs("ScatterAddRows", ids, table.Dim(0))
	if n := g.Len(); n > 0 {
		dev := upload(b, ids)
		defer dev.release()
		b.launch("scatter_add_rows", grid1(n), 256, 0, g, dev, table, int64(len(ids)), int32(table.Dim(1)))
	}
}
