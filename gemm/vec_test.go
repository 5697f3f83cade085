package gemm

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// vecLengths cross every block boundary of the vector loops (8, 16, 32, 64).
var vecLengths = []int{0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 1000}

func TestDot(t *testing.T) {
	eachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, n := range vecLengths {
			// Slices that start off a vector boundary and end before
			// their backing array, so over-reads would be seen by -race
			// or by the sentinel values.
			x := randSlice(rng, n+5)[1 : n+1]
			y := randSlice(rng, n+5)[3 : n+3]
			var want, abs float64
			for i := range x {
				want += float64(x[i]) * float64(y[i])
				abs += math.Abs(float64(x[i]) * float64(y[i]))
			}
			got := Dot(x, y)
			tol := (2*math.Sqrt(float64(n)) + 4) * abs / (1 << 23)
			if d := math.Abs(float64(got) - want); d > tol {
				t.Errorf("n=%d: Dot = %v, want %v (|diff| %.3g > %.3g)", n, got, want, d, tol)
			}
		}
	})
}

func TestAxpy(t *testing.T) {
	eachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, n := range vecLengths {
			const alpha = -0.75
			x := randSlice(rng, n+5)[1 : n+1]
			back := randSlice(rng, n+5)
			y := back[2 : n+2]
			before := append([]float32(nil), back...)
			Axpy(alpha, x, y)
			for i := range y {
				want := float64(before[i+2]) + alpha*float64(x[i])
				// One rounding (fused) or two (multiply, then add).
				if d := math.Abs(float64(y[i]) - want); d > 2*math.Abs(want)/(1<<23)+1e-7 {
					t.Fatalf("n=%d: y[%d] = %v, want %v", n, i, y[i], want)
				}
			}
			for _, i := range []int{0, 1, n + 2, n + 3, n + 4} {
				if back[i] != before[i] {
					t.Fatalf("n=%d: Axpy wrote outside y at backing index %d", n, i)
				}
			}
		}
	})
}

func TestSetKernel(t *testing.T) {
	prev := Kernel()
	defer SetKernel(prev)
	names := Kernels()
	if names[len(names)-1] != "go" {
		t.Fatalf("Kernels() = %v, want the portable \"go\" last", names)
	}
	if prev != names[0] {
		t.Errorf("default Kernel() = %q, want the best supported %q", prev, names[0])
	}
	for _, name := range names {
		if err := SetKernel(name); err != nil || Kernel() != name {
			t.Errorf("SetKernel(%q) = %v, Kernel() = %q", name, err, Kernel())
		}
	}
	if err := SetKernel("sse9"); err == nil || !strings.Contains(err.Error(), `"sse9"`) {
		t.Errorf("SetKernel(sse9) = %v, want an error naming it", err)
	}
	if Kernel() != names[len(names)-1] {
		t.Errorf("failed SetKernel changed the kernel to %q", Kernel())
	}
}

func TestThreads(t *testing.T) {
	prev := nthreads.Load()
	defer nthreads.Store(prev)
	SetThreads(3)
	if Threads() != 3 {
		t.Errorf("Threads() = %d after SetThreads(3)", Threads())
	}
	SetThreads(0)
	if Threads() < 1 {
		t.Errorf("default Threads() = %d", Threads())
	}
}

// TestKernelEnv runs this test binary again with XPROMPT_GEMM set and
// checks that init picked that variant (or ignored a bad name, saying so).
func TestKernelEnv(t *testing.T) {
	if want := os.Getenv("GEMM_WANT_KERNEL"); want != "" {
		if Kernel() != want {
			t.Fatalf("XPROMPT_GEMM=%q: Kernel() = %q, want %q", os.Getenv("XPROMPT_GEMM"), Kernel(), want)
		}
		return
	}
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	cases := [][2]string{{"go", "go"}, {"bogus", Kernels()[0]}}
	if len(Kernels()) > 2 {
		cases = append(cases, [2]string{Kernels()[1], Kernels()[1]})
	}
	for _, c := range cases {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKernelEnv$")
		cmd.Env = append(os.Environ(), "XPROMPT_GEMM="+c[0], "GEMM_WANT_KERNEL="+c[1])
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("XPROMPT_GEMM=%s: %v\n%s", c[0], err, out)
		}
		if c[0] == "bogus" && !strings.Contains(string(out), "XPROMPT_GEMM ignored") {
			t.Errorf("XPROMPT_GEMM=bogus: no warning in output:\n%s", out)
		}
	}
}
