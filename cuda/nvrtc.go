package cuda

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"unsafe"

	"github.com/ebitengine/purego"

	"xprompt/cuda/kernels"
)

// bindFields binds each func field of the struct api points to.
func bindFields(lib uintptr, api any, rename map[string]string) error {
	v := reflect.ValueOf(api).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() != reflect.Func {
			continue
		}
		name := v.Type().Field(i).Name
		if r, ok := rename[name]; ok {
			name = r
		}
		if _, err := purego.Dlsym(lib, name); err != nil {
			return fmt.Errorf("missing symbol %s: %v", name, err)
		}
		purego.RegisterLibFunc(reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Interface(), lib, name)
	}
	return nil
}

// nvrtcAPI holds the NVRTC entry points.
type nvrtcAPI struct {
	nvrtcVersion           func(major, minor *int32) int32
	nvrtcCreateProgram     func(prog *uintptr, src, name string, nh int32, headers, names unsafe.Pointer) int32
	nvrtcCompileProgram    func(prog uintptr, nopt int32, opts unsafe.Pointer) int32
	nvrtcGetProgramLogSize func(prog uintptr, n *uint64) int32
	nvrtcGetProgramLog     func(prog uintptr, log *byte) int32
	nvrtcGetCUBINSize      func(prog uintptr, n *uint64) int32
	nvrtcGetCUBIN          func(prog uintptr, out *byte) int32
	nvrtcDestroyProgram    func(prog *uintptr) int32
	nvrtcGetErrorString    func(r int32) string

	version string
}

// nvrtcCandidates lists where NVRTC is looked for: the names alone (found
// through LD_LIBRARY_PATH and the loader cache), then CUDA_PATH and the
// usual toolkit directories.
func nvrtcCandidates() []string {
	names := []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"}
	out := append([]string(nil), names...)
	var dirs []string
	if p := os.Getenv("CUDA_PATH"); p != "" {
		dirs = append(dirs, filepath.Join(p, "lib64"), filepath.Join(p, "targets", "x86_64-linux", "lib"), filepath.Join(p, "lib"))
	}
	for _, d := range strings.Split(os.Getenv("LD_LIBRARY_PATH"), ":") {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	dirs = append(dirs, "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib")
	for _, d := range dirs {
		for _, n := range names {
			out = append(out, filepath.Join(d, n))
		}
		if m, _ := filepath.Glob(filepath.Join(d, "libnvrtc.so.*")); len(m) > 0 {
			out = append(out, m...)
		}
	}
	return out
}

// loadNVRTC loads NVRTC from the first candidate that opens.
func loadNVRTC() (*nvrtcAPI, error) {
	var errs []string
	for _, path := range nvrtcCandidates() {
		lib, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		api := &nvrtcAPI{}
		if err := bindAll(lib, api, nil); err != nil {
			return nil, err
		}
		var maj, min int32
		api.nvrtcVersion(&maj, &min)
		api.version = fmt.Sprintf("%d.%d", maj, min)
		return api, nil
	}
	return nil, fmt.Errorf("cuda: cannot load NVRTC (libnvrtc.so.13/.12; set CUDA_PATH or LD_LIBRARY_PATH): %s", errs[0])
}

// cStrings returns NUL-terminated copies of ss and an array of pointers to
// them (kept alive by the returned slices).
func cStrings(ss []string) ([][]byte, []*byte) {
	bufs := make([][]byte, len(ss))
	ptrs := make([]*byte, len(ss))
	for i, s := range ss {
		bufs[i] = append([]byte(s), 0)
		ptrs[i] = &bufs[i][0]
	}
	return bufs, ptrs
}

// compile compiles one kernel file to a CUBIN for arch with NVRTC.
func (n *nvrtcAPI) compile(src kernels.Source, arch string) ([]byte, error) {
	fail := func(call string, r int32) error {
		return fmt.Errorf("cuda: NVRTC %s on %s: %s", call, src.Name, n.nvrtcGetErrorString(r))
	}
	var htexts, hnames []string
	for _, h := range kernels.Headers() {
		htexts, hnames = append(htexts, h.Text), append(hnames, h.Name)
	}
	hbufs, hdrs := cStrings(htexts)
	nbufs, names := cStrings(hnames)
	var prog uintptr
	if r := n.nvrtcCreateProgram(&prog, src.Text, src.Name, int32(len(hdrs)), unsafe.Pointer(&hdrs[0]), unsafe.Pointer(&names[0])); r != 0 {
		return nil, fail("nvrtcCreateProgram", r)
	}
	defer n.nvrtcDestroyProgram(&prog)
	obufs, opts := cStrings([]string{"--gpu-architecture=" + arch, "--std=c++17", "-default-device"})
	r := n.nvrtcCompileProgram(prog, int32(len(opts)), unsafe.Pointer(&opts[0]))
	var logN uint64
	n.nvrtcGetProgramLogSize(prog, &logN)
	log := ""
	if logN > 1 {
		buf := make([]byte, logN)
		n.nvrtcGetProgramLog(prog, &buf[0])
		log = cString(buf)
	}
	if r != 0 {
		return nil, fmt.Errorf("cuda: NVRTC could not compile %s for %s: %s\n%s", src.Name, arch, n.nvrtcGetErrorString(r), log)
	}
	var size uint64
	if r := n.nvrtcGetCUBINSize(prog, &size); r != 0 {
		return nil, fail("nvrtcGetCUBINSize", r)
	}
	cubin := make([]byte, size)
	if r := n.nvrtcGetCUBIN(prog, &cubin[0]); r != 0 {
		return nil, fail("nvrtcGetCUBIN", r)
	}
	_, _, _ = hbufs, nbufs, obufs
	return cubin, nil
}

// kernelCacheDir returns the directory of compiled kernels for this source
// hash, architecture and NVRTC version.
func kernelCacheDir(arch, nvrtcVersion string) string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "xprompt", "cuda-kernels", kernels.Hash()+"-"+arch+"-nvrtc"+nvrtcVersion)
}

