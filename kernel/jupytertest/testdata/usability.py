"""What a notebook user meets, through jupyter_client: errors, Run All
stopping at the first error, stdin, the pager, comms, completion and
inspection, shell commands and rich results.

Run by TestClients/usability (kernel/jupytertest). Prints one "ok: …" or
"FAIL: …" line per check and exits 1 if any check failed.
"""

import queue
import sys
import time

from jupyter_client.manager import start_new_kernel

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


def outputs_of(kc, msg_id, timeout=30):
    """IOPub messages of msg_id up to its idle status."""
    out = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            m = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return out
        out.append(m)
    return out


def reply_to(kc, msg_id, timeout=30):
    while True:
        m = kc.get_shell_msg(timeout=timeout)
        if m["parent_header"].get("msg_id") == msg_id:
            return m["content"]


def run(kc, code, **kw):
    """Executes code; returns (reply content, IOPub messages)."""
    msg_id = kc.execute(code, **kw)
    rep = reply_to(kc, msg_id)
    return rep, outputs_of(kc, msg_id)


def result_text(outs):
    for m in outs:
        if m["msg_type"] == "execute_result":
            return m["content"]["data"].get("text/plain")
    return None


def main():
    km, kc = start_new_kernel(kernel_name="xprompt", startup_timeout=60)

    # 1. A typo is an error naming the identifier, coloured as ipykernel's.
    rep, outs = run(kc, "undefinedName")
    check(rep["status"] == "error" and rep.get("ename") == "CompileError"
          and "undefined: undefinedName" in rep.get("evalue", ""),
          "undefinedName is a CompileError naming it (%s: %s)" % (rep.get("ename"), rep.get("evalue")))
    tb = "".join(rep.get("traceback", []))
    check("\x1b[0;31m" in tb, "the traceback is coloured: %r" % tb)

    # 3. Runtime errors read as Go's, with the cell's line.
    rep, _ = run(kc, "a := []int{1}\nfmt.Print()\n_ = a[5]")
    check(rep.get("evalue") == "runtime error: index out of range" and "line 3" in "".join(rep.get("traceback", [])),
          "index out of range at line 3: %s %r" % (rep.get("evalue"), rep.get("traceback")))

    # 4. Values in Go syntax.
    _, outs = run(kc, '"abcd"')
    check(result_text(outs) == '"abcd"', 'a string result is quoted: %r' % result_text(outs))
    _, outs = run(kc, "fmt.Sprintf")
    check(result_text(outs) == "func(string, ...any) string", "a function shows its signature: %r" % result_text(outs))

    # 2. Run All: every cell is sent at once. A request made before the error
    # reply is aborted, whether it was queued (sent at once) or still on its
    # way (sent after the reply arrived); one made after the reply runs.
    fail = kc.session.msg("execute_request", {"code": 'panic("first cell fails")', "silent": False,
                                              "store_history": True, "user_expressions": {},
                                              "allow_stdin": False, "stop_on_error": True})
    queued = kc.session.msg("execute_request", {"code": "queuedRan := 1", "silent": False,
                                                "store_history": True, "user_expressions": {},
                                                "allow_stdin": False, "stop_on_error": True})
    in_flight = kc.session.msg("execute_request", {"code": "inFlightRan := 1", "silent": False,
                                                   "store_history": True, "user_expressions": {},
                                                   "allow_stdin": False, "stop_on_error": True})
    kc.shell_channel.send(fail)
    kc.shell_channel.send(queued)
    check(reply_to(kc, fail["header"]["msg_id"])["status"] == "error", "the first cell fails")
    check(reply_to(kc, queued["header"]["msg_id"])["status"] == "aborted", "the queued cell is aborted")
    kc.shell_channel.send(in_flight)
    check(reply_to(kc, in_flight["header"]["msg_id"])["status"] == "aborted",
          "the cell made before the error reply but arriving after it is aborted")
    rep, outs = run(kc, "fmt.Println(\"after the error\")")
    check(rep["status"] == "ok" and any(m["msg_type"] == "stream" for m in outs),
          "a cell sent after reading the error reply runs (%s)" % rep["status"])
    rep, _ = run(kc, "queuedRan + inFlightRan")
    check(rep["status"] == "error" and "undefined" in rep.get("evalue", ""),
          "the aborted cells never ran (%s)" % rep.get("evalue"))

    # 8. stdin through input_request when the client allows it.
    msg_id = kc.execute("var name string\nn, err := fmt.Scanln(&name)\nfmt.Println(n, err, name)", allow_stdin=True)
    req = kc.get_stdin_msg(timeout=30)
    check(req["msg_type"] == "input_request" and req["parent_header"]["msg_id"] == msg_id,
          "Scanln sends input_request (%s)" % req["msg_type"])
    kc.input("gopher")
    rep = reply_to(kc, msg_id)
    outs = outputs_of(kc, msg_id)
    text = "".join(m["content"].get("text", "") for m in outs if m["msg_type"] == "stream")
    check(rep["status"] == "ok" and text == "1 <nil> gopher\n", "the reply is read: %r" % text)
    rep, outs = run(kc, "_, err = fmt.Scanln(&name)\nerr", allow_stdin=False)
    check("allow_stdin" in (result_text(outs) or ""), "without allow_stdin reading fails clearly: %r" % result_text(outs))

    # 9. Pager, comms.
    rep, outs = run(kc, "?ops.MatMul")
    pages = [p for p in rep.get("payload", []) if p.get("source") == "page"]
    check(len(pages) == 1 and "MatMul" in pages[0]["data"].get("text/plain", "") and result_text(outs) is None,
          "?ops.MatMul pages its documentation (payload %r)" % rep.get("payload"))
    rep, _ = run(kc, "%help time")
    check(any(p.get("source") == "page" for p in rep.get("payload", [])), "%help time pages")
    msg_id = kc.comm_info()
    rep = reply_to(kc, msg_id)
    check(rep["status"] == "ok" and rep["comms"] == {}, "comm_info: %r" % rep)
    opened = kc.session.msg("comm_open", {"comm_id": "c-1", "target_name": "no.such.target", "data": {}})
    kc.shell_channel.send(opened)
    closed = [m for m in outputs_of(kc, opened["header"]["msg_id"]) if m["msg_type"] == "comm_close"]
    check(len(closed) == 1 and closed[0]["content"]["comm_id"] == "c-1", "comm_open to an unknown target is closed")

    # 7. Inspection inside a call, completion of a call's result.
    code = "fmt.Sprintf("
    rep = reply_to(kc, kc.inspect(code, len(code)))
    check(rep["found"] and "Sprintf" in rep["data"].get("text/plain", ""), "Shift-Tab after fmt.Sprintf( finds it")
    code = "core.Ones(2).Sh"
    rep = reply_to(kc, kc.complete(code, len(code)))
    check("Shape" in rep["matches"] and rep["cursor_start"] == len(code) - 2,
          "core.Ones(2).Sh completes to Shape: %r" % rep["matches"])

    # 10. Shell commands, SVG and Markdown.
    rep, outs = run(kc, "!echo from-the-shell")
    text = "".join(m["content"].get("text", "") for m in outs if m["msg_type"] == "stream")
    check(rep["status"] == "ok" and text == "from-the-shell\n", "!echo streams its output: %r" % text)
    _, outs = run(kc, 'display.SVG(`<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>`)')
    data = [m["content"]["data"] for m in outs if m["msg_type"] == "execute_result"]
    check(data and "image/svg+xml" in data[0], "an SVG result is image/svg+xml")
    _, outs = run(kc, 'display.Markdown("**bold**")')
    data = [m["content"]["data"] for m in outs if m["msg_type"] == "execute_result"]
    check(data and data[0].get("text/markdown") == "**bold**", "a Markdown result is text/markdown")

    kc.stop_channels()
    km.shutdown_kernel(now=False)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
