package model

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/vmihailenco/msgpack/v5"

	"xprompt/atomicfile"
	"xprompt/core"
)

// Checkpoint file format: a msgpack map with a magic string and version,
// the model config, the tokenizers as opaque blobs, named tensors (float32 or
// float16 little-endian bytes), and optional optimizer and training state.
const (
	checkpointMagic   = "xprompt-checkpoint"
	checkpointVersion = 1
	// MaxCheckpointBytes bounds what Load reads (and so allocates).
	MaxCheckpointBytes = 2 << 30
)

// Checkpoint is everything saved with a model.
type Checkpoint struct {
	Model *Model
	// Text and VQ are the tokenizers' own serialisations.
	Text, VQ []byte
	// Optim is the optimizer state, if saved (moments in Params order).
	Optim *OptimState
	// Train is the training loop's own state (opaque here).
	Train []byte
}

// OptimState is AdamW's state: step count and moments per parameter.
type OptimState struct {
	Steps int
	M, V  []*core.Tensor
	// EMA is the exponential moving average of the weights, in Params
	// order, when the run keeps one (train.Options.EMA); nil otherwise.
	EMA []*core.Tensor
}

type tensorRecord struct {
	Name  string    `msgpack:"name"`
	Shape shapeDims `msgpack:"shape"`
	DType string    `msgpack:"dtype"`
	Data  []byte    `msgpack:"data"`
}

// Limits of the decoder: msgpack preallocates up to a million elements for
// an array whose header claims them, so a few crafted bytes could make it
// allocate tens of megabytes per array. The lists of a checkpoint are
// decoded by hand, growing only with what is actually read.
const (
	maxTensors = 1 << 14
	maxDims    = 8
)

// tensorList is a list of tensor records decoded without preallocation.
type tensorList []tensorRecord

// DecodeMsgpack implements msgpack.CustomDecoder.
func (l *tensorList) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n > maxTensors {
		return fmt.Errorf("%d tensors (at most %d)", n, maxTensors)
	}
	var out tensorList
	for range n {
		var r tensorRecord
		if err := d.Decode(&r); err != nil {
			return err
		}
		out = append(out, r)
	}
	*l = out
	return nil
}

// shapeDims is a tensor shape decoded with at most maxDims dimensions.
type shapeDims []int

// DecodeMsgpack implements msgpack.CustomDecoder.
func (s *shapeDims) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n > maxDims {
		return fmt.Errorf("shape of %d dimensions (at most %d)", n, maxDims)
	}
	var out shapeDims
	for range n {
		v, err := d.DecodeInt()
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	*s = out
	return nil
}

type checkpointFile struct {
	Magic   string     `msgpack:"magic"`
	Version int        `msgpack:"version"`
	Config  Config     `msgpack:"config"`
	Text    []byte     `msgpack:"text"`
	VQ      []byte     `msgpack:"vq"`
	Tensors tensorList `msgpack:"tensors"`
	Steps   int        `msgpack:"optim_steps"`
	M       tensorList `msgpack:"optim_m"`
	V       tensorList `msgpack:"optim_v"`
	EMA     tensorList `msgpack:"ema,omitempty"`
	Train   []byte     `msgpack:"train"`
}

func encodeTensor(t *core.Tensor, half bool) tensorRecord {
	r := tensorRecord{Name: t.Name(), Shape: t.Shape(), DType: "f32"}
	if half {
		r.DType = "f16"
		r.Data = make([]byte, 2*t.Len())
		for i, v := range t.HostData() {
			binary.LittleEndian.PutUint16(r.Data[2*i:], core.ToHalf(v))
		}
		return r
	}
	r.Data = make([]byte, 4*t.Len())
	for i, v := range t.HostData() {
		binary.LittleEndian.PutUint32(r.Data[4*i:], math.Float32bits(v))
	}
	return r
}

