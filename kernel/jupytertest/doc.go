// Package jupytertest runs the kernel under real Jupyter clients: it builds
// the xprompt binary, installs its kernelspec into a temporary Jupyter data
// directory, and runs Python scripts (jupyter_client, jupyter_kernel_test,
// nbclient) against it with an environment that sees only that kernelspec.
//
// The clients are the Debian packages python3-jupyter-client,
// python3-nbclient, python3-jupyter-kernel-test and jupyter-console, run by
// /usr/bin/python3 (XPROMPT_PYTHON overrides the interpreter). Where the
// interpreter or a module is missing, Setup skips the test with a message
// saying what to install; with XPROMPT_REQUIRE_JUPYTER=1 in the environment
// (as .ci/run sets it) the skip becomes a failure.
//
// The package's own test runs the jupyter_kernel_test suite
// (testdata/kernel_tests.py) against the kernel; notebooks/ uses Setup to
// execute every notebook through nbclient.
package jupytertest
