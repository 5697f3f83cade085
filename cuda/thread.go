package cuda

import "runtime"

// osThread runs functions on one goroutine locked to its OS thread. A CUDA
// context is current per OS thread and Go moves goroutines between threads,
// so every driver call goes through one osThread whose thread has the
// context current (without it calls fail with CUDA_ERROR_INVALID_CONTEXT).
type osThread struct{ calls chan func() }

func newOSThread() *osThread {
	t := &osThread{calls: make(chan func())}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread keeps the context
		for f := range t.calls {
			f()
		}
	}()
	return t
}

// do runs f on the thread and waits for it.
func (t *osThread) do(f func()) {
	done := make(chan struct{})
	t.calls <- func() {
		defer close(done)
		f()
	}
	<-done
}
