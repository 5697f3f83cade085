package model

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xprompt/core"
)

func TestCheckpointRoundTrip(t *testing.T) {
	m, _ := New(testConfig(), 3)
	opt := &OptimState{Steps: 7}
	for _, p := range m.Params.List() {
		opt.M = append(opt.M, core.Full(0.5, p.Dims()...).SetName(p.Name()))
		opt.V = append(opt.V, core.Full(0.25, p.Dims()...).SetName(p.Name()))
	}
	ck := &Checkpoint{Model: m, Text: []byte("tok"), VQ: []byte("vq"), Optim: opt, Train: []byte(`{"step":7}`)}
	path := filepath.Join(t.TempDir(), "m.ckpt")
	if err := ck.Save(path, false); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params.List() {
		q := got.Model.Params.List()[i]
		for j := range p.Data {
			if p.Data[j] != q.Data[j] {
				t.Fatalf("%s[%d] = %g after round trip, want %g", p.Name(), j, q.Data[j], p.Data[j])
			}
		}
	}
	if got.Optim == nil || got.Optim.Steps != 7 || got.Optim.V[0].Data[0] != 0.25 || string(got.Train) != `{"step":7}` || string(got.VQ) != "vq" {
		t.Fatal("optimizer, training state or tokenizer blobs lost in the round trip")
	}
	// Float16 storage keeps weights to half precision.
	if err := ck.Save(path, true); err != nil {
		t.Fatal(err)
	}
	half, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, q := m.Params.List()[0], half.Model.Params.List()[0]
	if d := maxRelDiff(q.Data, p.Data); d > 1e-3 {
		t.Fatalf("float16 checkpoint differs by %g", d)
	}
}

func TestCheckpointRejectsBadFiles(t *testing.T) {
	m, _ := New(testConfig(), 3)
	var buf bytes.Buffer
	if err := (&Checkpoint{Model: m}).Encode(&buf, true); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	cases := map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("hello, this is not msgpack"),
		"truncated": good[:len(good)/2],
	}
	flipped := append([]byte(nil), good...)
	copy(flipped[bytes.Index(flipped, []byte(checkpointMagic)):], "yprompt")
	cases["bad magic"] = flipped
	for name, data := range cases {
		if _, err := Decode(data); err == nil {
			t.Fatalf("%s: Decode accepted a bad checkpoint", name)
		}
	}
	path := filepath.Join(t.TempDir(), "bad.ckpt")
	os.WriteFile(path, good[:100], 0o644)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "bad.ckpt") {
		t.Fatalf("Load of a truncated file: error %v should name the file", err)
	}
}

func FuzzDecodeCheckpoint(f *testing.F) {
	m, _ := New(testConfig(), 3)
	var buf bytes.Buffer
	(&Checkpoint{Model: m}).Encode(&buf, true)
	f.Add(buf.Bytes())
	f.Add([]byte{0x80})
	f.Add([]byte("\xde\x00\x01\xa5magic\xb2xprompt-checkpoint"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Decode(data)
		if err == nil && c.Model == nil {
			t.Fatal("Decode returned neither a model nor an error")
		}
	})
}

// TestCheckpointWeightAverage: a checkpoint keeps a run's weight average
// through a round trip, UseAverage swaps it in, and a file whose average
// does not match its parameters is refused.
func TestCheckpointWeightAverage(t *testing.T) {
	m, _ := New(testConfig(), 3)
	opt := &OptimState{Steps: 2}
	for _, p := range m.Params.List() {
		opt.M = append(opt.M, core.Zeros(p.Dims()...).SetName(p.Name()))
		opt.V = append(opt.V, core.Zeros(p.Dims()...).SetName(p.Name()))
		opt.EMA = append(opt.EMA, core.Full(0.125, p.Dims()...).SetName(p.Name()))
	}
	var buf bytes.Buffer
	if err := (&Checkpoint{Model: m, Optim: opt}).Encode(&buf, false); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got.Optim == nil || len(got.Optim.EMA) != len(m.Params.List()) {
		t.Fatal("weight average lost in the round trip")
	}
	if w := m.Params.List()[0].Data[0]; w == 0.125 {
		t.Fatal("test weights must differ from the average")
	}
	if err := got.UseAverage(); err != nil {
		t.Fatal(err)
	}
	for _, p := range got.Model.Params.List() {
		for j, v := range p.Data {
			if v != 0.125 {
				t.Fatalf("%s[%d] = %g after UseAverage, want 0.125", p.Name(), j, v)
			}
		}
	}
	if got.Optim != nil {
		t.Fatal("UseAverage kept the optimizer state of the weights it replaced")
	}
	if err := got.UseAverage(); err == nil {
		t.Fatal("UseAverage on a checkpoint without an average succeeded")
	}
	// An average that does not cover every parameter is a malformed file.
	opt.EMA = opt.EMA[:1]
	buf.Reset()
	if err := (&Checkpoint{Model: m, Optim: opt}).Encode(&buf, false); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(buf.Bytes()); err == nil || !strings.Contains(err.Error(), "weight average") {
		t.Fatalf("Decode of a partial weight average: error %v", err)
	}
}
