package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/web"
)

func init() {
	register("status", "show every integration user's health", runStatus)
}

const statusUsage = `status [--config FILE] [--json]

Shows every integration user's state (ok, degraded, error, unknown), its
cause, since when, when Warden last tried its credential and when it
will next, and the fix, as last recorded by "warden serve" (or "warden
check"). --json prints the document /api/status serves: an array of
objects with org, username, state, cause, since, fix, evidence,
warnings, checkedAt, credentialCheckedAt and nextCredentialCheck (a time
that never happened is left out).`

func runStatus(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("status", statusUsage)
	file := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	e, err := m.openInventory(ctx, *file, discardLogger())
	if err != nil {
		return err
	}
	defer e.Close()
	statuses, err := e.store.Statuses(ctx, warden.StatusFilter{})
	if err != nil {
		return err
	}
	if *asJSON {
		return web.WriteStatuses(m.Stdout, statuses)
	}
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "ORG\tUSER\tSTATE\tCAUSE\tSINCE\tCREDENTIAL CHECKED\tNEXT CHECK\tFIX")
	for _, s := range statuses {
		fix := s.Fix
		if fix == "" && len(s.Warnings) > 0 {
			fix = "warning: " + strings.Join(s.Warnings, "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Org, s.Username, s.State, orDash(string(s.Cause)),
			timeOrDash(s.Since), timeOrDash(s.CredentialCheckedAt), timeOrDash(s.NextCredentialCheck), orDash(fix))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// timeOrDash formats t for a table, or "-" when it is zero.
func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}
