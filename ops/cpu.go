package ops

import "xprompt/core"

// cpuBackend implements core.Backend on the host. Its methods are spread over
// the cpu_*.go files, one per group of primitives.
type cpuBackend struct{}

// CPU is the CPU backend, registered with core at init.
var CPU core.Backend = cpuBackend{}

func init() { core.Register(CPU) }

func (cpuBackend) Name() string        { return "cpu" }
func (cpuBackend) Device() core.Device { return core.CPU }