// decodeTensor checks a record against the expected shape and decodes it.
func decodeTensor(r tensorRecord, want *core.Tensor) (*core.Tensor, error) {
	if !core.EqualShapes(r.Shape, want.Dims()) {
		return nil, fmt.Errorf("tensor %q has shape %v, want %v", r.Name, r.Shape, want.Dims())
	}
	n := want.Len()
	out := core.Zeros(want.Dims()...)
	switch r.DType {
	case "f32":
		if len(r.Data) != 4*n {
			return nil, fmt.Errorf("tensor %q: %d bytes of float32 for %d values", r.Name, len(r.Data), n)
		}
		for i := range out.Data {
			out.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(r.Data[4*i:]))
		}
	case "f16":
		if len(r.Data) != 2*n {
			return nil, fmt.Errorf("tensor %q: %d bytes of float16 for %d values", r.Name, len(r.Data), n)
		}
		for i := range out.Data {
			out.Data[i] = core.FromHalf(binary.LittleEndian.Uint16(r.Data[2*i:]))
		}
	default:
		return nil, fmt.Errorf("tensor %q has unknown dtype %q", r.Name, r.DType)
	}
	for i, v := range out.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("tensor %q holds a non-finite value at index %d", r.Name, i)
		}
	}
	return out.SetName(r.Name), nil
}

// Encode writes the checkpoint; half stores weights as float16 (optimizer
// state is always float32).
func (c *Checkpoint) Encode(w io.Writer, half bool) error {
	f := checkpointFile{Magic: checkpointMagic, Version: checkpointVersion, Config: c.Model.Cfg,
		Text: c.Text, VQ: c.VQ, Train: c.Train}
	for _, p := range c.Model.Params.List() {
		f.Tensors = append(f.Tensors, encodeTensor(p, half))
	}
	if c.Optim != nil {
		f.Steps = c.Optim.Steps
		for i := range c.Optim.M {
			f.M = append(f.M, encodeTensor(c.Optim.M[i], false))
			f.V = append(f.V, encodeTensor(c.Optim.V[i], false))
		}
		for _, t := range c.Optim.EMA {
			f.EMA = append(f.EMA, encodeTensor(t, false))
		}
	}
	enc := msgpack.NewEncoder(w)
	return enc.Encode(&f)
}

// UseAverage replaces the model's weights by the run's moving average of
// them (OptimState.EMA) and drops the optimizer state: what is left is the
// averaged model, for export or evaluation. It fails when the checkpoint
// keeps no average.
func (c *Checkpoint) UseAverage() error {
	if c.Optim == nil || len(c.Optim.EMA) == 0 {
		return fmt.Errorf("the checkpoint keeps no weight average (train with --ema)")
	}
	params := c.Model.Params.List()
	if len(c.Optim.EMA) != len(params) {
		return fmt.Errorf("weight average has %d tensors for %d parameters", len(c.Optim.EMA), len(params))
	}
	avg := core.NewParams()
	for i, p := range params {
		avg.Add(p.Name(), c.Optim.EMA[i])
	}
	// CopyFrom checks every shape and writes wherever the weights live.
	if err := c.Model.Params.CopyFrom(avg); err != nil {
		return fmt.Errorf("weight average: %w", err)
	}
	c.Optim = nil
	return nil
}

// Save writes the checkpoint to path atomically (atomicfile: a unique
// temporary file in the same directory, synced, renamed over path, the
// directory synced): a crash leaves the previous file or the new one.
func (c *Checkpoint) Save(path string, half bool) error {
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return c.Encode(w, half) }); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// Load reads and validates a checkpoint file.
func Load(path string) (*Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load checkpoint: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", path, err)
	}
	if st.Size() > MaxCheckpointBytes {
		return nil, fmt.Errorf("load checkpoint %s: %d bytes is larger than the %d-byte limit", path, st.Size(), MaxCheckpointBytes)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxCheckpointBytes))
	if err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", path, err)
	}
	c, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", path, err)
	}
	return c, nil
}

