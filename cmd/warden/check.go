package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/wardenhq/warden"
)

func init() {
	register("check", "check one integration user now", runCheck)
}

const checkUsage = `check [--config FILE] [--json] [ORG/]USERNAME

Reads the user's state from Salesforce and tries its credential now,
records the result, and prints its state, cause, evidence and fix. It
exits 1 when the user is in error.`

func runCheck(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("check", checkUsage)
	file := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(reorder(args)); err != nil {
		return m.parse(fs, args)
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(m.Stderr, "warden: check needs one USERNAME (or ORG/USERNAME)\n")
		return errUsage
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	org, username, err := findUser(ctx, e.store, fs.Arg(0))
	if err != nil {
		return err
	}
	mon, err := e.monitor(ctx, nil, nil)
	if err != nil {
		return err
	}
	s, err := mon.Check(ctx, org, username)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(m.Stdout, s); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(m.Stdout, "%s %s: %s", s.Org, s.Username, s.State)
		if s.Cause != "" {
			fmt.Fprintf(m.Stdout, " (%s)", s.Cause)
		}
		fmt.Fprintln(m.Stdout)
		if s.Evidence != "" {
			fmt.Fprintf(m.Stdout, "  evidence: %s\n", s.Evidence)
		}
		if s.Fix != "" {
			fmt.Fprintf(m.Stdout, "  fix:      %s\n", s.Fix)
		}
		for _, w := range s.Warnings {
			fmt.Fprintf(m.Stdout, "  warning:  %s\n", w)
		}
	}
	if s.State == warden.StateError {
		return errFailed
	}
	return nil
}

// findUser resolves USERNAME or ORG/USERNAME against the inventory.
func findUser(ctx context.Context, store warden.Store, arg string) (org, username string, err error) {
	if o, u, ok := strings.Cut(arg, "/"); ok {
		if _, err := store.User(ctx, o, u); err != nil {
			return "", "", err
		}
		return o, u, nil
	}
	users, err := store.Users(ctx, warden.UserFilter{})
	if err != nil {
		return "", "", err
	}
	var found []*warden.IntegrationUser
	for _, u := range users {
		if strings.EqualFold(u.Username, arg) {
			found = append(found, u)
		}
	}
	switch len(found) {
	case 0:
		return "", "", warden.Errorf(warden.ENOTFOUND, "no integration user %q in the inventory (see warden users)", arg)
	case 1:
		return found[0].Org, found[0].Username, nil
	}
	return "", "", warden.Errorf(warden.EINVALID, "%q is in several orgs; write ORG/USERNAME", arg)
}

// reorder moves flags before positional arguments, so that
// "check USER --json" works like "check --json USER".
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
			if (a == "--config" || a == "-config") && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}
