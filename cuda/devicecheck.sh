#!/usr/bin/env bash
# devicecheck.sh: the GPU checks of the CUDA backend, in one run of at most
# 8 minutes on an H100: the conformance suite on the real GPU, then
# `xprompt bench train|gemm|attention --device cuda --json` beside PyTorch
# peers (cuda/devicecheck/peers.py). Every measurement is one JSON line on
# stdout; progress goes to stderr.
#
# The GPU machine has the CUDA driver, NVRTC and PyTorch but no Go, so the
# binaries are cross-built where Go is (CGO_ENABLED=0: they load libcuda and
# NVRTC at run time with purego) and carried along:
#
#   cuda/devicecheck.sh build     # here: writes cuda/devicecheck/bin/{xprompt,cuda.test}
#   # carry the repository (with cuda/devicecheck/bin) to the GPU machine, then:
#   cuda/devicecheck.sh           # there, from the repository root
#
# NVRTC is found through LD_LIBRARY_PATH, CUDA_PATH or /usr/local/cuda;
# compiled kernels are cached under the user cache directory
# (~/.cache/xprompt/cuda-kernels), so a second run skips compilation.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=cuda/devicecheck/bin

if [ "${1:-}" = build ]; then
	mkdir -p "$bin"
	export CGO_ENABLED=0 GOOS=linux GOARCH=amd64
	go build -o "$bin/xprompt" ./cmd/xprompt &&
		go test -c -o "$bin/cuda.test" ./cuda &&
		echo "built $bin/xprompt and $bin/cuda.test" >&2
	exit $?
fi

for f in "$bin/xprompt" "$bin/cuda.test"; do
	[ -x "$f" ] || { echo "devicecheck: $f missing: run 'cuda/devicecheck.sh build' where Go is" >&2; exit 2; }
done
if [ -z "${CUDA_PATH:-}" ] && [ -d /usr/local/cuda ]; then export CUDA_PATH=/usr/local/cuda; fi
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}:${CUDA_PATH:-/usr/local/cuda}/targets/x86_64-linux/lib:${CUDA_PATH:-/usr/local/cuda}/lib64"
py=$(command -v python3)
status=0
step() { echo "== $*" >&2; }

# run LIMIT CMD...: run with a time limit; a failure is reported as JSON and
# makes the script's status non-zero, but the later checks still run.
run() {
	local limit=$1; shift
	if [ "$SECONDS" -gt 420 ]; then # keep the whole run under 8 minutes
		printf '{"check":"skipped","cmd":"%s","reason":"time budget"}\n' "$*"
		return
	fi
	timeout "$limit" "$@"
	local rc=$?
	if [ $rc -ne 0 ]; then
		printf '{"check":"error","cmd":"%s","rc":%d}\n' "$*" $rc
		status=1
	fi
}

step "GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null |
	awk -F', ' '{printf "{\"check\":\"gpu\",\"name\":\"%s\",\"driver\":\"%s\",\"memory\":\"%s\"}\n", $1, $2, $3}'

step "conformance suite on cuda (every primitive against the float64 references)"
timeout 150 "$bin/cuda.test" -test.run 'TestConformanceGPU|TestNoGPUIsAnError' -test.v -test.count=1 >/tmp/xprompt-conformance.log 2>&1
rc=$?
"$py" - /tmp/xprompt-conformance.log "$rc" <<'PY'
import json, re, sys
log, rc = open(sys.argv[1]).read(), int(sys.argv[2])
line = re.compile(r"(\w+)\s+cuda:\s+(\d+) values, max rel err (\S+), max abs err (\S+), (\S+) of tolerance")
fails = set(re.findall(r"--- FAIL: TestConformanceGPU/(\w+)", log))
n = 0
for m in line.finditer(log):
    n += 1
    print(json.dumps({"check": "conformance", "device": "cuda", "primitive": m[1], "values": int(m[2]),
                      "max_rel_err": float(m[3]), "max_abs_err": float(m[4]), "tol_fraction": float(m[5]),
                      "pass": m[1] not in fails}))
skip = re.search(r"(no CUDA device[^\n]*)", log)
print(json.dumps({"check": "conformance-summary", "device": "cuda", "primitives": n, "failed": sorted(fails),
                  "rc": rc, "skipped": skip[1] if skip else None}))
PY
[ "$rc" -eq 0 ] || { status=1; tail -40 /tmp/xprompt-conformance.log >&2; }

step "GEMM: xprompt (gemm_tiled, float32) and torch.matmul"
shapes="1024x1024x1024 4096x4096x4096 8192x512x1536"
run 60 "$bin/xprompt" bench gemm --device cuda --shapes "${shapes// /,}" --json
for s in $shapes; do run 60 "$py" cuda/devicecheck/peers.py gemm ${s//x/ }; done

step "attention forward+backward, X-Prompt mask"
for cfg in "16 8 1024 64" "4 8 4096 64"; do
	set -- $cfg
	run 90 "$bin/xprompt" bench attention --device cuda --batch "$1" --heads "$2" --t "$3" --hd "$4" --iters 5 --json
	run 60 "$py" cuda/devicecheck/peers.py attention "$@"
done

step "training step"
for cfg in "tiny 8" "small 8" "base 16"; do
	set -- $cfg
	steps=5; [ "$1" = base ] && steps=2
	run 150 "$bin/xprompt" bench train --device cuda --preset "$1" --batch "$2" --warmup 1 --steps $steps --json
	run 90 "$py" cuda/devicecheck/peers.py train "$@"
done
exit $status