// Decode parses and validates a checkpoint held in memory. It never panics:
// any malformed input is an error naming the problem.
func Decode(data []byte) (c *Checkpoint, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("malformed checkpoint: %v", r)
		}
	}()
	if len(data) > MaxCheckpointBytes {
		return nil, fmt.Errorf("checkpoint of %d bytes is larger than the %d-byte limit", len(data), MaxCheckpointBytes)
	}
	var f checkpointFile
	dec := msgpack.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a checkpoint (msgpack: %v)", err)
	}
	if f.Magic != checkpointMagic {
		return nil, fmt.Errorf("not an xprompt checkpoint (magic %q)", truncate(f.Magic, 40))
	}
	if f.Version != checkpointVersion {
		return nil, fmt.Errorf("checkpoint version %d is not supported (want %d)", f.Version, checkpointVersion)
	}
	if err := f.Config.Validate(); err != nil {
		return nil, err
	}
	// Bound the model's size by the data actually present before allocating.
	if need := paramCount(f.Config) * 2; need > int64(len(data)) {
		return nil, fmt.Errorf("config describes %d parameters but the file holds only %d bytes", need/2, len(data))
	}
	m, err := New(f.Config, 0)
	if err != nil {
		return nil, err
	}
	params := m.Params.List()
	if len(f.Tensors) != len(params) {
		return nil, fmt.Errorf("checkpoint has %d tensors, the model needs %d", len(f.Tensors), len(params))
	}
	for i, p := range params {
		r := f.Tensors[i]
		if r.Name != p.Name() {
			return nil, fmt.Errorf("tensor %d is %q, want %q", i, truncate(r.Name, 40), p.Name())
		}
		t, err := decodeTensor(r, p)
		if err != nil {
			return nil, err
		}
		copy(p.Data, t.Data)
	}
	c = &Checkpoint{Model: m, Text: f.Text, VQ: f.VQ, Train: f.Train}
	if len(f.M) > 0 || len(f.V) > 0 {
		if len(f.M) != len(params) || len(f.V) != len(params) {
			return nil, fmt.Errorf("optimizer state has %d/%d moments for %d parameters", len(f.M), len(f.V), len(params))
		}
		o := &OptimState{Steps: f.Steps}
		for i, p := range params {
			mt, err := decodeTensor(f.M[i], p)
			if err != nil {
				return nil, fmt.Errorf("optimizer m: %w", err)
			}
			vt, err := decodeTensor(f.V[i], p)
			if err != nil {
				return nil, fmt.Errorf("optimizer v: %w", err)
			}
			o.M, o.V = append(o.M, mt), append(o.V, vt)
		}
		c.Optim = o
	}
	if len(f.EMA) > 0 {
		if c.Optim == nil || len(f.EMA) != len(params) {
			return nil, fmt.Errorf("weight average has %d tensors for %d parameters (and needs the optimizer state)", len(f.EMA), len(params))
		}
		for i, p := range params {
			if f.EMA[i].Name != p.Name() {
				return nil, fmt.Errorf("weight average tensor %d is %q, want %q", i, truncate(f.EMA[i].Name, 40), p.Name())
			}
			t, err := decodeTensor(f.EMA[i], p)
			if err != nil {
				return nil, fmt.Errorf("weight average: %w", err)
			}
			c.Optim.EMA = append(c.Optim.EMA, t)
		}
	}
	return c, nil
}

func paramCount(c Config) int64 {
	d, h := int64(c.D), int64(c.Hidden)
	per := 2*d + 3*d*d + d*d + 2*h*d + d*h
	n := int64(c.Vocab.Size()+max(c.XP, 1))*d + int64(c.Layers)*per + d
	if c.ImagePos2D {
		n += 2 * int64(c.ImageSide+2) * d
	}
	return n
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
