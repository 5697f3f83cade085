package kernel

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"
)

// ProtocolVersion is the Jupyter messaging protocol version the kernel speaks.
const ProtocolVersion = "5.3"

// delimiter separates the routing identities from the message proper.
var delimiter = []byte("<IDS|MSG>")

// Limits bounds what the kernel accepts from the network. The transport
// enforces them on the ZMTP stream before zmq4 allocates anything (see
// transport.go) and parseMessage checks them again.
type Limits struct {
	MaxFrameBytes   int // largest frame
	MaxMessageBytes int // largest sum of the frames of one message
	MaxFrames       int // most frames in one message
	// MaxPendingBytes bounds the bytes of messages still arriving (not
	// yet authenticated) over all connections; 0 means 2·MaxMessageBytes.
	MaxPendingBytes int
}

// DefaultLimits are generous for notebooks (a 16 MiB code cell or widget
// buffer) and small next to a machine's memory: what unauthenticated peers
// can make the kernel hold is bounded by MaxPendingBytes (32 MiB).
var DefaultLimits = Limits{
	MaxFrameBytes:   16 << 20,
	MaxMessageBytes: 16 << 20,
	MaxFrames:       256,
}

// maxPending returns MaxPendingBytes or its default.
func (l Limits) maxPending() int {
	if l.MaxPendingBytes > 0 {
		return l.MaxPendingBytes
	}
	return 2 * l.MaxMessageBytes
}

func (l Limits) validate() error {
	if l.MaxFrameBytes < 1024 || l.MaxMessageBytes < l.MaxFrameBytes || l.MaxFrames < 8 || (l.MaxPendingBytes != 0 && l.MaxPendingBytes < l.MaxMessageBytes) {
		return fmt.Errorf("kernel: bad limits %+v (want MaxFrameBytes ≥ 1024, MaxMessageBytes ≥ MaxFrameBytes, MaxFrames ≥ 8)", l)
	}
	return nil
}

// header is a message header. Version is always ProtocolVersion on messages
// the kernel sends.
type header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// message is one Jupyter message as received. The four JSON parts are kept
// as the exact bytes that were signed: RawHeader becomes the parent header of
// every reply and IOPub message caused by this request, unchanged.
type message struct {
	Identities [][]byte
	Header     header
	RawHeader  json.RawMessage
	Parent     json.RawMessage
	Metadata   json.RawMessage
	Content    json.RawMessage
	Buffers    [][]byte
}

// signer computes and checks HMAC-SHA256 signatures, and remembers recent
// signatures to refuse replayed messages (as jupyter_client does). A nil key
// disables signing: signatures are empty and not checked.
type signer struct {
	key []byte

	mu   sync.Mutex
	mac  hash.Hash
	seen map[string]struct{}
	ring []string // insertion order of seen, for eviction
	next int
}

// replayWindow is how many recent signatures are remembered.
const replayWindow = 4096

func newSigner(key string) *signer {
	s := &signer{}
	if key != "" {
		s.key = []byte(key)
		s.mac = hmac.New(sha256.New, s.key)
		s.seen = make(map[string]struct{}, replayWindow)
		s.ring = make([]string, replayWindow)
	}
	return s
}

// sign returns the lowercase hex HMAC-SHA256 of the concatenated parts, or
// "" when signing is disabled.
func (s *signer) sign(parts ...[]byte) string {
	if s.key == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return hex.EncodeToString(s.sumLocked(parts))
}

func (s *signer) sumLocked(parts [][]byte) []byte {
	s.mac.Reset()
	for _, p := range parts {
		s.mac.Write(p)
	}
	return s.mac.Sum(nil)
}

