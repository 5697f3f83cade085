package vq

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"xprompt/core"
)

// tinyConfig is a model small enough that its file is a few kilobytes.
var tinyConfig = Config{Resolution: 8, Downsample: 2, Channels: 4, ResBlocks: 1, NormGroups: 2, Codes: 8, CodeDim: 4, Normalize: true}

func saved(t testing.TB, m *Model, half bool) []byte {
	t.Helper()
	var b bytes.Buffer
	save := m.Save
	if half {
		save = m.SaveFloat16
	}
	if err := save(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m := New(tinyConfig, 7)
	m.Steps = 123
	blob := saved(t, m, false)
	got, err := Load(bytes.NewReader(blob))
	if err != nil {
		t.Fatal(err)
	}
	if got.Config != m.Config || got.Steps != 123 {
		t.Fatalf("loaded config %+v steps %d, want %+v steps 123", got.Config, got.Steps, m.Config)
	}
	names := m.Params.Names()
	if g := got.Params.Names(); strings.Join(g, ",") != strings.Join(names, ",") {
		t.Fatalf("loaded parameters %v, want %v", g, names)
	}
	for _, n := range names {
		a, b := m.Params.Get(n).Data, got.Params.Get(n).Data
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s[%d] = %g after round trip, want %g", n, i, b[i], a[i])
			}
		}
	}
	if !bytes.Equal(saved(t, got, false), blob) {
		t.Fatal("saving the loaded model gives different bytes")
	}
	if got.Codebook().RequiresGrad() {
		t.Fatal("loaded codebook requires a gradient; it is updated by moving averages")
	}

	// float16: every value is the nearest half, and a second round trip is exact.
	half := saved(t, m, true)
	if len(half) >= len(blob)*3/4 {
		t.Fatalf("float16 file is %d bytes, float32 %d: want about half", len(half), len(blob))
	}
	h, err := Load(bytes.NewReader(half))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		for i, v := range m.Params.Get(n).Data {
			if want := core.FromHalf(core.ToHalf(v)); h.Params.Get(n).Data[i] != want {
				t.Fatalf("f16 %s[%d] = %g, want %g", n, i, h.Params.Get(n).Data[i], want)
			}
		}
	}
	if !bytes.Equal(saved(t, h, true), half) {
		t.Fatal("float16 save of a float16-loaded model differs")
	}
}

func TestLoadRejectsTruncated(t *testing.T) {
	blob := saved(t, New(tinyConfig, 1), false)
	for n := 0; n < len(blob); n++ {
		if n > 600 && n%13 != 0 && n < len(blob)-100 {
			continue // every header prefix, the last 100, and a sample of the tensor data
		}
		if _, err := Load(bytes.NewReader(blob[:n])); err == nil {
			t.Fatalf("a file truncated to %d of %d bytes loaded without error", n, len(blob))
		}
	}
	_, err := Load(bytes.NewReader(blob[:len(blob)-10]))
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated file: error %v, want one saying it is truncated", err)
	}
	if _, err := Load(bytes.NewReader(append(append([]byte(nil), blob...), 0))); err == nil || !strings.Contains(err.Error(), "unexpected bytes") {
		t.Fatalf("trailing byte: error %v, want one about unexpected bytes", err)
	}
}

func TestLoadRejectsCorrupted(t *testing.T) {
	blob := saved(t, New(tinyConfig, 1), false)
	// Every single-byte corruption either loads a valid model or fails with an
	// error; none panics. All header bytes are tried, then a sample of the rest
	// (mostly tensor data, where any bytes but NaN and Inf are valid).
	for i := 0; i < len(blob); i++ {
		if i > 400 && i%97 != 0 {
			continue
		}
		for _, x := range []byte{0xff, 0x01, 0x80} {
			c := append([]byte(nil), blob...)
			c[i] ^= x
			if m, err := Load(bytes.NewReader(c)); err == nil {
				if err := m.Config.Validate(); err != nil {
					t.Fatalf("byte %d^%#x: loaded an invalid config: %v", i, x, err)
				}
			}
		}
	}
}

// craft writes a file by hand so that each field can be made wrong.
type craft struct {
	magic       string
	version     int
	config      map[string]any
	count       int
	patchTensor func(i int, name, dtype *string, shape *[]int, data *[]byte) // may change tensor i
	rawTensor0  []byte                                                       // replaces tensor 0 when set
}

func (c craft) bytes(t *testing.T) []byte {
	t.Helper()
	m := New(tinyConfig, 1)
	var b bytes.Buffer
	enc := msgpack.NewEncoder(&b)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(enc.EncodeString(c.magic))
	must(enc.EncodeInt(int64(c.version)))
	must(enc.EncodeMapLen(len(c.config)))
	for _, f := range append(append([]string(nil), configFields...), "extra") {
		if v, ok := c.config[f]; ok {
			must(enc.EncodeString(f))
			must(enc.Encode(v))
		}
	}
	must(enc.EncodeInt(0))
	must(enc.EncodeInt(int64(c.count)))
	for i, n := range m.Params.Names() {
		if i == 0 && c.rawTensor0 != nil {
			b.Write(c.rawTensor0)
			continue
		}
		p := m.Params.Get(n)
		name, dtype, shape, data := n, "f32", p.Shape(), encodeF32(p.Data)
		if c.patchTensor != nil {
			c.patchTensor(i, &name, &dtype, &shape, &data)
		}
		must(enc.EncodeArrayLen(4))
		must(enc.EncodeString(name))
		must(enc.EncodeString(dtype))
		must(enc.Encode(shape))
		must(enc.EncodeBytes(data))
	}
	return b.Bytes()
}

