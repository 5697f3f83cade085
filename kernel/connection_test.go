package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConnectionInfo(t *testing.T) {
	const good = `{"shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004,
		"hb_port": 5005, "ip": "127.0.0.1", "key": "k", "transport": "tcp",
		"signature_scheme": "hmac-sha256", "kernel_name": "xprompt", "extra": true}`
	ci, err := ParseConnectionInfo([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: 5001, IOPubPort: 5002, StdinPort: 5003,
		ControlPort: 5004, HBPort: 5005, Key: "k", SignatureScheme: "hmac-sha256", KernelName: "xprompt"}
	if ci != want {
		t.Errorf("parsed %+v\nwant   %+v", ci, want)
	}
	if ep := ci.endpoint(ci.ShellPort); ep != "xprompt-tcp://127.0.0.1:5001" {
		t.Errorf("endpoint %s", ep)
	}
	v6 := want
	v6.IP = "::1"
	if ep := v6.endpoint(5001); ep != "xprompt-tcp://[::1]:5001" {
		t.Errorf("IPv6 endpoint %s", ep)
	}
	ipc := want
	ipc.Transport, ipc.IP = "ipc", "/tmp/kernel-x"
	if ep := ipc.endpoint(5003); ep != "xprompt-ipc:///tmp/kernel-x-5003" {
		t.Errorf("ipc endpoint %s", ep)
	}

	for _, tc := range []struct {
		name string
		edit func(*ConnectionInfo)
		err  string
	}{
		{"udp", func(c *ConnectionInfo) { c.Transport = "udp" }, `"transport" "udp"`},
		{"no ip", func(c *ConnectionInfo) { c.IP = "" }, `"ip" is empty`},
		{"bad ip", func(c *ConnectionInfo) { c.IP = "300.1.1.1" }, "not an IP address"},
		{"port range", func(c *ConnectionInfo) { c.HBPort = 70000 }, `"hb_port" 70000 is out of range`},
		{"negative port", func(c *ConnectionInfo) { c.StdinPort = -1 }, `"stdin_port" -1`},
		{"duplicate ports", func(c *ConnectionInfo) { c.ControlPort = c.ShellPort }, `"shell_port" and "control_port" are both 5001`},
		{"scheme", func(c *ConnectionInfo) { c.SignatureScheme = "hmac-md5" }, `"hmac-md5" is not supported`},
		{"no scheme", func(c *ConnectionInfo) { c.SignatureScheme = "" }, `"signature_scheme" is empty`},
		{"ipc port 0", func(c *ConnectionInfo) { c.Transport, c.IP, c.HBPort = "ipc", "/tmp/k", 0 }, "must be positive"},
		{"no key, any scheme", func(c *ConnectionInfo) { c.Key, c.SignatureScheme = "", "" }, ""},
		{"ports 0 on tcp", func(c *ConnectionInfo) { c.ShellPort, c.IOPubPort = 0, 0 }, ""},
	} {
		c := want
		tc.edit(&c)
		err := c.Validate()
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %v, want error containing %q", tc.name, err, tc.err)
		}
	}
	if _, err := ParseConnectionInfo([]byte(`{"shell_port": "x"}`)); err == nil || !strings.Contains(err.Error(), "invalid JSON") {
		t.Errorf("string port: %v", err)
	}
	if _, err := ParseConnectionInfo([]byte(good[:40])); err == nil {
		t.Errorf("truncated file accepted")
	}
}

func TestLoadConnectionFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kernel-1.json")
	os.WriteFile(path, []byte(`{"transport":"tcp","ip":"127.0.0.1","key":"","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5}`), 0o600)
	if ci, err := LoadConnectionFile(path); err != nil || ci.HBPort != 5 {
		t.Errorf("LoadConnectionFile: %+v, %v", ci, err)
	}
	missing := filepath.Join(dir, "missing.json")
	if _, err := LoadConnectionFile(missing); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"transport":"tcp"}`), 0o600)
	if _, err := LoadConnectionFile(bad); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("invalid file: %v", err)
	}
}

// TestEmptyKeyRefused: an empty key (signing off) is refused unless
// WithInsecure is given and the sockets are on loopback or ipc; when allowed,
// the log says so.
func TestEmptyKeyRefused(t *testing.T) {
	for _, tc := range []struct {
		ip       string
		insecure bool
		ok       bool
	}{
		{"127.0.0.1", false, false},
		{"0.0.0.0", false, false},
		{"0.0.0.0", true, false},
		{"*", true, false},
		{"::", true, false},
		{"127.0.0.1", true, true},
		{"::1", true, true},
	} {
		cfg := ConnectionInfo{Transport: "tcp", IP: tc.ip}
		var log syncBuffer
		opts := []Option{WithLog(&log)}
		if tc.insecure {
			opts = append(opts, WithInsecure())
		}
		k, err := New(cfg, newFake(), opts...)
		if (err == nil) != tc.ok {
			t.Errorf("ip %s insecure %v: error %v, want ok=%v", tc.ip, tc.insecure, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), `"key" is empty`) {
			t.Errorf("ip %s: error %q does not name the empty key", tc.ip, err)
		}
		if k != nil {
			if !strings.Contains(log.String(), "signing is off") {
				t.Errorf("ip %s: no warning in the log %q", tc.ip, log.String())
			}
			k.Close()
		}
	}
}
