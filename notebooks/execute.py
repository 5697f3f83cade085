"""Executes a notebook top to bottom with nbclient and fails on any error.

    python3 execute.py NOTEBOOK.ipynb [--cwd DIR] [--timeout SECONDS] [--out FILE] [--model PATH]

The kernel is the one the notebook's metadata names (kernelspec.name). A cell
fails the run if it raises (nbclient's CellExecutionError), if it has an
error output, or if it writes to stderr, unless the cell carries the tag
"allow-stderr". The kernel runs in --cwd (default: a new temporary
directory), so that files a notebook writes stay out of the source tree.

--model PATH replaces every "%load default" line by "%load PATH", for builds
that embed no default model.

Prints one line per cell ("cell 3: 0.12s"), then "OK NAME: N cells in Ts" or
"FAIL NAME: …", and exits 0 or 1. --out writes the executed notebook.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def cell_problems(cell):
    """Returns what is wrong with an executed code cell's outputs."""
    problems = []
    allow_stderr = "allow-stderr" in cell.get("metadata", {}).get("tags", [])
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            problems.append("error output %s: %s" % (out.get("ename"), out.get("evalue")))
        elif out.get("output_type") == "stream" and out.get("name") == "stderr" and not allow_stderr:
            problems.append("stderr: %s" % out.get("text", "").strip()[:500])
    return problems


def substitute_default_model(nb, path):
    """Replaces "%load default" (or a bare "%load") lines of code cells by
    "%load PATH" and returns how many it replaced."""
    arg = '"%s"' % path if " " in path else path
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.split("\n")
        for i, line in enumerate(lines):
            if line.strip() in ("%load", "%load default"):
                lines[i] = "%load " + arg
                n += 1
        cell.source = "\n".join(lines)
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook")
    ap.add_argument("--cwd", help="the kernel's working directory (default: a new temporary one)")
    ap.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell")
    ap.add_argument("--out", help="write the executed notebook here")
    ap.add_argument("--model", help='checkpoint to load instead of "%%load default"')
    args = ap.parse_args()

    name = os.path.basename(args.notebook)
    nb = nbformat.read(args.notebook, as_version=4)
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if not kernel:
        print("FAIL %s: no kernelspec.name in the notebook's metadata" % name)
        return 1
    cwd = args.cwd or tempfile.mkdtemp(prefix="nb-")
    if args.model:
        n = substitute_default_model(nb, args.model)
        print("replaced %d %%load default lines by %%load %s" % (n, args.model))

    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=args.timeout,
        startup_timeout=60,
        allow_errors=False,
        record_timing=True,
        resources={"metadata": {"path": cwd}},
    )
    start = time.monotonic()
    failure = None
    try:
        client.execute()
    except CellTimeoutError as e:
        failure = "a cell ran past %ds: %s" % (args.timeout, str(e).strip().splitlines()[0])
    except CellExecutionError as e:
        failure = "a cell failed:\n%s" % e
    except DeadKernelError as e:
        failure = "the kernel died: %s" % e
    total = time.monotonic() - start

    ncode = 0
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        ncode += 1
        timing = cell.get("metadata", {}).get("execution", {})
        t0, t1 = timing.get("iopub.status.busy"), timing.get("shell.execute_reply")
        took = ""
        if t0 and t1:
            def parse(s):
                return datetime.fromisoformat(s.replace("Z", "+00:00"))

            took = " %.2fs" % (parse(t1) - parse(t0)).total_seconds()
        first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        print("cell %d:%s  %s" % (i, took, first[:70]))
        for p in cell_problems(cell):
            problems.append("cell %d (%s): %s" % (i, first[:50], p))

    if args.out:
        nbformat.write(nb, args.out)
    if failure is None and problems:
        failure = "\n".join(problems)
    if failure is not None:
        print("FAIL %s after %.1fs: %s" % (name, total, failure))
        return 1
    print("OK %s: %d code cells in %.1fs" % (name, ncode, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
