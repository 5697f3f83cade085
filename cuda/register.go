package cuda

import (
	"xprompt/core"
	"xprompt/cuda/emu"
)

// The CUDA devices are registered lazily: the driver is loaded (or the
// emulator compiled) on first use, and a failure is an error of
// core.BackendFor, not of the program's start.
func init() {
	core.RegisterLazy(Device, func() (core.Backend, error) {
		d, err := Open()
		if err != nil {
			return nil, err
		}
		return NewBackend(d, Device), nil
	})
	core.RegisterLazy(EmuDevice, func() (core.Backend, error) {
		d, err := emu.Open(emu.KernelSources())
		if err != nil {
			return nil, err
		}
		return NewBackend(d, EmuDevice), nil
	})
}
