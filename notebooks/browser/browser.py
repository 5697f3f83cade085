"""Runs the notebooks in classic Jupyter Notebook in headless Chromium, as a
user would, and checks what the user sees.

    python3 browser.py --notebooks DIR [--model PATH] [--timeout SECONDS]

Starts a notebook server on a copy of DIR's notebooks (with "%load default"
replaced by "%load PATH" when --model is given), then, through Selenium:

  - opens every notebook, runs all its cells (Cell → Run All) and checks that
    no cell shows an error and that every image in the outputs loaded;
  - in a scratch notebook: interrupts a running loop with the toolbar button,
    answers fmt.Scanln in the input box, and runs all of cells where the
    second fails, several times: the cells after it must never run.

Prints one "ok: …" or "FAIL: …" line per check and exits 1 if any failed.
The kernelspec "xprompt" must be on JUPYTER_PATH.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import nbformat
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(fn, timeout, what, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError("timed out after %ss waiting for %s" % (timeout, what))


def prepare(src, dst, model):
    """Copies the notebooks of src into dst, pointing %load default at model."""
    names = sorted(f for f in os.listdir(src) if f.endswith(".ipynb"))
    for name in names:
        nb = nbformat.read(os.path.join(src, name), as_version=4)
        if model:
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.source = "\n".join("%load " + model if l.strip() in ("%load", "%load default") else l
                                            for l in cell.source.split("\n"))
        nbformat.write(nb, os.path.join(dst, name))
    scratch = nbformat.v4.new_notebook()
    scratch.metadata["kernelspec"] = {"name": "xprompt", "display_name": "xprompt (Go)", "language": "go"}
    scratch.cells = [nbformat.v4.new_code_cell(c) for c in [
        "n := 0",
        "for {\n\tn++\n}",
        'var name string\nfmt.Scanln(&name)\nfmt.Println("read:", name)',
    ]]
    nbformat.write(scratch, os.path.join(dst, "scratch-interactive.ipynb"))
    stops = nbformat.v4.new_notebook()
    stops.metadata["kernelspec"] = scratch.metadata["kernelspec"]
    stops.cells = [nbformat.v4.new_code_cell(c) for c in [
        'fmt.Println("first ran")',
        "undefinedName",
        'fmt.Println("third ran")',
        'fmt.Println("fourth ran")',
    ]]
    nbformat.write(stops, os.path.join(dst, "scratch-run-all-stops.ipynb"))
    return names


class Page:
    def __init__(self, driver, base):
        self.d = driver
        self.base = base

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def open(self, name, timeout=60):
        self.d.get(self.base + "/notebooks/" + name)
        wait_until(lambda: self.js(
            "return !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel"
            " && Jupyter.notebook.kernel.is_connected() && Jupyter.notebook.kernel.info_reply"
            " && Jupyter.notebook.kernel.info_reply.status === 'ok')"), timeout, "the kernel of " + name)

    def close(self):
        """Shuts the notebook's kernel down (leaving the page keeps it running)."""
        self.js("Jupyter.notebook.session.delete()")
        wait_until(lambda: self.js("return !Jupyter.notebook.kernel || !Jupyter.notebook.kernel.is_connected()"),
                   20, "the kernel to shut down")

    def idle(self):
        return self.js(
            "return document.querySelectorAll('.cell.running').length === 0"
            " && document.querySelector('#kernel_indicator_icon').classList.contains('kernel_idle_icon')")

    def wait_idle(self, timeout):
        time.sleep(0.5)
        wait_until(lambda: self.idle() and (time.sleep(0.3) or self.idle()), timeout, "the notebook to go idle")

    def run_all(self, timeout):
        self.d.find_element(By.ID, "celllink").click()
        self.d.find_element(By.CSS_SELECTOR, "#run_all_cells > a").click()
        self.wait_idle(timeout)

    def cells(self):
        return self.js("""return Jupyter.notebook.get_cells().filter(c => c.cell_type === 'code').map(c => ({
            prompt: c.input_prompt_number === undefined ? null : c.input_prompt_number,
            text: c.output_area.element[0].innerText,
            errors: c.output_area.element[0].querySelectorAll('.output_error, [data-mime-type="application/vnd.jupyter.stderr"]').length,
            errorText: Array.from(c.output_area.element[0].querySelectorAll('.output_error')).map(e => e.innerText).join('\\n'),
            images: c.output_area.element[0].querySelectorAll('img').length,
            broken: Array.from(c.output_area.element[0].querySelectorAll('img')).filter(i => !i.complete || i.naturalWidth === 0).length,
        }))""")