func goodCraft() craft {
	cfg := map[string]any{}
	for _, f := range configFields {
		if p := tinyConfig.intField(f); p != nil {
			cfg[f] = *p
		} else {
			cfg[f] = tinyConfig.Normalize
		}
	}
	return craft{magic: fileMagic, version: FormatVersion, config: cfg, count: len(paramShapes(tinyConfig))}
}

func TestLoadRejectsBadFields(t *testing.T) {
	if _, err := Load(bytes.NewReader(goodCraft().bytes(t))); err != nil {
		t.Fatalf("the hand-written reference file does not load: %v", err)
	}
	// A binary header declaring 2³¹ bytes with almost nothing behind it.
	huge := new(bytes.Buffer)
	enc := msgpack.NewEncoder(huge)
	_ = enc.EncodeArrayLen(4)
	_ = enc.EncodeString("enc.stem.w")
	_ = enc.EncodeString("f32")
	_ = enc.Encode([]int{4, 3, 3, 3})
	huge.WriteByte(0xc6) // bin32
	_ = binary.Write(huge, binary.BigEndian, uint32(1<<31))
	cases := []struct {
		name   string
		modify func(c *craft)
		want   string
	}{
		{"magic", func(c *craft) { c.magic = "xprompt-lm" }, "not a tokenizer file"},
		{"version", func(c *craft) { c.version = 99 }, "version 99"},
		{"missing field", func(c *craft) { delete(c.config, "codes") }, `"codes" is missing`},
		{"unknown field", func(c *craft) { c.config["extra"] = 1 }, "entries"},
		{"invalid config", func(c *craft) { c.config["downsample"] = 3 }, "downsample 3"},
		{"oversized config", func(c *craft) { c.config["channels"] = 512; c.config["res_blocks"] = 8 }, "bytes remain"},
		{"count", func(c *craft) { c.count-- }, "tensors; the config defines"},
		{"unknown tensor", func(c *craft) {
			c.patchTensor = func(i int, name, _ *string, _ *[]int, _ *[]byte) {
				if i == 2 {
					*name = "enc.mystery"
				}
			}
		}, `unknown parameter "enc.mystery"`},
		{"duplicate tensor", func(c *craft) {
			c.patchTensor = func(i int, name, _ *string, _ *[]int, _ *[]byte) {
				if i == 3 { // enc.down0.b, shape [8], named as a later [8] tensor
					*name = "enc.res1.0.norm1.w"
				}
			}
		}, "appears twice"},
		{"shape", func(c *craft) {
			c.patchTensor = func(i int, _, _ *string, shape *[]int, _ *[]byte) {
				if i == 0 {
					*shape = []int{4, 3, 3, 2}
				}
			}
		}, "shape [4 3 3 2], want [4 3 3 3]"},
		{"dtype", func(c *craft) {
			c.patchTensor = func(i int, _, dtype *string, _ *[]int, _ *[]byte) {
				if i == 0 {
					*dtype = "f64"
				}
			}
		}, `dtype "f64"`},
		{"data length", func(c *craft) {
			c.patchTensor = func(i int, _, _ *string, _ *[]int, data *[]byte) {
				if i == 1 {
					*data = (*data)[:len(*data)-4]
				}
			}
		}, "bytes, want"},
		{"NaN", func(c *craft) {
			c.patchTensor = func(i int, _, _ *string, _ *[]int, data *[]byte) {
				if i == 0 {
					binary.LittleEndian.PutUint32(*data, math.Float32bits(float32(math.NaN())))
				}
			}
		}, "value 0 is NaN"},
		{"huge declared length", func(c *craft) { c.rawTensor0 = huge.Bytes() }, "bytes"},
	}
	for _, tc := range cases {
		c := goodCraft()
		tc.modify(&c)
		_, err := Load(bytes.NewReader(c.bytes(t)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func FuzzLoad(f *testing.F) {
	m := New(tinyConfig, 1)
	f.Add(saved(f, m, false))
	f.Add(saved(f, m, true))
	f.Add([]byte{})
	f.Add([]byte("\xaaxprompt-vq\x01\x80"))
	f.Fuzz(func(t *testing.T, blob []byte) {
		m, err := Load(bytes.NewReader(blob))
		if err != nil {
			return
		}
		// Anything that loads must save and load back to the same values.
		again, err := Load(bytes.NewReader(saved(t, m, false)))
		if err != nil {
			t.Fatalf("a loaded model does not round-trip: %v", err)
		}
		if again.Config != m.Config {
			t.Fatalf("config changed in a round trip: %+v vs %+v", again.Config, m.Config)
		}
	})
}
