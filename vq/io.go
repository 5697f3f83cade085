package vq

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/vmihailenco/msgpack/v5"

	"xprompt/core"
)

// The file format is a msgpack stream of values, in order:
//
//	magic    string  "xprompt-vq"
//	version  int     FormatVersion
//	config   map     field name → int or bool (every Config field, no others)
//	steps    int     training steps taken
//	count    int     number of tensors (every parameter of the config, once)
//	tensors  count × [name string, dtype "f32"|"f16", shape []int, data bin]
//
// Tensor data is little-endian, row-major. Nothing may follow the tensors.
const (
	fileMagic = "xprompt-vq"
	// FormatVersion is the version of the file format this build writes and reads.
	FormatVersion = 1

	maxFileBytes = 256 << 20 // the largest file Load reads
	maxNameLen   = 128
	maxRank      = 8
)

// configFields lists the Config fields as they are named in a file.
var configFields = []string{"resolution", "downsample", "channels", "res_blocks", "full_res_blocks", "norm_groups", "codes", "code_dim", "normalize"}

func (c *Config) intField(name string) *int {
	switch name {
	case "resolution":
		return &c.Resolution
	case "downsample":
		return &c.Downsample
	case "channels":
		return &c.Channels
	case "res_blocks":
		return &c.ResBlocks
	case "full_res_blocks":
		return &c.FullResBlocks
	case "norm_groups":
		return &c.NormGroups
	case "codes":
		return &c.Codes
	case "code_dim":
		return &c.CodeDim
	}
	return nil
}

// Save writes the model with float32 tensors: Load(Save(m)) reproduces m exactly.
func (m *Model) Save(w io.Writer) error { return m.save(w, false) }

// SaveFloat16 writes the model with float16 tensors (half the size; values
// rounded to nearest even).
func (m *Model) SaveFloat16(w io.Writer) error { return m.save(w, true) }

func (m *Model) save(w io.Writer, half bool) error {
	enc := msgpack.NewEncoder(w)
	var err error
	try := func(e error) { // keep the first error; later writes fail the same way
		if err == nil {
			err = e
		}
	}
	try(enc.EncodeString(fileMagic))
	try(enc.EncodeInt(FormatVersion))
	try(enc.EncodeMapLen(len(configFields)))
	cfg := m.Config
	for _, f := range configFields {
		try(enc.EncodeString(f))
		if p := cfg.intField(f); p != nil {
			try(enc.EncodeInt(int64(*p)))
		} else {
			try(enc.EncodeBool(cfg.Normalize))
		}
	}
	try(enc.EncodeInt(int64(m.Steps)))
	names := m.Params.Names()
	try(enc.EncodeInt(int64(len(names))))
	for _, n := range names {
		if err != nil {
			break
		}
		t := m.Params.Get(n)
		dtype, data := "f32", encodeF32(t.Data)
		if half {
			dtype, data = "f16", encodeF16(t.Data)
		}
		try(enc.EncodeArrayLen(4))
		try(enc.EncodeString(n))
		try(enc.EncodeString(dtype))
		try(enc.EncodeArrayLen(t.Rank()))
		for _, d := range t.Dims() {
			try(enc.EncodeInt(int64(d)))
		}
		try(enc.EncodeBytes(data))
	}
	if err != nil {
		return fmt.Errorf("vq: saving: %w", err)
	}
	return nil
}

func encodeF32(xs []float32) []byte {
	out := make([]byte, 4*len(xs))
	for i, v := range xs {
		b := math.Float32bits(v)
		out[4*i], out[4*i+1], out[4*i+2], out[4*i+3] = byte(b), byte(b>>8), byte(b>>16), byte(b>>24)
	}
	return out
}

func encodeF16(xs []float32) []byte {
	out := make([]byte, 2*len(xs))
	for i, v := range xs {
		h := core.ToHalf(v)
		out[2*i], out[2*i+1] = byte(h), byte(h>>8)
	}
	return out
}

// reader decodes values from an in-memory file, checking every declared
// length against the bytes that remain before allocating for it.
type reader struct {
	br  *bytes.Reader
	dec *msgpack.Decoder
}

