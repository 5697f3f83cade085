"""The jupyter_kernel_test suite run against the xprompt kernel.

Run by TestKernelConformance (kernel/jupytertest) with the kernelspec installed
under a temporary JUPYTER_PATH:

    python3 kernel_tests.py

It prints unittest's verbose report, then one line "RESULTS {json}" listing
every test and subtest with its outcome, which the Go test reads.

Every test of jupyter_kernel_test.KernelTests gets a sample here, except the
one whose feature the kernel does not have (clear_output); it is skipped with
the reason in SKIPPED, which the Go test checks.
"""

import json
import sys
import unittest

import jupyter_kernel_test as jkt

# Tests the kernel cannot pass for lack of a feature, not of a sample. The Go
# test fails on any skipped test that is not listed here.
SKIPPED = {
    "test_clear_output": "display.Sink has no clear_output; live displays update in place by display_id",
}


class XpromptKernelTests(jkt.KernelTests):
    kernel_name = "xprompt"
    language_name = "go"
    file_extension = ".go"

    code_hello_world = 'fmt.Println("hello, world")'
    code_stderr = 'fmt.Fprintln(os.Stderr, "written to stderr")'
    code_page_something = "?ops.MatMul"

    completion_samples = [
        {"text": "fmt.Pri", "matches": {"Print", "Printf", "Println"}},
        {"text": "math.Sq", "matches": {"Sqrt", "Sqrt2", "SqrtE", "SqrtPhi", "SqrtPi"}},
        {"text": "ops.MatM", "matches": {"MatMul", "MatMulT"}},
        {"text": "core.On", "matches": {"Ones"}},
        {"text": "strings.HasP", "matches": {"HasPrefix"}},
        {"text": "%he", "matches": {"help"}},
    ]

    complete_code_samples = [
        'fmt.Println("done")',
        "x := 1",
        "func double(v int) int { return 2 * v }",
        "type pair struct{ a, b int }",
        "for i := 0; i < 3; i++ {\n\tfmt.Println(i)\n}",
        "%time 1 + 1",
        "",
    ]
    incomplete_code_samples = [
        "func f() {",
        "x := (1 +",
        "for i := 0; i < 3; i++ {\n\tfmt.Println(i)",
        "type T struct {",
        'fmt.Println("a"',
        "`a raw string",
        "/* a comment",
    ]
    invalid_code_samples = [
        "x := )",
        "}",
        "func 1()",
        '"an unterminated string',
    ]

    code_generate_error = 'panic("boom")'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"hello"', "result": '"hello"'},  # strings in Go syntax
        {"code": "math.Sqrt(16)", "result": "4"},
        {"code": "core.Ones(2, 2)", "mime": "text/html"},
        {"code": "img.New(8, 8)", "mime": "image/png"},
        {"code": 'view.NewTable("a", "b").Add(1, 2)', "mime": "text/markdown"},
    ]
    code_display_data = [
        {"code": "show(core.Ones(2, 2))", "mime": "text/html"},
        {"code": "show(img.New(8, 8))", "mime": "image/png"},
        {"code": 'sink.Display(display.Text("direct"), "", false)', "mime": "text/plain"},
    ]

    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "6 * 7"  # a glob whose "*" matches the "*" of "6 * 7"

    code_inspect_sample = "core.Ones"

    def test_clear_output(self):
        raise unittest.SkipTest(SKIPPED["test_clear_output"])


class RecordingResult(unittest.TextTestResult):
    """A verbose result that also records each test's and subtest's outcome."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = []

    def _record(self, test, outcome, detail=""):
        self.records.append({"id": test.id(), "outcome": outcome, "detail": detail})

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "pass")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "fail", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skip", reason)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is None:
            self._record(subtest, "pass")
        elif issubclass(err[0], test.failureException):
            self._record(subtest, "fail", self._exc_info_to_string(err, test))
        else:
            self._record(subtest, "error", self._exc_info_to_string(err, test))


def main():
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(XpromptKernelTests)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=RecordingResult)
    result = runner.run(suite)
    print("RESULTS " + json.dumps({"skipped_ok": SKIPPED, "tests": result.records}), flush=True)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
