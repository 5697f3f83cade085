package ops_test

import (
	"testing"

	"xprompt/backendtest"
	"xprompt/ops"
)

// TestConformanceCPU checks every primitive of the CPU backend against the
// float64 references of package backendtest.
func TestConformanceCPU(t *testing.T) { backendtest.Run(t, ops.CPU) }