func (r *reader) fail(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: file is truncated", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (r *reader) int(what string) (int64, error) {
	v, err := r.dec.DecodeInt64()
	if err != nil {
		return 0, r.fail(what, err)
	}
	return v, nil
}

// bin reads a string or binary value of at most maxLen bytes (exactly want
// bytes when want ≥ 0).
func (r *reader) bin(what string, maxLen, want int) ([]byte, error) {
	n, err := r.dec.DecodeBytesLen()
	if err != nil {
		return nil, r.fail(what, err)
	}
	switch {
	case n < 0:
		return nil, fmt.Errorf("%s: nil where a value is required", what)
	case want >= 0 && n != want:
		return nil, fmt.Errorf("%s: %d bytes, want %d", what, n, want)
	case n > maxLen:
		return nil, fmt.Errorf("%s: %d bytes, more than the limit %d", what, n, maxLen)
	case n > r.br.Len():
		return nil, fmt.Errorf("%s: declares %d bytes but only %d remain: file is truncated", what, n, r.br.Len())
	}
	b := make([]byte, n)
	if err := r.dec.ReadFull(b); err != nil {
		return nil, r.fail(what, err)
	}
	return b, nil
}

func (r *reader) str(what string, maxLen int) (string, error) {
	b, err := r.bin(what, maxLen, -1)
	return string(b), err
}

// arrayLen reads an array or map header of at most maxLen entries, each of
// which needs at least one byte of the remaining input.
func (r *reader) arrayLen(what string, maxLen int, isMap bool) (int, error) {
	var n int
	var err error
	if isMap {
		n, err = r.dec.DecodeMapLen()
	} else {
		n, err = r.dec.DecodeArrayLen()
	}
	if err != nil {
		return 0, r.fail(what, err)
	}
	if n < 0 || n > maxLen || n > r.br.Len() {
		return 0, fmt.Errorf("%s: %d entries (at most %d, and %d bytes remain)", what, n, maxLen, r.br.Len())
	}
	return n, nil
}

// Load reads a model written by Save or SaveFloat16. It validates the magic,
// the version, the config, and every tensor's name, type, shape and values
// (finite) against the parameters the config defines, and returns an error
// naming the first problem; it never panics on bad input and allocates no
// more than a small multiple of the input's size.
func Load(r io.Reader) (*Model, error) {
	buf, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("vq: reading model: %w", err)
	}
	if len(buf) > maxFileBytes {
		return nil, fmt.Errorf("vq: model file larger than %d bytes", maxFileBytes)
	}
	m, err := decodeModel(buf)
	if err != nil {
		return nil, fmt.Errorf("vq: bad model file: %w", err)
	}
	return m, nil
}

