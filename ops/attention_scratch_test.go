package ops

import (
	"syscall"
	"testing"
	"time"

	"xprompt/core"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestScratchAttnCPU(t *testing.T) {
	for _, c := range []struct{ b, h, t, hd int; k core.MaskKind }{{1, 8, 1024, 32, core.MaskXPrompt}, {1, 8, 1024, 32, core.MaskCausal}, {8, 8, 336, 32, core.MaskXPrompt}} {
		BenchAttention(c.b, c.h, c.t, c.hd, c.k, 1)
		c0 := cpuTime()
		w := BenchAttention(c.b, c.h, c.t, c.hd, c.k, 10)
		c1 := cpuTime()
		t.Logf("%+v wall %v cpu/iter %v", c, w, (c1-c0)/11)
	}
}
