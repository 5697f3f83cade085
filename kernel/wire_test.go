package kernel

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// The reference signature was computed independently with Python's hmac:
//
//	python3 -c "import hmac,hashlib;print(hmac.new(b'0f1e2d3c-test-key',
//	  b'{\"msg_id\":\"1\",\"msg_type\":\"kernel_info_request\"}'+b'{}'+b'{}'+b'{}',
//	  hashlib.sha256).hexdigest())"
const (
	refHeader    = `{"msg_id":"1","msg_type":"kernel_info_request"}`
	refSignature = "3087159824c33703b7d5d3f13c229ae619c0b411d5383f7317710658d83e677d"
)

func TestSignKnownValue(t *testing.T) {
	s := newSigner(testKey)
	got := s.sign([]byte(refHeader), []byte("{}"), []byte("{}"), []byte("{}"))
	if got != refSignature {
		t.Fatalf("sign = %s, want %s", got, refSignature)
	}
	if err := s.verify([]byte(strings.ToUpper(refSignature)), []byte(refHeader), []byte("{}"), []byte("{}"), []byte("{}")); err != nil {
		t.Errorf("verify of the reference (upper-case hex): %v", err)
	}
	if newSigner("").sign([]byte(refHeader)) != "" {
		t.Errorf("an empty key must give an empty signature")
	}
}

// frames builds [ids…, delimiter, sig, header, parent, metadata, content],
// signed with testKey unless sig is given.
func refFrames(ids []string, sig *string, parts ...string) [][]byte {
	var f [][]byte
	for _, id := range ids {
		f = append(f, []byte(id))
	}
	var b [][]byte
	for _, p := range parts {
		b = append(b, []byte(p))
	}
	signature := newSigner(testKey).sign(b...)
	if sig != nil {
		signature = *sig
	}
	f = append(f, delimiter, []byte(signature))
	return append(f, b...)
}

func TestParseMessage(t *testing.T) {
	ok := []string{refHeader, "{}", "{}", `{"code":"x"}`}
	empty, wrong := "", strings.Repeat("0", 64)
	notHex := strings.Repeat("z", 64)
	small := Limits{MaxFrameBytes: 1024, MaxMessageBytes: 2048, MaxFrames: 10}
	tests := []struct {
		name   string
		frames [][]byte
		lim    Limits
		err    string // "" means valid
	}{
		{"valid", refFrames([]string{"peer"}, nil, ok...), DefaultLimits, ""},
		{"valid with buffers", append(refFrames([]string{"a", "b"}, nil, ok...), []byte("buf")), DefaultLimits, ""},
		{"wrong signature", refFrames(nil, &wrong, ok...), DefaultLimits, "bad signature"},
		{"missing signature", refFrames(nil, &empty, ok...), DefaultLimits, "missing signature"},
		{"non-hex signature", refFrames(nil, &notHex, ok...), DefaultLimits, "not hex"},
		{"no delimiter", refFrames(nil, nil, ok...)[1:], DefaultLimits, "delimiter"},
		{"too few frames", refFrames(nil, nil, ok...)[:5], DefaultLimits, "at least 5"},
		{"empty", nil, DefaultLimits, "delimiter"},
		{"truncated header", refFrames(nil, nil, refHeader[:20], "{}", "{}", "{}"), DefaultLimits, "header is not a JSON object"},
		{"truncated content", refFrames(nil, nil, refHeader, "{}", "{}", `{"code":"x`), DefaultLimits, "content is not a JSON object"},
		{"content not an object", refFrames(nil, nil, refHeader, "{}", "{}", `["x"]`), DefaultLimits, "content is not a JSON object"},
		{"no msg_type", refFrames(nil, nil, `{"msg_id":"1"}`, "{}", "{}", "{}"), DefaultLimits, "no msg_type"},
		{"header field of wrong type", refFrames(nil, nil, `{"msg_type":7}`, "{}", "{}", "{}"), DefaultLimits, "header"},
		{"frame over limit", refFrames(nil, nil, refHeader, "{}", "{}", `{"code":"`+strings.Repeat("x", 1100)+`"}`), small, "limit 1024"},
		{"message over limit", refFrames(nil, nil, refHeader, `{"p":"`+strings.Repeat("x", 1000)+`"}`, `{"m":"`+strings.Repeat("x", 1000)+`"}`, "{}"), small, "limit 2048"},
		{"too many frames", append(refFrames(nil, nil, ok...), make([][]byte, 10)...), small, "frames, limit 10"},
	}
	for _, tc := range tests {
		m, err := parseMessage(tc.frames, newSigner(testKey), tc.lim)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		case tc.err == "" && (m.Header.MsgType != "kernel_info_request" || string(m.Content) != ok[3]):
			t.Errorf("%s: parsed %+v", tc.name, m.Header)
		}
	}
}

