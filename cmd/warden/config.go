package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/strictyaml"
)

func init() {
	register("config", "check the configuration file", runConfig)
}

const configUsage = `config check [--config FILE] [--show]

Subcommands:
  check   validate the configuration file and report every problem

Run "warden config check --help" for its flags. See docs/configuration.md.`

const configCheckUsage = `config check [--config FILE] [--show]

Validates the configuration file (default $WARDEN_CONFIG, else ./warden.yaml)
and prints a summary, or every problem with its line, one per line (exit
code 2). ${NAME} variables are read from the environment. It never writes
anything and never connects to anything.`

func runConfig(ctx context.Context, m *Main, args []string) error {
	if len(args) > 0 && args[0] == "check" {
		return runConfigCheck(ctx, m, args[1:])
	}
	fs := m.flags("config", configUsage)
	fs.Usage = func() { fmt.Fprintf(m.Stdout, "Usage: warden %s\n", configUsage) }
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(m.Stderr, "warden: unknown config subcommand %q\nRun \"warden config --help\" for usage.\n", args[0])
		return errUsage
	}
	if err := m.parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "warden: config needs a subcommand\nRun \"warden config --help\" for usage.\n")
	return errUsage
}

// configFlag declares the --config flag every command that reads the
// configuration takes.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "configuration file (default $WARDEN_CONFIG, else ./warden.yaml)")
}

// configPath returns the configuration file to use: flag, then
// $WARDEN_CONFIG, then ./warden.yaml.
func (m *Main) configPath(flag string) string {
	if flag != "" {
		return flag
	}
	if p := m.Getenv("WARDEN_CONFIG"); p != "" {
		return p
	}
	return "warden.yaml"
}

func runConfigCheck(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("config check", configCheckUsage)
	file := configFlag(fs)
	show := fs.Bool("show", false, "also print the effective configuration (defaults filled, secrets redacted)")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	path := m.configPath(*file)
	c, err := config.Load(path, m.Getenv)
	if errors.Is(err, os.ErrNotExist) {
		return &warden.Error{Kind: warden.ENOTFOUND, Message: fmt.Sprintf("%s not found (give --config FILE or set WARDEN_CONFIG)", path), Err: err}
	}
	if err != nil {
		return configError(m.Stderr, path, err)
	}
	fmt.Fprintf(m.Stdout, "%s: ok (%s, %s, %s, %s, %s)\n", path,
		count(len(c.Orgs), "org"), count(len(c.Users), "user"), count(len(c.Credentials), "credential"),
		count(len(c.Dependents), "dependent"), count(len(c.Notifications), "notification channel"))
	if *show {
		fmt.Fprintf(m.Stdout, "\n%s", c)
	}
	return nil
}

// configError prints the problems of a configuration, one per line, and
// returns an EINVALID error summing them up; other errors pass through.
func configError(w io.Writer, path string, err error) error {
	var se *strictyaml.Error
	if !errors.As(err, &se) {
		return err
	}
	for _, p := range se.Problems {
		fmt.Fprintln(w, p)
	}
	msg := fmt.Sprintf("%s: %s", path, count(len(se.Problems), "problem"))
	if len(se.Problems) > strictyaml.MaxProblems { // the last line counts the rest
		msg = fmt.Sprintf("%s: more than %d problems", path, strictyaml.MaxProblems)
	}
	return &warden.Error{Kind: warden.EINVALID, Message: msg, Err: err}
}

// count formats n things, in the plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
