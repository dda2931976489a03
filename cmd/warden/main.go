// Command warden is the Warden control plane for Salesforce integration
// users. Run "warden help" for its subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/wardenhq/warden"
)

// Version is the Warden version, set at build time with -ldflags.
var Version = "dev"

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go stopOnSignals(sigs, cancel, os.Stderr, os.Exit, stopGrace)
	m := NewMain()
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// stopGrace is how long a command may take to stop after the first
// Ctrl-C or SIGTERM before the process exits anyway.
const stopGrace = 30 * time.Second

// stopOnSignals ends the process on Ctrl-C or SIGTERM whatever it is
// doing: the first signal cancels the commands' context, so they stop
// cleanly; a second signal, or the first one's grace period running out,
// exits at once with 128 + the signal's number.
func stopOnSignals(sigs <-chan os.Signal, cancel func(), stderr io.Writer, exit func(int), grace time.Duration) {
	first := <-sigs
	cancel()
	code := 128 + signalNumber(first)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case s := <-sigs:
		fmt.Fprintf(stderr, "warden: %v again: exiting at once\n", s)
		code = 128 + signalNumber(s)
	case <-t.C:
		fmt.Fprintf(stderr, "warden: still running %v after %v: exiting\n", grace, first)
	}
	exit(code)
}

func signalNumber(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return int(n)
	}
	return 1
}

// Main wires Warden's subcommands to their inputs and outputs, so tests can
// drive the CLI in-process.
type Main struct {
	// Stdin is where commands read a password from (warden user).
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string

	// Ready, when set, receives the addresses of servers a long-running
	// command has started (tests use it instead of parsing output).
	Ready func(name, url string)
}

// NewMain returns a Main bound to the process's standard streams and
// environment.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, m *Main, args []string) error
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, m *Main, args []string) error) {
	commands[name] = command{summary: summary, run: run}
}

// errUsage marks an error already explained by a usage message (exit 2);
// errFailed a failure the command's output already explains (exit 1).
var (
	errUsage  = errors.New("usage")
	errFailed = errors.New("failed")
)

// Run runs the subcommand named by args[0] and returns the exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return m.exit(c.run(ctx, m, []string{"--help"}))
			}
		}
		m.usage(m.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(m.Stderr, "warden: unknown command %q\n\n", args[0])
		m.usage(m.Stderr)
		return 2
	}
	return m.exit(c.run(ctx, m, args[1:]))
}

func (m *Main) exit(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errFailed):
		return 1
	}
	fmt.Fprintf(m.Stderr, "warden: %s\n", warden.ErrorMessage(err))
	if warden.ErrorKind(err) == warden.EINTERNAL {
		fmt.Fprintf(m.Stderr, "warden: (detail) %v\n", err)
	}
	return warden.ExitCode(err)
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprintf(w, "Warden %s: a control plane for Salesforce integration users.\n\nUsage:\n  warden COMMAND [flags]\n\nCommands:\n", Version)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun \"warden COMMAND --help\" for a command's flags.\n")
}

// flags returns a FlagSet for a subcommand that prints its usage to
// m.Stdout on --help and to m.Stderr on errors.
func (m *Main) flags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("warden "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := m.Stdout
		fmt.Fprintf(w, "Usage: warden %s\n\nFlags:\n", strings.TrimSpace(usage))
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses flags; on a bad flag it prints the error and usage to
// stderr and returns errUsage; on --help it prints usage and returns
// flag.ErrHelp.
func (m *Main) parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case err == nil:
		if fs.NArg() > 0 {
			fmt.Fprintf(m.Stderr, "warden: unexpected argument %q\n", fs.Arg(0))
			return errUsage
		}
		return nil
	case errors.Is(err, flag.ErrHelp): // the flag package printed the usage
		return flag.ErrHelp
	}
	fmt.Fprintf(m.Stderr, "warden: %v\nRun \"%s --help\" for usage.\n", err, fs.Name())
	return errUsage
}

func init() {
	register("version", "print the Warden version", func(ctx context.Context, m *Main, args []string) error {
		fs := m.flags("version", "version\n\nPrints the Warden version.")
		if err := m.parse(fs, args); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "warden %s\n", Version)
		return nil
	})
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func sortStrings(s []string) { sort.Strings(s) }
