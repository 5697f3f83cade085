package main

import (
	"fmt"

	"xprompt/core"
	_ "xprompt/cuda" // registers the cuda and cuda-emu devices (opened on first use)
)

// deviceNames is the help text of --device.
const deviceNames = "device: cpu, cuda, cuda-emu (the CUDA kernels on a CPU emulator) or auto (cuda when a GPU is present; default $" + core.DeviceEnv + ")"

// resolveDevice turns a --device value into a usable device, or one clear
// error (such as no CUDA driver or no GPU for cuda).
func resolveDevice(name string) (core.Device, error) {
	switch name {
	case "cpu", "cuda", "cuda-emu", "auto", "":
	default:
		return "", fmt.Errorf("%w: unknown device %q (want cpu, cuda, cuda-emu or auto)", errUsage, name)
	}
	d, err := core.ResolveDevice(name)
	if err != nil {
		return "", fmt.Errorf("device %s is not available: %v", name, err)
	}
	return d, nil
}
