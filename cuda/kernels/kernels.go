package kernels

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

//go:embed *.cu *.cuh
var files embed.FS

// Header is the name of the header every kernel file includes.
const Header = "common.cuh"

// Source is one kernel file.
type Source struct {
	Name string // file name, such as "elementwise.cu"
	Text string
}

// Files returns the kernel files (*.cu) in name order, without the header.
func Files() []Source {
	var out []Source
	names, _ := fs.Glob(files, "*.cu")
	sort.Strings(names)
	for _, n := range names {
		b, _ := files.ReadFile(n)
		out = append(out, Source{n, string(b)})
	}
	return out
}

// HeaderText returns the text of common.cuh.
func HeaderText() string {
	b, _ := files.ReadFile(Header)
	return string(b)
}

// Headers returns every header (*.cuh: common.cuh and the ones kernel
// files include, such as mma.cuh) in name order.
func Headers() []Source {
	var out []Source
	names, _ := fs.Glob(files, "*.cuh")
	sort.Strings(names)
	for _, n := range names {
		b, _ := files.ReadFile(n)
		out = append(out, Source{n, string(b)})
	}
	return out
}

// Hash returns a hex digest of the header and every kernel file, the key of
// compiled-kernel caches.
func Hash() string {
	h := sha256.New()
	for _, s := range Headers() {
		h.Write([]byte(s.Name))
		h.Write([]byte{0})
		h.Write([]byte(s.Text))
		h.Write([]byte{0})
	}
	for _, s := range Files() {
		h.Write([]byte{0})
		h.Write([]byte(s.Name))
		h.Write([]byte{0})
		h.Write([]byte(s.Text))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

var globalRE = regexp.MustCompile(`extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(`)

// KernelNames returns the names of the kernels (extern "C" __global__
// functions) defined in src.
func KernelNames(src string) []string {
	var out []string
	for _, m := range globalRE.FindAllStringSubmatch(src, -1) {
		out = append(out, m[1])
	}
	return out
}

// Lines returns the number of lines of every kernel file, for reports.
func Lines() int {
	n := 0
	for _, s := range Headers() {
		n += strings.Count(s.Text, "\n")
	}
	for _, s := range Files() {
		n += strings.Count(s.Text, "\n")
	}
	return n
}
