// Package notebooks holds the tutorial notebooks of xprompt (*.ipynb, run
// with the Go kernel installed by "xprompt kernel install") and their tests.
//
// The notebooks are stored with their outputs cleared. The tests check that
// (TestNotebooksStored) and execute every notebook top to bottom through
// nbclient against a freshly built kernel (TestNotebooksRun, see
// execute.py); the second needs the Jupyter clients described in package
// kernel/jupytertest and is skipped with -short.
package notebooks