// verify checks sig (hex) against the parts in constant time and refuses a
// signature already seen.
func (s *signer) verify(sig []byte, parts ...[]byte) error {
	if s.key == nil {
		return nil
	}
	if len(sig) == 0 {
		return errors.New("missing signature")
	}
	got := make([]byte, hex.DecodedLen(len(sig)))
	if _, err := hex.Decode(got, sig); err != nil {
		return errors.New("signature is not hex")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !hmac.Equal(got, s.sumLocked(parts)) {
		return errors.New("bad signature")
	}
	key := string(got)
	if _, dup := s.seen[key]; dup {
		return errors.New("replayed signature")
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.seen, old)
	}
	s.ring[s.next] = key
	s.next = (s.next + 1) % len(s.ring)
	s.seen[key] = struct{}{}
	return nil
}

// parseMessage splits frames at the delimiter, checks sizes, the signature
// and that the four JSON parts are JSON objects, and decodes the header. It
// never panics on any input.
func parseMessage(frames [][]byte, s *signer, lim Limits) (*message, error) {
	if len(frames) > lim.MaxFrames {
		return nil, fmt.Errorf("%d frames, limit %d", len(frames), lim.MaxFrames)
	}
	total := 0
	for i, f := range frames {
		if len(f) > lim.MaxFrameBytes {
			return nil, fmt.Errorf("frame %d has %d bytes, limit %d", i, len(f), lim.MaxFrameBytes)
		}
		total += len(f)
	}
	if total > lim.MaxMessageBytes {
		return nil, fmt.Errorf("message has %d bytes, limit %d", total, lim.MaxMessageBytes)
	}
	d := -1
	for i, f := range frames {
		if bytes.Equal(f, delimiter) {
			d = i
			break
		}
	}
	if d < 0 {
		return nil, errors.New("no <IDS|MSG> delimiter")
	}
	rest := frames[d+1:]
	if len(rest) < 5 {
		return nil, fmt.Errorf("%d frames after the delimiter, want at least 5", len(rest))
	}
	sig, hdr, parent, meta, content := rest[0], rest[1], rest[2], rest[3], rest[4]
	if err := s.verify(sig, hdr, parent, meta, content); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		name string
		b    []byte
	}{{"header", hdr}, {"parent_header", parent}, {"metadata", meta}, {"content", content}} {
		if !isJSONObject(p.b) {
			return nil, fmt.Errorf("%s is not a JSON object", p.name)
		}
	}
	m := &message{
		Identities: frames[:d],
		RawHeader:  hdr,
		Parent:     parent,
		Metadata:   meta,
		Content:    content,
		Buffers:    rest[5:],
	}
	if err := json.Unmarshal(hdr, &m.Header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if m.Header.MsgType == "" {
		return nil, errors.New("header has no msg_type")
	}
	return m, nil
}

// isJSONObject reports whether b is valid JSON whose value is an object.
func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// encodeMessage returns the frames of a message: identities, delimiter,
// signature, header, parent (nil means {}), metadata, content. metadata and
// content are marshalled with encoding/json; nil becomes {}.
func encodeMessage(s *signer, ids [][]byte, h header, parent json.RawMessage, metadata, content any) ([][]byte, error) {
	hdr, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if len(parent) == 0 {
		parent = json.RawMessage("{}")
	}
	meta, err := marshalObject(metadata)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", h.MsgType, err)
	}
	body, err := marshalObject(content)
	if err != nil {
		return nil, fmt.Errorf("content of %s: %w", h.MsgType, err)
	}
	frames := make([][]byte, 0, len(ids)+6)
	frames = append(frames, ids...)
	frames = append(frames, delimiter, []byte(s.sign(hdr, parent, meta, body)), hdr, parent, meta, body)
	return frames, nil
}

func marshalObject(v any) ([]byte, error) {
	if v == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(v)
}

// newHeader returns a header for a message the kernel sends.
func newHeader(msgType, session string) header {
	return header{
		MsgID:    newID(),
		Session:  session,
		Username: "kernel",
		Date:     time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
		MsgType:  msgType,
		Version:  ProtocolVersion,
	}
}

// newID returns a random UUID (version 4) string.
func newID() string {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		panic("kernel.newID: crypto/rand failed: " + err.Error())
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}