func TestParseMessageReplay(t *testing.T) {
	s := newSigner(testKey)
	f := refFrames([]string{"peer"}, nil, refHeader, "{}", "{}", "{}")
	if _, err := parseMessage(f, s, DefaultLimits); err != nil {
		t.Fatal(err)
	}
	if _, err := parseMessage(f, s, DefaultLimits); err == nil || !strings.Contains(err.Error(), "replayed") {
		t.Errorf("a replayed message was accepted: %v", err)
	}
}

func TestParseMessageNoKey(t *testing.T) {
	f := refFrames(nil, new(string), refHeader, "{}", "{}", "{}")
	if _, err := parseMessage(f, newSigner(""), DefaultLimits); err != nil {
		t.Errorf("unsigned message with signing disabled: %v", err)
	}
}

// FuzzParseMessage checks that no input panics the parser.
func FuzzParseMessage(f *testing.F) {
	f.Add([]byte("peer\x00<IDS|MSG>\x00sig\x00{}\x00{}\x00{}\x00{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseMessage(bytes.Split(b, []byte{0}), newSigner(testKey), DefaultLimits)
		parseMessage(bytes.Split(b, []byte{0}), newSigner(""), DefaultLimits)
	})
}

func TestEncodeParseRoundTrip(t *testing.T) {
	s := newSigner(testKey)
	h := newHeader("stream", "sess")
	frames, err := encodeMessage(s, [][]byte{[]byte("topic")}, h, []byte(refHeader), nil, map[string]string{"name": "stdout", "text": "hi"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseMessage(frames, newSigner(testKey), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header != h || string(m.Parent) != refHeader || string(m.Metadata) != "{}" ||
		string(m.Content) != `{"name":"stdout","text":"hi"}` || string(m.Identities[0]) != "topic" {
		t.Errorf("round trip: %+v parent %s content %s", m.Header, m.Parent, m.Content)
	}
}

// zmtpStream is a ZMTP byte stream: a greeting, a READY command and the given
// frames.
func zmtpStream(frames ...[]byte) []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10] = 0xff, 0x7f, 3
	copy(g[12:], "NULL")
	s := append(g, zmtpCommand(readyBody("DEALER"))...)
	for _, f := range frames {
		s = append(s, f...)
	}
	return s
}

func readyBody(sockType string) []byte {
	b := []byte{5}
	b = append(b, "READY"...)
	b = append(b, byte(len("Socket-Type")))
	b = append(b, "Socket-Type"...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(sockType)))
	return append(b, sockType...)
}

func zmtpCommand(body []byte) []byte { return append([]byte{flagCommand, byte(len(body))}, body...) }

// zmtpFrame encodes one message frame, long when long is set.
func zmtpFrame(body []byte, more, long bool) []byte {
	var flags byte
	if more {
		flags |= flagMore
	}
	if long {
		h := binary.BigEndian.AppendUint64([]byte{flags | flagLong}, uint64(len(body)))
		return append(h, body...)
	}
	return append([]byte{flags, byte(len(body))}, body...)
}

