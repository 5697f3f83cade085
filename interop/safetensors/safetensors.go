package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
)

// MaxHeader bounds the JSON header that Read accepts (100 MB, as the
// reference implementation).
const MaxHeader = 100 << 20

// Tensor is one named tensor: F32 values in F32, or I32 values in I32 (the
// other nil). Shape's product is the number of values.
type Tensor struct {
	Name  string
	Shape []int
	F32   []float32
	I32   []int32
}

// dtype returns the tensor's safetensors dtype and its element count.
func (t Tensor) dtype() (string, int) {
	if t.I32 != nil {
		return "I32", len(t.I32)
	}
	return "F32", len(t.F32)
}

type entry struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

// Write writes the tensors, in the order given, with metadata (may be nil)
// as the header's "__metadata__".
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	off := 0
	for _, t := range tensors {
		dt, n := t.dtype()
		size := 1
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("safetensors: tensor %q: negative dimension in %v", t.Name, t.Shape)
			}
			size *= d
		}
		if size != n {
			return fmt.Errorf("safetensors: tensor %q: shape %v holds %d values, have %d", t.Name, t.Shape, size, n)
		}
		if _, dup := header[t.Name]; dup || t.Name == "" || t.Name == "__metadata__" {
			return fmt.Errorf("safetensors: bad or repeated tensor name %q", t.Name)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = entry{DType: dt, Shape: shape, Offsets: [2]int{off, off + 4*n}}
		off += 4 * n
	}
	js, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(js)%8 != 0 { // the data starts 8-byte aligned
		js = append(js, ' ')
	}
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, uint64(len(js)))
	buf.Write(js)
	for _, t := range tensors {
		if t.I32 != nil {
			binary.Write(&buf, binary.LittleEndian, t.I32)
		} else {
			binary.Write(&buf, binary.LittleEndian, t.F32)
		}
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// File is what Read returns: the tensors by name and the metadata.
type File struct {
	Tensors  map[string]Tensor
	Metadata map[string]string
}

// Read parses a whole safetensors file from data.
func Read(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, errors.New("safetensors: file shorter than its 8-byte header length")
	}
	n := binary.LittleEndian.Uint64(data[:8])
	if n > MaxHeader || n > uint64(len(data)-8) {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the file (%d bytes) or %d", n, len(data), MaxHeader)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &raw); err != nil {
		return nil, fmt.Errorf("safetensors: header: %w", err)
	}
	body := data[8+n:]
	f := &File{Tensors: map[string]Tensor{}, Metadata: map[string]string{}}
	type span struct {
		lo, hi int
		name   string
	}
	var spans []span
	for name, js := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(js, &f.Metadata); err != nil {
				return nil, fmt.Errorf("safetensors: metadata: %w", err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(js, &e); err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		if e.DType != "F32" && e.DType != "I32" {
			return nil, fmt.Errorf("safetensors: tensor %q: dtype %s (only F32 and I32 are read)", name, e.DType)
		}
		count := 1
		for _, d := range e.Shape {
			if d < 0 || d > math.MaxInt32 || count > math.MaxInt32/max(d, 1) {
				return nil, fmt.Errorf("safetensors: tensor %q: bad shape %v", name, e.Shape)
			}
			count *= d
		}
		lo, hi := e.Offsets[0], e.Offsets[1]
		if lo < 0 || hi < lo || hi > len(body) || hi-lo != 4*count {
			return nil, fmt.Errorf("safetensors: tensor %q: bytes [%d, %d) for shape %v in a body of %d bytes", name, lo, hi, e.Shape, len(body))
		}
		spans = append(spans, span{lo, hi, name})
		t := Tensor{Name: name, Shape: e.Shape}
		b := body[lo:hi]
		if e.DType == "I32" {
			t.I32 = make([]int32, count)
			for i := range t.I32 {
				t.I32[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
			}
		} else {
			t.F32 = make([]float32, count)
			for i := range t.F32 {
				t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		}
		f.Tensors[name] = t
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	for i := 1; i < len(spans); i++ {
		if spans[i].lo < spans[i-1].hi {
			return nil, fmt.Errorf("safetensors: tensors %q and %q overlap", spans[i-1].name, spans[i].name)
		}
	}
	return f, nil
}
