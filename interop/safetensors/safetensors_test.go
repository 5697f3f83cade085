package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"xprompt/model"
)

func TestRoundTrip(t *testing.T) {
	in := []Tensor{
		{Name: "w", Shape: []int{2, 3}, F32: []float32{1, -2, 3.5, 0, 1e-8, -7}},
		{Name: "ids", Shape: []int{3}, I32: []int32{-1, 0, 1 << 30}},
		{Name: "scalar", Shape: []int{}, F32: []float32{42}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, in, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if n := binary.LittleEndian.Uint64(buf.Bytes()); (8+n)%8 != 0 {
		t.Errorf("data starts at %d, not 8-byte aligned", 8+n)
	}
	f, err := Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range in {
		if got := f.Tensors[want.Name]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read %+v, wrote %+v", want.Name, got, want)
		}
	}
	if f.Metadata["k"] != "v" {
		t.Errorf("metadata %v", f.Metadata)
	}
}

// Malformed files are errors naming the problem, never panics or huge
// allocations.
func TestReadRejects(t *testing.T) {
	file := func(header string, body int) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
		return append(append(b, header...), make([]byte, body)...)
	}
	for _, c := range []struct {
		data []byte
		want string
	}{
		{[]byte{1, 2}, "shorter"},
		{binary.LittleEndian.AppendUint64(nil, 1<<40), "header length"},
		{file("{", 0), "header"},
		{file(`{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, 2), "dtype F16"},
		{file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4), "bytes [0, 4)"},
		{file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 0), "body of 0"},
		{file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), "bad shape"},
		{file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), "overlap"},
	} {
		_, err := Read(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Read(%q…): %v, want an error containing %q", c.data[:min(len(c.data), 40)], err, c.want)
		}
	}
}

// WriteModel writes every parameter and the config, which reads back.
func TestWriteModel(t *testing.T) {
	cfg := model.Presets["tiny"]
	cfg.ImagePos2D = true
	m, err := model.New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteModel(&buf, m); err != nil {
		t.Fatal(err)
	}
	f, err := Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range m.Params.Names() {
		p := m.Params.Get(name)
		got := f.Tensors[name]
		if !reflect.DeepEqual(got.Shape, p.Dims()) || !reflect.DeepEqual(got.F32, p.Data) {
			t.Errorf("%s: shape %v, want %v (or values differ)", name, got.Shape, p.Dims())
		}
	}
	var back model.Config
	if err := json.Unmarshal([]byte(f.Metadata[ConfigKey]), &back); err != nil || !reflect.DeepEqual(back, m.Cfg) {
		t.Errorf("config read back %+v (%v), want %+v", back, err, m.Cfg)
	}
	if len(f.Tensors) != len(m.Params.Names()) {
		t.Errorf("%d tensors for %d parameters", len(f.Tensors), len(m.Params.Names()))
	}
}
