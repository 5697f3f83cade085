package ops

import (
	"math"
	"sync"
)

// ropeTable caches cos/sin of pos·θᵢ for one (hd, base), grown on demand.
type ropeTable struct {
	mu       sync.RWMutex
	cos, sin []float32 // [pos*(hd/2)+i]
	// ce and se are cos and sin expanded to the pairs' lanes for
	// ropeRowAVX512: ce[pos*hd+2i] = ce[pos*hd+2i+1] = cos, se[pos*hd+2i] =
	// −sin, se[pos*hd+2i+1] = sin.
	ce, se []float32
	npos   int
}

var (
	ropeMu     sync.RWMutex
	ropeTables = map[ropeKey]*ropeTable{}
)

type ropeKey struct {
	hd   int
	base float32
}

func ropeCosSin(hd int, base float32, maxPos int) (cos, sin []float32) {
	tb := ropeLookup(hd, base, maxPos)
	return tb.cos, tb.sin
}

// ropeExpanded returns the tables of ropeCosSin and their lane-expanded
// forms (see ropeTable).
func ropeExpanded(hd int, base float32, maxPos int) (cos, sin, ce, se []float32) {
	tb := ropeLookup(hd, base, maxPos)
	return tb.cos, tb.sin, tb.ce, tb.se
}

// ropeTabs are the tables of a ropeTable, read under its lock.
type ropeTabs struct{ cos, sin, ce, se []float32 }

// ropeLookup returns a snapshot of the RoPE tables for head size hd and base
// covering positions 0…maxPos at least.
func ropeLookup(hd int, base float32, maxPos int) ropeTabs {
	key := ropeKey{hd, base}
	ropeMu.RLock()
	tb := ropeTables[key]
	ropeMu.RUnlock()
	if tb == nil {
		ropeMu.Lock()
		if tb = ropeTables[key]; tb == nil {
			tb = &ropeTable{}
			ropeTables[key] = tb
		}
		ropeMu.Unlock()
	}
	tb.mu.RLock()
	if tb.npos > maxPos {
		snap := ropeTabs{tb.cos, tb.sin, tb.ce, tb.se}
		tb.mu.RUnlock()
		return snap
	}
	tb.mu.RUnlock()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.npos <= maxPos {
		n := max(2*tb.npos, maxPos+1, 64)
		half := hd / 2
		c, s := make([]float32, n*half), make([]float32, n*half)
		ce, se := make([]float32, n*hd), make([]float32, n*hd)
		for p := 0; p < n; p++ {
			for i := 0; i < half; i++ {
				theta := math.Pow(float64(base), -2*float64(i)/float64(hd))
				sv, cv := math.Sincos(float64(p) * theta)
				c[p*half+i], s[p*half+i] = float32(cv), float32(sv)
				ce[p*hd+2*i], ce[p*hd+2*i+1] = float32(cv), float32(cv)
				se[p*hd+2*i], se[p*hd+2*i+1] = -float32(sv), float32(sv)
			}
		}
		tb.cos, tb.sin, tb.ce, tb.se, tb.npos = c, s, ce, se, n
	}
	return ropeTabs{tb.cos, tb.sin, tb.ce, tb.se}
}
