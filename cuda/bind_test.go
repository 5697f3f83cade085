package cuda

import (
	"testing"

	"github.com/ebitengine/purego"
)

// TestBindFields binds unexported func fields to library symbols the way the
// driver and NVRTC tables are bound, here against libc (present everywhere
// this runs), and calls them.
func TestBindFields(t *testing.T) {
	lib, err := purego.Dlopen("libc.so.6", purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		t.Skipf("no libc.so.6: %v", err)
	}
	var api struct {
		strlen func(s string) uint64
		abs    func(x int32) int32
	}
	if err := bindAll(lib, &api, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	if n := api.strlen("kernel"); n != 6 {
		t.Errorf("strlen = %d", n)
	}
	if v := api.abs(-7); v != 7 {
		t.Errorf("abs = %d", v)
	}
	var missing struct{ noSuchSymbolXprompt func() }
	if err := bindAll(lib, &missing, nil); err == nil {
		t.Error("binding a missing symbol did not fail")
	}
}