func decodeModel(buf []byte) (*Model, error) {
	br := bytes.NewReader(buf)
	r := &reader{br: br, dec: msgpack.NewDecoder(br)}
	magic, err := r.str("magic", 64)
	if err != nil {
		return nil, fmt.Errorf("%w: not a tokenizer file", err)
	}
	if magic != fileMagic {
		return nil, fmt.Errorf("magic %q, want %q: not a tokenizer file", magic, fileMagic)
	}
	version, err := r.int("version")
	if err != nil {
		return nil, err
	}
	if version != FormatVersion {
		return nil, fmt.Errorf("format version %d; this build reads version %d", version, FormatVersion)
	}
	cfg, err := decodeConfig(r)
	if err != nil {
		return nil, err
	}
	steps, err := r.int("steps")
	if err != nil {
		return nil, err
	}
	if steps < 0 || steps > math.MaxInt32 {
		return nil, fmt.Errorf("steps %d out of range", steps)
	}
	// Check that the parameters fit in the input before allocating any.
	want := paramShapes(cfg)
	total := 0
	for _, s := range want {
		total += numel(s.shape)
	}
	if 2*total > br.Len() {
		return nil, fmt.Errorf("the config needs %d parameters but only %d bytes remain: file is truncated or the config is wrong", total, br.Len())
	}
	count, err := r.int("tensor count")
	if err != nil {
		return nil, err
	}
	if count != int64(len(want)) {
		return nil, fmt.Errorf("%d tensors; the config defines %d", count, len(want))
	}
	byName := map[string][]int{}
	for _, s := range want {
		byName[s.name] = s.shape
	}
	values := map[string][]float32{}
	for i := 0; i < len(want); i++ {
		name, data, err := decodeTensor(r, i, byName)
		if err != nil {
			return nil, err
		}
		if _, dup := values[name]; dup {
			return nil, fmt.Errorf("tensor %q appears twice", name)
		}
		values[name] = data
	}
	if br.Len() != 0 {
		return nil, fmt.Errorf("%d unexpected bytes after the tensors", br.Len())
	}
	m := New(cfg, 0)
	for name, data := range values {
		copy(m.Params.Get(name).Data, data)
	}
	m.Steps = int(steps)
	return m, nil
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func decodeConfig(r *reader) (Config, error) {
	var cfg Config
	n, err := r.arrayLen("config", len(configFields), true)
	if err != nil {
		return cfg, err
	}
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		key, err := r.str("config key", 32)
		if err != nil {
			return cfg, err
		}
		if seen[key] {
			return cfg, fmt.Errorf("config field %q appears twice", key)
		}
		seen[key] = true
		if p := cfg.intField(key); p != nil {
			v, err := r.int("config " + key)
			if err != nil {
				return cfg, err
			}
			if v < math.MinInt32 || v > math.MaxInt32 {
				return cfg, fmt.Errorf("config %s = %d out of range", key, v)
			}
			*p = int(v)
		} else if key == "normalize" {
			if cfg.Normalize, err = r.dec.DecodeBool(); err != nil {
				return cfg, r.fail("config normalize", err)
			}
		} else {
			return cfg, fmt.Errorf("unknown config field %q", key)
		}
	}
	for _, f := range configFields {
		if !seen[f] {
			return cfg, fmt.Errorf("config field %q is missing", f)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// decodeTensor reads tensor i, checks it against the expected shapes and
// returns its name and values.
func decodeTensor(r *reader, i int, shapes map[string][]int) (string, []float32, error) {
	what := fmt.Sprintf("tensor %d", i)
	n, err := r.arrayLen(what, 4, false)
	if err != nil {
		return "", nil, err
	}
	if n != 4 {
		return "", nil, fmt.Errorf("%s: %d fields, want 4 (name, dtype, shape, data)", what, n)
	}
	name, err := r.str(what+" name", maxNameLen)
	if err != nil {
		return "", nil, err
	}
	want, ok := shapes[name]
	if !ok {
		return "", nil, fmt.Errorf("%s: unknown parameter %q", what, name)
	}
	what = fmt.Sprintf("tensor %q", name)
	dtype, err := r.str(what+" dtype", 8)
	if err != nil {
		return "", nil, err
	}
	size := map[string]int{"f32": 4, "f16": 2}[dtype]
	if size == 0 {
		return "", nil, fmt.Errorf("%s: dtype %q, want f32 or f16", what, dtype)
	}
	rank, err := r.arrayLen(what+" shape", maxRank, false)
	if err != nil {
		return "", nil, err
	}
	shape := make([]int, rank)
	for j := range shape {
		d, err := r.int(what + " shape")
		if err != nil {
			return "", nil, err
		}
		if d < 0 || d > math.MaxInt32 {
			return "", nil, fmt.Errorf("%s: dimension %d out of range", what, d)
		}
		shape[j] = int(d)
	}
	if !core.EqualShapes(shape, want) {
		return "", nil, fmt.Errorf("%s: shape %v, want %v", what, shape, want)
	}
	count := numel(want)
	raw, err := r.bin(what+" data", count*size, count*size)
	if err != nil {
		return "", nil, err
	}
	data := make([]float32, count)
	for j := range data {
		if size == 4 {
			data[j] = math.Float32frombits(uint32(raw[4*j]) | uint32(raw[4*j+1])<<8 | uint32(raw[4*j+2])<<16 | uint32(raw[4*j+3])<<24)
		} else {
			data[j] = core.FromHalf(uint16(raw[2*j]) | uint16(raw[2*j+1])<<8)
		}
		if math.IsNaN(float64(data[j])) || math.IsInf(float64(data[j]), 0) {
			return "", nil, fmt.Errorf("%s: value %d is %g", what, j, data[j])
		}
	}
	return name, data, nil
}
