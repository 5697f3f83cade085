"""Soak and reconnect checks of the xprompt kernel through jupyter_client.

Usage: soak.py CELLS RECONNECTS RESTARTS MARKER_DIR

Runs CELLS cells of a fixed mix (prints, displays, errors, panics, goroutine
panics, interrupts; the goroutines run a declared function: a func literal at
the top level of a cell keeps a copy of yaegi's global frame), recording the kernel's RSS after a warm-up and at the
end; then RECONNECTS client reconnects and RESTARTS kernel restarts, each
followed by a cell; then hostile frames on the shell socket (bad signature,
truncated, oversized, unknown type, replayed). Prints one line
"RESULT {json}" with the figures.
"""

import json
import os
import sys
import time

import zmq
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

cells, reconnects, restarts, marker_dir = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
res = {"cells": 0, "answered": 0, "ok": 0, "error": 0, "unexpected": [], "kinds": {},
       "reconnects": 0, "restarts": 0, "hostile": 0, "hostile_executed": 0, "alive": False}


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def run(kc, code, timeout=60):
    outputs = []
    reply = kc.execute_interactive(code, output_hook=lambda m: outputs.append(m), timeout=timeout)
    return reply["content"], outputs


MIX = [
    ("print", 'fmt.Println("line", %d)', "ok"),
    ("value", "%d * 2", "ok"),
    ("display", 'show(view.Table{Headers: []string{"i"}, Rows: [][]string{{"%d"}}})', "ok"),
    ("define", "v%d := %d", "ok"),
    ("error", "undefinedName%d + 1", "error"),
    ("panic", 'panic("boom %d")', "error"),
    ("gopanic", "go goPanic(%d)", "ok"),
    ("badshape", "ops.MatMul(core.Zeros(2, 3), core.Zeros(4, 5))", "error"),
]


def soak(km, kc):
    pid = km.provisioner.process.pid
    warm = max(1, min(500, cells // 10))
    rss_warm = None
    run(kc, "n := 0")
    run(kc, "func goPanic(i int) { panic(i) }")
    for i in range(cells):
        if i == warm:
            rss_warm = rss(pid)
        res["cells"] += 1
        if i % 100 == 50:  # an interrupt of an interpreted loop
            kind, want = "interrupt", "error"
            msg_id = kc.execute("for {\n\tn++\n}")
            time.sleep(0.05)
            km.interrupt_kernel()
            reply = kc.get_shell_msg(timeout=60)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = kc.get_shell_msg(timeout=60)
            content = reply["content"]
        else:
            kind, code, want = MIX[i % len(MIX)]
            code = code.replace("%d", str(i))
            content, _ = run(kc, code)
        res["answered"] += 1
        st = content["status"]
        res["ok" if st == "ok" else "error"] += 1
        res["kinds"][kind] = res["kinds"].get(kind, 0) + 1
        if st != want and len(res["unexpected"]) < 10:
            res["unexpected"].append([i, kind, st, content.get("ename"), content.get("evalue")])
    res["rss_warm"] = rss_warm or rss(pid)
    res["rss_end"] = rss(pid)
    res["warmup_cells"] = warm


def reconnect_and_restart(km, kc):
    for i in range(reconnects):
        kc.stop_channels()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        content, _ = run(kc, "%d + 1" % i)
        if content["status"] == "ok":
            res["reconnects"] += 1
    for i in range(restarts):
        km.restart_kernel(now=True)
        kc.wait_for_ready(timeout=120)
        content, _ = run(kc, "%d + 1" % i)
        if content["status"] == "ok":
            res["restarts"] += 1
    return kc


def hostile(km, kc):
    """Frames that must not run: the code of each would create a marker file."""
    info = km.get_connection_info()
    ctx = zmq.Context.instance()
    key = info["key"]
    if isinstance(key, str):
        key = key.encode()
    good = Session(key=key, signature_scheme=info["signature_scheme"])
    bad = Session(key=b"not-the-key", signature_scheme=info["signature_scheme"])
    url = "%s://%s:%d" % (info["transport"], info["ip"], info["shell_port"])

    def code(name):
        p = os.path.join(marker_dir, name)
        return 'os.WriteFile(%s, []byte("ran"), 0o644)' % json.dumps(p)

    def dealer():
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(url)
        return s

    s = dealer()
    # A bad signature, the same message unsigned, a truncated message.
    bad.send(s, "execute_request", {"code": code("badsig"), "silent": False})
    res["hostile"] += 1
    msg = good.msg("execute_request", {"code": code("truncated"), "silent": False})
    frames = good.serialize(msg)
    s.send_multipart(frames[:4])
    res["hostile"] += 1
    s.send_multipart([b"<IDS|MSG>", b"", frames[2], frames[3], frames[4], frames[5]])
    res["hostile"] += 1
    # A corrupted signature (one hex digit changed).
    f2 = list(frames)
    f2[1] = (b"0" if f2[1][:1] != b"0" else b"1") + f2[1][1:]
    s.send_multipart(f2)
    res["hostile"] += 1
    # An unknown message type, properly signed: answered or ignored, never run.
    good.send(s, "execute_requestx", {"code": code("unknown"), "silent": False})
    res["hostile"] += 1
    # Replayed: a valid request runs once; the same frames again must not.
    replay = good.msg("execute_request", {"code": 'f, _ := os.OpenFile(%s, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)\nf.WriteString("x")\nf.Close()' % json.dumps(os.path.join(marker_dir, "replay")), "silent": False})
    rframes = good.serialize(replay)
    s.send_multipart(rframes)
    time.sleep(1.0)
    s.send_multipart(rframes)
    res["hostile"] += 1
    # Oversized: a 20 MiB frame (the limit is 16 MiB) on its own connection.
    big = dealer()
    big.send_multipart([b"<IDS|MSG>", b"0" * 64, b"x" * (20 << 20)])
    res["hostile"] += 1
    time.sleep(1.5)
    big.close()
    s.close()
    for name in ("badsig", "truncated", "unknown"):
        if os.path.exists(os.path.join(marker_dir, name)):
            res["hostile_executed"] += 1
    rp = os.path.join(marker_dir, "replay")
    n = os.path.getsize(rp) if os.path.exists(rp) else 0
    if n != 1:
        res["hostile_executed"] += max(0, n - 1)
        res["replay_runs"] = n
    content, _ = run(kc, "40 + 2")
    res["alive"] = content["status"] == "ok" and km.is_alive() and kc.hb_channel.is_beating()


def main():
    start = time.monotonic()
    km, kc = start_new_kernel(kernel_name="xprompt", startup_timeout=120)
    try:
        soak(km, kc)
        res["soak_seconds"] = round(time.monotonic() - start, 1)
        kc = reconnect_and_restart(km, kc)
        hostile(km, kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print("RESULT " + json.dumps(res), flush=True)


main()
