"""Interrupt, restart and shutdown of the xprompt kernel through jupyter_client.

Run by TestLifecycle (kernel/jupytertest). Prints one "ok: …" or "FAIL: …"
line per check and exits 1 if any check failed.
"""

import sys
import time

from jupyter_client.manager import start_new_kernel

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


def run(kc, code, timeout=30):
    """Executes code and returns (reply content, IOPub outputs)."""
    outputs = []

    def hook(msg):
        if msg["msg_type"] in ("stream", "execute_result", "display_data", "error"):
            outputs.append(msg)

    reply = kc.execute_interactive(code, output_hook=hook, timeout=timeout)
    return reply["content"], outputs


def result_text(outputs):
    for m in outputs:
        if m["msg_type"] == "execute_result":
            return m["content"]["data"].get("text/plain")
    return None


def main():
    km, kc = start_new_kernel(kernel_name="xprompt", startup_timeout=60)
    proc = km.provisioner.process

    # Interrupt an interpreted loop: the cell ends with Interrupted, the
    # session keeps its state, and the kernel goes on.
    reply, _ = run(kc, "n := 0")
    check(reply["status"] == "ok", "n := 0 runs")
    msg_id = kc.execute("for {\n\tn++\n}")
    time.sleep(1.0)
    check(kc.hb_channel.is_beating(), "heartbeat answers while a cell runs")
    start = time.monotonic()
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=20)
    elapsed = time.monotonic() - start
    check(reply["parent_header"]["msg_id"] == msg_id, "the reply answers the interrupted request")
    check(reply["content"]["status"] == "error", "the interrupted cell fails")
    check(reply["content"].get("ename") == "Interrupted",
          "its error is Interrupted (got %r)" % reply["content"].get("ename"))
    check(elapsed < 5, "the interrupt took %.2fs (< 5s)" % elapsed)
    reply, outputs = run(kc, "n > 0")
    check(result_text(outputs) == "true", "n > 0 after the interrupt: %r (reply %r, outputs %r)"
          % (result_text(outputs), reply, [m["content"] for m in outputs]))

    # Restart: a fresh process and a fresh session.
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=60)
    check(km.provisioner.process.pid != proc.pid, "restart starts a new process")
    check(proc.returncode == 0, "the old process exited cleanly (code %r)" % proc.returncode)
    proc = km.provisioner.process
    reply, outputs = run(kc, "n + 1")
    check(reply["status"] == "error" and reply.get("ename") == "CompileError",
          "n is undefined after the restart (%s %s)" % (reply["status"], reply.get("ename")))
    reply, outputs = run(kc, "6 * 7")
    check(result_text(outputs) == "42", "6 * 7 after the restart: %r" % result_text(outputs))

    # Shutdown: the kernel answers and exits by itself, before jupyter_client
    # would kill it.
    kc.stop_channels()
    start = time.monotonic()
    km.shutdown_kernel(now=False)
    elapsed = time.monotonic() - start
    check(not km.is_alive(), "the kernel is gone after shutdown")
    check(proc.returncode == 0, "it exited by itself with code 0 (code %r)" % proc.returncode)
    check(elapsed < 4, "shutdown took %.2fs (< 4s)" % elapsed)

    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
