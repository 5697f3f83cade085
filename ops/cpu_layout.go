package ops

import (
	"fmt"

	"xprompt/core"
)

func (cpuBackend) Permute(x, out *core.Tensor, perm []int, accumulate bool) {
	in := x.Dims()
	if len(perm) != len(in) || x.Len() != out.Len() {
		panic(fmt.Sprintf("cpu.Permute: perm %v for shape %v into %v", perm, in, out.Dims()))
	}
	r := len(in)
	if r == 0 {
		if accumulate {
			out.Data[0] += x.Data[0]
		} else {
			out.Data[0] = x.Data[0]
		}
		return
	}
	// Strides of x, in the order of out's axes.
	xst := core.Make[int](r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		xst[i] = s
		s *= in[i]
	}
	oshape := core.Make[int](r)
	ost := core.Make[int](r)
	for i, p := range perm {
		oshape[i] = in[p]
		ost[i] = xst[p]
	}
	inner := oshape[r-1]
	innerStride := ost[r-1]
	rows := out.Len() / max(inner, 1)
	xs, os := x.Data, out.Data
	parallelArgs(rows, max(1, elemChunk/max(inner, 1)), permuteArgs{xs, os, oshape, ost, r, inner, innerStride, accumulate}, func(a *permuteArgs, lo, hi int) {
		xs, os, oshape, ost, r, inner, innerStride, accumulate := a.xs, a.os, a.oshape, a.ost, a.r, a.inner, a.innerStride, a.accumulate
		for row := lo; row < hi; row++ {
			off, rem := 0, row
			for ax := r - 2; ax >= 0; ax-- {
				i := rem % oshape[ax]
				rem /= oshape[ax]
				off += i * ost[ax]
			}
			dst := os[row*inner : (row+1)*inner]
			if innerStride == 1 && !accumulate {
				copy(dst, xs[off:off+inner])
				continue
			}
			if accumulate {
				for i := range dst {
					dst[i] += xs[off+i*innerStride]
				}
			} else {
				for i := range dst {
					dst[i] = xs[off+i*innerStride]
				}
			}
		}
	})
}

func (cpuBackend) CopyAxis(src, dst *core.Tensor, axis, srcOff, dstOff, n int, accumulate bool) {
	ss, ds := src.Dims(), dst.Dims()
	if len(ss) != len(ds) || axis < 0 || axis >= len(ss) || srcOff < 0 || dstOff < 0 ||
		srcOff+n > ss[axis] || dstOff+n > ds[axis] {
		panic(fmt.Sprintf("cpu.CopyAxis: %d slices on axis %d from %v@%d to %v@%d", n, axis, ss, srcOff, ds, dstOff))
	}
	outer, inner := 1, 1
	for i := 0; i < axis; i++ {
		if ss[i] != ds[i] {
			panic(fmt.Sprintf("cpu.CopyAxis: shapes %v and %v differ off axis %d", ss, ds, axis))
		}
		outer *= ss[i]
	}
	for i := axis + 1; i < len(ss); i++ {
		if ss[i] != ds[i] {
			panic(fmt.Sprintf("cpu.CopyAxis: shapes %v and %v differ off axis %d", ss, ds, axis))
		}
		inner *= ss[i]
	}
	block := n * inner
	for o := 0; o < outer; o++ {
		s := src.Data[(o*ss[axis]+srcOff)*inner:][:block]
		d := dst.Data[(o*ds[axis]+dstOff)*inner:][:block]
		if accumulate {
			for i, v := range s {
				d[i] += v
			}
		} else {
			copy(d, s)
		}
	}
}

func (cpuBackend) GatherRows(table *core.Tensor, ids []int32, out *core.Tensor) {
	if table.Rank() != 2 || out.Len() != len(ids)*table.Dim(1) {
		panic(fmt.Sprintf("cpu.GatherRows: table %v, %d ids, out %v", table.Dims(), len(ids), out.Dims()))
	}
	rows, d := table.Dim(0), table.Dim(1)
	for i, id := range ids {
		if id < 0 || int(id) >= rows {
			panic(fmt.Sprintf("cpu.GatherRows: id %d out of range [0,%d)", id, rows))
		}
		copy(out.Data[i*d:(i+1)*d], table.Data[int(id)*d:(int(id)+1)*d])
	}
}

func (cpuBackend) ScatterAddRows(g *core.Tensor, ids []int32, table *core.Tensor) {
	if table.Rank() != 2 || g.Len() != len(ids)*table.Dim(1) {
		panic(fmt.Sprintf("cpu.ScatterAddRows: table %v, %d ids, g %v", table.Dims(), len(ids), g.Dims()))
	}
	rows, d := table.Dim(0), table.Dim(1)
	for i, id := range ids {
		if id < 0 || int(id) >= rows {
			panic(fmt.Sprintf("cpu.ScatterAddRows: id %d out of range [0,%d)", id, rows))
		}
		dst := table.Data[int(id)*d : (int(id)+1)*d]
		for j, v := range g.Data[i*d : (i+1)*d] {
			dst[j] += v
		}
	}
}

// permuteArgs are the operands of a parallel loop (see parallelArgs).
type permuteArgs struct {
	xs, os                []float32
	oshape, ost           []int
	r, inner, innerStride int
	accumulate            bool
}
