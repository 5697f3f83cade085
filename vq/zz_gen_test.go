package vq

import (
	"os"
	"testing"
)

func TestZZGenPlaceholder(t *testing.T) {
	f, _ := os.Create("default.vq")
	if err := New(DefaultConfig, 1).Save(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
}
