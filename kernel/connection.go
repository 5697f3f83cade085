package kernel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
)

// maxConnectionFileBytes bounds how much of a connection file is read; real
// ones are about 300 bytes.
const maxConnectionFileBytes = 1 << 20

// SchemeHMACSHA256 is the only signature scheme the kernel implements, the one
// every Jupyter client uses.
const SchemeHMACSHA256 = "hmac-sha256"

// ConnectionInfo is the content of a Jupyter connection file: where the five
// sockets listen and how messages are signed.
//
// Transport "tcp" binds ip:port for each socket; port 0 binds a free port,
// which Kernel.Info then reports. Transport "ipc" binds the Unix socket path
// ip-port (port must be positive). An empty Key disables signing, as the
// protocol allows, but New accepts it only with WithInsecure on a loopback
// address or ipc; otherwise SignatureScheme must be "hmac-sha256".
type ConnectionInfo struct {
	Transport       string `json:"transport"`
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	ControlPort     int    `json:"control_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// LoadConnectionFile reads and validates the connection file at path.
func LoadConnectionFile(path string) (ConnectionInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return ConnectionInfo{}, fmt.Errorf("kernel: connection file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConnectionFileBytes+1))
	if err != nil {
		return ConnectionInfo{}, fmt.Errorf("kernel: connection file %s: %w", path, err)
	}
	if len(data) > maxConnectionFileBytes {
		return ConnectionInfo{}, fmt.Errorf("kernel: connection file %s: larger than %d bytes", path, maxConnectionFileBytes)
	}
	ci, err := ParseConnectionInfo(data)
	if err != nil {
		return ConnectionInfo{}, fmt.Errorf("kernel: connection file %s: %w", path, err)
	}
	return ci, nil
}

// ParseConnectionInfo decodes and validates the JSON of a connection file.
// Unknown fields are ignored.
func ParseConnectionInfo(data []byte) (ConnectionInfo, error) {
	var ci ConnectionInfo
	if err := json.Unmarshal(data, &ci); err != nil {
		return ConnectionInfo{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if err := ci.Validate(); err != nil {
		return ConnectionInfo{}, err
	}
	return ci, nil
}

// Validate reports the first problem with ci, or nil.
func (ci ConnectionInfo) Validate() error {
	switch ci.Transport {
	case "tcp":
		if ci.IP == "" {
			return errors.New(`"ip" is empty`)
		}
		if net.ParseIP(ci.IP) == nil && ci.IP != "localhost" && ci.IP != "*" {
			return fmt.Errorf(`"ip" %q is not an IP address`, ci.IP)
		}
	case "ipc":
		if ci.IP == "" {
			return errors.New(`"ip" (the ipc path prefix) is empty`)
		}
	default:
		return fmt.Errorf(`"transport" %q is not "tcp" or "ipc"`, ci.Transport)
	}
	seen := map[int]string{}
	for _, p := range ci.ports() {
		if p.port < 0 || p.port > 65535 {
			return fmt.Errorf("%q %d is out of range [0, 65535]", p.name, p.port)
		}
		if p.port == 0 {
			if ci.Transport == "ipc" {
				return fmt.Errorf("%q must be positive for transport ipc", p.name)
			}
			continue
		}
		if other, dup := seen[p.port]; dup {
			return fmt.Errorf("%q and %q are both %d", other, p.name, p.port)
		}
		seen[p.port] = p.name
	}
	switch {
	case ci.Key == "":
		// Signing disabled; the scheme does not matter.
	case ci.SignatureScheme == SchemeHMACSHA256:
	case ci.SignatureScheme == "":
		return errors.New(`"signature_scheme" is empty but "key" is set`)
	default:
		return fmt.Errorf(`"signature_scheme" %q is not supported (want %q)`, ci.SignatureScheme, SchemeHMACSHA256)
	}
	return nil
}

// checkUnsigned reports why ci, whose key is empty, may not be served:
// unless insecure was asked for and the sockets are local (a loopback
// address or ipc), unsigned messages would let anyone who reaches a port run
// code.
func (ci ConnectionInfo) checkUnsigned(insecure bool) error {
	if !insecure {
		return errors.New(`the connection file's "key" is empty, so messages would not be signed; refusing (allow it on a loopback address with --insecure)`)
	}
	if ci.Transport == "ipc" || ci.IP == "localhost" {
		return nil
	}
	if ip := net.ParseIP(ci.IP); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf(`the connection file's "key" is empty and "ip" %q is not a loopback address: unsigned messages are refused there even with --insecure`, ci.IP)
}

type namedPort struct {
	name string
	port int
}

func (ci ConnectionInfo) ports() []namedPort {
	return []namedPort{
		{"shell_port", ci.ShellPort},
		{"iopub_port", ci.IOPubPort},
		{"stdin_port", ci.StdinPort},
		{"control_port", ci.ControlPort},
		{"hb_port", ci.HBPort},
	}
}

// endpoint returns the zmq4 endpoint for port on the guarded transport (see
// transport.go): "xprompt-tcp://ip:port" or "xprompt-ipc://ip-port".
func (ci ConnectionInfo) endpoint(port int) string {
	if ci.Transport == "ipc" {
		return fmt.Sprintf("%s://%s-%d", guardedIPC, ci.IP, port)
	}
	ip := ci.IP
	if strings.Contains(ip, ":") { // IPv6 literal
		ip = "[" + ip + "]"
	}
	return fmt.Sprintf("%s://%s:%d", guardedTCP, ip, port)
}

// ipcPath returns the Unix socket path of port for transport ipc.
func (ci ConnectionInfo) ipcPath(port int) string {
	return fmt.Sprintf("%s-%d", ci.IP, port)
}
