package main

import (
	"context"
	"fmt"
	"time"

	"github.com/wardenhq/warden/auth"
)

func init() {
	register("audit-log", "show or verify the audit log of who did what (audit-log list, verify)", runAuditLog)
}

const auditLogUsage = `audit-log SUBCOMMAND [--config FILE] ...

The audit log records every action on the dashboard, the JSON API and the
access-control commands: who (an account, OIDC identity, API token or the
CLI's operating-system user), what, to which target, when, from which
address, and the result. It is append-only and hash-chained.

  audit-log list [--after SEQ] [--limit N] [--json]
  audit-log verify [--json]

verify recomputes every entry's hash and the links between them, and
compares the last entry with the head checkpoint. It exits 0 when the
chain is intact and 1 when an entry was changed, deleted or inserted or
the tail was cut off, listing where; it prints the head (seq and hash) to
keep elsewhere, since a log rewritten together with its head can only be
caught against an outside copy. See docs/dashboard.md#audit-log.`

func runAuditLog(ctx context.Context, m *Main, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "list":
		return runAuditLogList(ctx, m, args)
	case "verify":
		return runAuditLogVerify(ctx, m, args)
	case "-h", "--help", "-help":
		fmt.Fprintf(m.Stdout, "Usage: warden %s\n", auditLogUsage)
		return nil
	}
	return m.subcommand("audit-log", sub, "list, verify")
}

func runAuditLogList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("audit-log list", auditLogUsage)
	file := configFlag(fs)
	after := fs.Int64("after", 0, "show entries after this sequence number")
	limit := fs.Int("limit", 100, "show at most this many entries (0: all)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := m.parseArgs(fs, args, 0, "no arguments"); err != nil {
		return err
	}
	ctx, e, _, err := m.openAccess(ctx, *file)
	if err != nil {
		return err
	}
	defer e.Close()
	entries, err := e.store.AuditEntries(ctx, *after, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(m.Stdout, nonNil(entries))
	}
	if len(entries) == 0 {
		fmt.Fprintln(m.Stdout, "The audit log has no entries here.")
		return nil
	}
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "SEQ\tAT\tACTOR\tACTION\tTARGET\tFROM\tRESULT")
	for _, en := range entries {
		result := en.Result
		if en.Detail != "" {
			result += ": " + en.Detail
		}
		fmt.Fprintf(tw, "%d\t%s\t%s:%s\t%s\t%s\t%s\t%s\n", en.Seq, en.At.Format(time.RFC3339), en.Actor.Kind, en.Actor.Name,
			en.Action, en.Target, en.From, result)
	}
	return tw.Flush()
}

func runAuditLogVerify(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("audit-log verify", auditLogUsage)
	file := configFlag(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := m.parseArgs(fs, args, 0, "no arguments"); err != nil {
		return err
	}
	ctx, e, _, err := m.openAccess(ctx, *file)
	if err != nil {
		return err
	}
	defer e.Close()
	r, err := auth.VerifyAuditLog(ctx, e.store)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(m.Stdout, struct {
			OK bool `json:"ok"`
			*auth.AuditReport
		}{r.OK(), r}); err != nil {
			return err
		}
	} else if r.OK() {
		fmt.Fprintf(m.Stdout, "The audit log is intact: %d entries, head %d %s\n", r.Entries, r.Head.Seq, r.Head.Hash)
	} else {
		fmt.Fprintf(m.Stdout, "The audit log has been tampered with (%d entries read, head %d %s):\n", r.Entries, r.Head.Seq, r.Head.Hash)
		for _, p := range r.Problems {
			fmt.Fprintf(m.Stdout, "  entry %d: %s\n", p.Seq, p.Problem)
		}
	}
	if !r.OK() {
		return errFailed
	}
	return nil
}
