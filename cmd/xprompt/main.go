// Command xprompt is the single entry point of the project: the REPL (default),
// the Jupyter kernel, training, generation, evaluation, benchmarks and demos.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

// command is one subcommand of the xprompt binary.
type command struct {
	name  string
	short string
	run   func(args []string) error
}

var commands = map[string]command{}

// register adds a subcommand; each subcommand lives in its own cmd_*.go file
// and registers itself from init.
func register(name, short string, run func(args []string) error) {
	if _, dup := commands[name]; dup {
		panic("xprompt: command registered twice: " + name)
	}
	commands[name] = command{name: name, short: short, run: run}
}

// errUsage marks an error caused by bad command-line arguments (exit status 2).
var errUsage = errors.New("usage error")

func usage() {
	fmt.Fprintln(os.Stderr, "usage: xprompt [command] [flags]")
	fmt.Fprintln(os.Stderr, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].short)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'xprompt COMMAND -h' for a command's flags.")
}

func main() {
	args := os.Args[1:]
	name := "repl"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "help" || (len(args) > 0 && name == "repl" && (args[0] == "-h" || args[0] == "--help")) {
		usage()
		return
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "xprompt: unknown command %q\n", name)
		usage()
		os.Exit(2)
	}
	if err := cmd.run(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintf(os.Stderr, "xprompt %s: %v\n", name, err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// newFlags returns a flag set for a subcommand that reports errors instead of
// exiting, so that commands share one error path.
func newFlags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("xprompt "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: xprompt %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}
