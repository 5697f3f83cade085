package backendtest

import (
	"fmt"
)

// The cases of the data movement primitives.

var permuteCases = []struct {
	shape, perm []int
	accumulate  bool
}{
	{[]int{7}, []int{0}, false},
	{[]int{3, 4}, []int{1, 0}, false},
	{[]int{3, 4}, []int{1, 0}, true},
	{[]int{2, 3, 5}, []int{2, 0, 1}, false},
	{[]int{2, 3, 5}, []int{0, 2, 1}, true},
	{[]int{2, 3, 5}, []int{0, 1, 2}, false},
	{[]int{2, 3, 4, 5}, []int{0, 2, 1, 3}, false}, // (B, T, H, hd) → (B, H, T, hd)
	{[]int{2, 3, 4, 5}, []int{3, 2, 1, 0}, true},
	{[]int{3, 1, 4, 1, 5}, []int{4, 1, 0, 3, 2}, false},
	{[]int{4, 65, 3, 33}, []int{0, 2, 1, 3}, false},
}

func checkPermute(c *checker) {
	for _, tc := range permuteCases {
		c.run(fmt.Sprintf("%v perm %v accumulate=%v", tc.shape, tc.perm, tc.accumulate), func() {
			x := c.uniform(size(tc.shape), -1, 1)
			out0 := c.uniform(len(x), -1, 1)
			var init []float64
			if tc.accumulate {
				init = f64(out0)
			}
			want, oshape := refPermute(f64(x), tc.shape, tc.perm, init)
			out := c.dev(out0, oshape...)
			c.be.Permute(c.dev(x, tc.shape...), out, tc.perm, tc.accumulate)
			c.near("out", oshape, c.host(out), want)
		})
	}
}

var copyAxisCases = []struct {
	src, dst                []int
	axis, srcOff, dstOff, n int
	accumulate              bool
}{
	{[]int{2, 5, 3}, []int{2, 7, 3}, 1, 1, 3, 4, false},
	{[]int{2, 5, 3}, []int{2, 7, 3}, 1, 0, 0, 5, true},
	{[]int{4, 3}, []int{6, 3}, 0, 2, 1, 2, false},
	{[]int{3, 4, 9}, []int{3, 4, 5}, 2, 4, 0, 5, true},
	{[]int{3, 4, 9}, []int{3, 4, 5}, 2, 0, 2, 3, false},
	{[]int{2, 3, 4}, []int{2, 3, 4}, 1, 0, 0, 0, false},
	{[]int{7}, []int{9}, 0, 3, 5, 4, true},
	{[]int{2, 2, 40, 16}, []int{2, 2, 64, 16}, 2, 0, 24, 40, false}, // a KV-cache append
}

// checkCopyAxis checks the whole destination: the copied slices and the
// untouched rest.
func checkCopyAxis(c *checker) {
	for _, tc := range copyAxisCases {
		name := fmt.Sprintf("%v@%d → %v@%d, %d on axis %d, accumulate=%v",
			tc.src, tc.srcOff, tc.dst, tc.dstOff, tc.n, tc.axis, tc.accumulate)
		c.run(name, func() {
			src := c.uniform(size(tc.src), -1, 1)
			dst0 := c.uniform(size(tc.dst), -1, 1)
			dst := c.dev(dst0, tc.dst...)
			c.be.CopyAxis(c.dev(src, tc.src...), dst, tc.axis, tc.srcOff, tc.dstOff, tc.n, tc.accumulate)
			want := refCopyAxis(f64(src), tc.src, f64(dst0), tc.dst, tc.axis, tc.srcOff, tc.dstOff, tc.n, tc.accumulate)
			c.near("dst", tc.dst, c.host(dst), want)
		})
	}
}

// rowCases are (rows, width, ids, id range) problems for GatherRows and
// ScatterAddRows; out is the shape the gathered rows are viewed in. A small
// id range repeats ids, which ScatterAddRows must sum.
var rowCases = []struct {
	rows, d, n, idRange int
	out                 []int
}{
	{11, 13, 20, 11, []int{20, 13}},
	{11, 13, 20, 3, []int{4, 5, 13}},
	{5, 1, 7, 5, []int{7, 1}},
	{1, 8, 6, 1, []int{6, 8}},
	{1000, 64, 300, 1000, []int{2, 150, 64}},
	{40, 32, 200, 4, []int{200, 32}},
}

func checkGatherRows(c *checker) {
	for _, tc := range rowCases {
		c.run(fmt.Sprintf("table %d×%d, %d ids in [0,%d)", tc.rows, tc.d, tc.n, tc.idRange), func() {
			table := c.uniform(tc.rows*tc.d, -1, 1)
			ids := c.ints(tc.n, tc.idRange)
			out := c.dev(c.uniform(tc.n*tc.d, -1, 1), tc.out...)
			c.be.GatherRows(c.dev(table, tc.rows, tc.d), ids, out)
			c.near("out", tc.out, c.host(out), refGatherRows(f64(table), tc.d, ids))
		})
	}
}

func checkScatterAddRows(c *checker) {
	for _, tc := range rowCases {
		c.run(fmt.Sprintf("table %d×%d, %d ids in [0,%d)", tc.rows, tc.d, tc.n, tc.idRange), func() {
			table0 := c.uniform(tc.rows*tc.d, -1, 1)
			g := c.uniform(tc.n*tc.d, -1, 1)
			ids := c.ints(tc.n, tc.idRange)
			table := c.dev(table0, tc.rows, tc.d)
			c.be.ScatterAddRows(c.dev(g, tc.out...), ids, table)
			want := refScatterAddRows(f64(g), tc.d, ids, f64(table0))
			c.near("table", []int{tc.rows, tc.d}, c.host(table), want)
		})
	}
}
