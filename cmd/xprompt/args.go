package main

import (
	"flag"
	"fmt"
	"math"
	"strings"
	"time"
)

// argRule is one check of a command's parsed flags and arguments, run by
// parseFlags before the command starts anything.
type argRule func(fs *flag.FlagSet) error

// parseFlags parses args and checks them: a parse failure, a positional
// argument the command does not take (none unless a positional rule says
// otherwise) or a failed rule is a usage error (exit status 2).
func parseFlags(fs *flag.FlagSet, args []string, rules ...argRule) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	positional := false
	for _, r := range rules {
		if err := r(fs); err != nil {
			if err == errPositionalRule {
				positional = true
				continue
			}
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	if !positional && fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q (flags take the form --flag value; see -h)", errUsage, fs.Arg(0))
	}
	return nil
}

// errPositionalRule is returned by positional rules that passed, so that
// parseFlags knows positional arguments were checked.
var errPositionalRule = fmt.Errorf("positional rule")

// anyArgs is the rule of a command that parses its positional arguments
// itself.
var anyArgs argRule = func(*flag.FlagSet) error { return errPositionalRule }

// nArgs requires between lo and hi positional arguments, named by what.
func nArgs(lo, hi int, what string) argRule {
	return func(fs *flag.FlagSet) error {
		if fs.NArg() < lo || fs.NArg() > hi {
			return fmt.Errorf("want %s, got %d argument(s) %q", what, fs.NArg(), fs.Args())
		}
		return errPositionalRule
	}
}

// inRange requires the numeric flag name to lie in [lo, hi] (and be finite).
func inRange(name string, lo, hi float64) argRule {
	return func(fs *flag.FlagSet) error {
		f := fs.Lookup(name)
		if f == nil {
			return fmt.Errorf("internal: no flag --%s", name)
		}
		var v float64
		switch x := f.Value.(flag.Getter).Get().(type) {
		case int:
			v = float64(x)
		case int64:
			v = float64(x)
		case uint64:
			v = float64(x)
		case uint:
			v = float64(x)
		case float64:
			v = x
		case time.Duration:
			v = x.Seconds()
		default:
			return fmt.Errorf("internal: --%s is not numeric", name)
		}
		if !(v >= lo && v <= hi) { // false for NaN
			return fmt.Errorf("--%s %s is out of range %s", name, f.Value.String(), rangeText(lo, hi))
		}
		return nil
	}
}

func rangeText(lo, hi float64) string {
	switch {
	case math.IsInf(hi, 1):
		return fmt.Sprintf("(at least %g)", lo)
	default:
		return fmt.Sprintf("[%g, %g]", lo, hi)
	}
}

// atLeast requires the numeric flag name to be ≥ lo.
func atLeast(name string, lo float64) argRule { return inRange(name, lo, math.Inf(1)) }

// excludes refuses the flags others when flag name is set: the command
// could not honour them.
func excludes(name, why string, others ...string) argRule {
	return func(fs *flag.FlagSet) error {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set[name] {
			return nil
		}
		var bad []string
		for _, o := range others {
			if set[o] {
				bad = append(bad, "--"+o)
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("--%s %s; it cannot honour %s", name, why, strings.Join(bad, ", "))
		}
		return nil
	}
}

// parseInterspersed parses flags that may come before, between or after the
// positional arguments (file names), returning the positional ones in order ("--" ends
// flag parsing).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args, anyArgs); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args)-len(rest) > 0 && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
