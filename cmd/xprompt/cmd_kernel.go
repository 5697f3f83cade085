package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"xprompt/display"
	"xprompt/kernel"
)

func init() {
	register("kernel", "run the Jupyter kernel; 'kernel install' installs its kernelspec",
		func(args []string) error { return runKernel(args, newSession) })
}

// runKernel implements `xprompt kernel`: it serves one evaluator made by
// newEvaluator (a Go session) to the Jupyter client of the connection file.
func runKernel(args []string, newEvaluator func() (display.Evaluator, error)) error {
	if len(args) > 0 && args[0] == "install" {
		return runKernelInstall(args[1:])
	}
	fs := newFlags("kernel", "--connection-file FILE | install [--user | --prefix DIR] [--name NAME]")
	connFile := fs.String("connection-file", "", "the connection file Jupyter writes for the kernel (required)")
	insecure := fs.Bool("insecure", false, "accept a connection file with an empty key (unsigned messages), on a loopback address only")
	trace := fs.Bool("trace", os.Getenv("XPROMPT_KERNEL_TRACE") != "", "log every message received, replied and published (type, channel, ids) to stderr; default: set when $XPROMPT_KERNEL_TRACE is")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *connFile == "" {
		return fmt.Errorf("%w: --connection-file is required", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	ev, err := newEvaluator()
	if err != nil {
		return fmt.Errorf("starting the evaluator: %w", err)
	}
	var opts []kernel.Option
	if *insecure {
		opts = append(opts, kernel.WithInsecure())
	}
	if *trace {
		opts = append(opts, kernel.WithTrace())
	}
	return kernel.Run(context.Background(), *connFile, ev, os.Stderr, opts...)
}

func runKernelInstall(args []string) error {
	fs := newFlags("kernel install", "[--user | --prefix DIR] [--name NAME] [--display-name TEXT]")
	user := fs.Bool("user", false, "install for the current user (the default)")
	prefix := fs.String("prefix", "", "install into `DIR`/share/jupyter/kernels/NAME (e.g. a virtual environment)")
	name := fs.String("name", "xprompt", "kernel name: the kernelspec directory's name")
	displayName := fs.String("display-name", "Go (xprompt)", "name shown in the notebook's kernel list")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *user && *prefix != "" {
		return fmt.Errorf("%w: --user and --prefix exclude each other", errUsage)
	}
	var dir string
	var err error
	if *prefix != "" {
		dir, err = kernel.PrefixKernelDir(*prefix, *name)
	} else {
		dir, err = kernel.UserKernelDir(*name)
	}
	if err != nil {
		return err
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locating the xprompt binary: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(bin); err == nil {
		bin = resolved
	}
	if err := kernel.InstallSpec(dir, *name, *displayName, bin); err != nil {
		return err
	}
	fmt.Printf("installed kernelspec %q in %s\n", *name, dir)
	return nil
}
