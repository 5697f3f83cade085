package cuda

import "errors"

// Open loads the CUDA driver and NVRTC and returns a Driver on device 0.
func Open() (Driver, error) { return nil, errors.New("cuda: driver not loaded") }