func TestFrameScanner(t *testing.T) {
	lim := Limits{MaxFrameBytes: 1024, MaxMessageBytes: 1500, MaxFrames: 8}
	big := bytes.Repeat([]byte("x"), 1000)
	badReady := append([]byte{5}, "READY"...)
	badReady = append(badReady, 11) // a property name length with nothing after it
	tests := []struct {
		name   string
		stream []byte
		err    string
	}{
		{"valid", zmtpStream(zmtpFrame([]byte("a"), true, false), zmtpFrame(big, false, true), zmtpFrame(nil, false, false)), ""},
		{"frames at the limit in two messages", zmtpStream(zmtpFrame(big, false, true), zmtpFrame(big, false, true)), ""},
		{"frame over limit", zmtpStream(zmtpFrame(make([]byte, 1025), false, true)), "frame of 1025 bytes"},
		{"huge declared frame", zmtpStream(binary.BigEndian.AppendUint64([]byte{flagLong}, 1<<62)), "frame of"},
		{"message over limit", zmtpStream(zmtpFrame(big, true, true), zmtpFrame(big, false, true)), "message of more than 1500 bytes"},
		{"too many frames", zmtpStream(bytes.Repeat(zmtpFrame(nil, true, false), 9)), "more than 8 frames"},
		{"reserved flag bits", zmtpStream([]byte{0x80, 0}), "reserved bits"},
		{"not a greeting", append([]byte{0x00}, make([]byte, 80)...), "not a ZMTP greeting"},
		{"old ZMTP version", func() []byte { s := zmtpStream(); s[10] = 2; return s }(), "version 2"},
		{"message before handshake", func() []byte { s := zmtpStream(); return append(s[:64], zmtpFrame([]byte("x"), false, false)...) }(), "not a single command"},
		{"malformed READY", append(zmtpStream()[:64], zmtpCommand(badReady)...), "malformed READY property"},
		{"READY property cut short", append(zmtpStream()[:64], zmtpCommand(append([]byte("\x05READY"), 1, 'a', 0, 0))...), "malformed READY property"},
		{"READY value past the end", append(zmtpStream()[:64], zmtpCommand(append(readyBody("SUB")[:len(readyBody("SUB"))-3], 0, 0))...), "malformed READY property value"},
	}
	for _, tc := range tests {
		// Feed in every chunking from whole to byte by byte: the verdict
		// must not depend on how TCP splits the stream.
		for _, chunk := range []int{len(tc.stream), 7, 1} {
			s := frameScanner{lim: lim, greeting: zmtpGreetingLen}
			var err error
			done := false
			for i := 0; i < len(tc.stream) && err == nil; i += chunk {
				var d bool
				d, err = s.feed(tc.stream[i:min(i+chunk, len(tc.stream))])
				done = done || d
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("%s (chunk %d): %v", tc.name, chunk, err)
			case tc.err == "" && !done:
				t.Errorf("%s (chunk %d): handshake not reported done", tc.name, chunk)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("%s (chunk %d): error %v, want one containing %q", tc.name, chunk, err, tc.err)
			}
		}
	}
}

// FuzzFrameScanner checks that no byte stream panics the scanner and that
// its verdict does not depend on how the stream is split.
func FuzzFrameScanner(f *testing.F) {
	f.Add(zmtpStream(zmtpFrame([]byte("abc"), true, false), zmtpFrame(nil, false, true)), 3)
	f.Fuzz(func(t *testing.T, b []byte, chunk int) {
		lim := Limits{MaxFrameBytes: 1024, MaxMessageBytes: 2048, MaxFrames: 8}
		whole := frameScanner{lim: lim, greeting: zmtpGreetingLen}
		_, errWhole := whole.feed(b)
		chunk = 1 + abs(chunk)%16
		split := frameScanner{lim: lim, greeting: zmtpGreetingLen}
		var errSplit error
		for i := 0; i < len(b) && errSplit == nil; i += chunk {
			_, errSplit = split.feed(b[i:min(i+chunk, len(b))])
		}
		if (errWhole == nil) != (errSplit == nil) {
			t.Errorf("whole: %v; in chunks of %d: %v", errWhole, chunk, errSplit)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