def check_notebook(page, name, timeout):
    start = time.monotonic()
    page.open(name)
    page.run_all(timeout)
    cells = page.cells()
    errs = [(i, c["errorText"][:300]) for i, c in enumerate(cells) if c["errors"]]
    unrun = [i for i, c in enumerate(cells) if not isinstance(c["prompt"], int)]
    images = sum(c["images"] for c in cells)
    broken = sum(c["broken"] for c in cells)
    check(not errs, "%s: no error outputs (%s)" % (name, errs))
    check(not unrun, "%s: all %d code cells ran (not run: %s)" % (name, len(cells), unrun))
    check(broken == 0, "%s: %d images, %d broken" % (name, images, broken))
    page.close()
    print("   %s: %.1fs" % (name, time.monotonic() - start), flush=True)


def check_interactive(page):
    page.open("scratch-interactive.ipynb")
    page.js("Jupyter.notebook.execute_cells([0])")
    page.wait_idle(30)
    page.js("Jupyter.notebook.execute_cells([1])")
    time.sleep(1.5)
    page.d.find_element(By.CSS_SELECTOR, 'button[data-jupyter-action="jupyter-notebook:interrupt-kernel"]').click()
    page.wait_idle(20)
    c = page.cells()[1]
    check("Interrupted" in c["errorText"], "the toolbar's interrupt stops a running loop: %r" % c["errorText"])
    page.js("Jupyter.notebook.execute_cells([2])")
    box = wait_until(lambda: page.d.find_elements(By.CSS_SELECTOR, "input.raw_input"), 30, "the input box")
    box[0].send_keys("gopher" + Keys.ENTER)
    page.wait_idle(30)
    c = page.cells()[2]
    check("read: gopher" in c["text"], "fmt.Scanln reads what is typed in the input box: %r" % c["text"])
    page.close()


def check_run_all_stops(page, tries):
    page.open("scratch-run-all-stops.ipynb")
    ran_after = 0
    for _ in range(tries):
        page.js("Jupyter.notebook.clear_all_output()")
        page.run_all(30)
        cells = page.cells()
        if "first ran" not in cells[0]["text"] or not cells[1]["errors"]:
            check(False, "run all: the first cell runs and the second fails: %r" % cells)
            return
        if any("ran" in c["text"] for c in cells[2:]):
            ran_after += 1
    check(ran_after == 0, "Run All stopped at the failing cell in %d of %d runs" % (tries - ran_after, tries))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebooks", required=True)
    ap.add_argument("--model")
    ap.add_argument("--timeout", type=int, default=300, help="seconds allowed per notebook")
    ap.add_argument("--only", help="run only the notebooks whose name contains this")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="nb-browser-")
    names = prepare(args.notebooks, work, args.model)
    if args.only:
        names = [n for n in names if args.only in n]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "notebook", "--no-browser", "--port=%d" % port, "--ip=127.0.0.1",
         "--NotebookApp.token=", "--NotebookApp.password=", "--notebook-dir=" + work, "--allow-root"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "server.log"), "w"))
    base = "http://127.0.0.1:%d" % port
    driver = None
    try:
        wait_until(lambda: _reachable(base + "/api"), 60, "the notebook server")
        opts = webdriver.ChromeOptions()
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
            opts.add_argument(a)
        if os.path.exists("/usr/bin/chromium"):
            opts.binary_location = "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        page = Page(driver, base)
        for name in names:
            check_notebook(page, name, args.timeout)
        check_interactive(page)
        check_run_all_stops(page, 5)
    except Exception as e:  # a timeout or a driver error is a failure, with the server's log
        check(False, "%s: %s" % (type(e).__name__, e))
        with open(os.path.join(work, "server.log")) as f:
            print(f.read()[-4000:])
    finally:
        if driver:
            driver.quit()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


def _reachable(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