// function returns the CUfunction of a kernel, compiling (or loading from
// the disk cache) and loading its file's module on first use.
func (g *GPU) function(name string) (uintptr, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if fn, ok := g.funcs[name]; ok {
		return fn, nil
	}
	var src *kernels.Source
	for _, f := range kernels.Files() {
		for _, k := range kernels.KernelNames(f.Text) {
			if k == name {
				src = &f
			}
		}
	}
	if src == nil {
		return 0, fmt.Errorf("cuda: no kernel named %s", name)
	}
	mod, ok := g.modules[src.Name]
	if !ok {
		if g.nvrtc == nil {
			api, err := loadNVRTC()
			if err != nil {
				return 0, err
			}
			g.nvrtc = api
		}
		dir := kernelCacheDir(g.Arch(), g.nvrtc.version)
		path := filepath.Join(dir, src.Name+".cubin")
		cubin, err := os.ReadFile(path)
		if err != nil {
			if cubin, err = g.nvrtc.compile(*src, g.Arch()); err != nil {
				return 0, err
			}
			if os.MkdirAll(dir, 0o755) == nil {
				tmp := path + fmt.Sprintf(".%d.tmp", os.Getpid())
				if os.WriteFile(tmp, cubin, 0o644) == nil {
					os.Rename(tmp, path)
				}
			}
		}
		err = g.call(func() error {
			return g.check("cuModuleLoadData "+src.Name, g.api.cuModuleLoadData(&mod, unsafe.Pointer(&cubin[0])))
		})
		if err != nil {
			return 0, err
		}
		g.modules[src.Name] = mod
	}
	var fn uintptr
	if err := g.call(func() error { return g.check("cuModuleGetFunction "+name, g.api.cuModuleGetFunction(&fn, mod, name)) }); err != nil {
		return 0, err
	}
	g.funcs[name] = fn
	return fn, nil
}
