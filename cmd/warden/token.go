package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
)

func init() {
	register("token", "manage API tokens for automation (token create, list, revoke)", runToken)
}

const tokenUsage = `token SUBCOMMAND [--config FILE] ...

Manages the API tokens that scripts, CI jobs and Prometheus use with the
JSON API and /metrics ("Authorization: Bearer TOKEN"):

  token create --name NAME --role admin|operator|viewer [--expires 90d]
  token list [--json]
  token revoke ID

create prints the token (wat_...) once: Warden keeps only its SHA-256
hash. --expires takes a duration such as 90d, 12h or 30m (default: never).
A revoked token stops working at once. Every change is recorded in the
audit log. See docs/dashboard.md#api-tokens.`

func runToken(ctx context.Context, m *Main, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "create":
		return runTokenCreate(ctx, m, args)
	case "list":
		return runTokenList(ctx, m, args)
	case "revoke":
		return runTokenRevoke(ctx, m, args)
	case "-h", "--help", "-help":
		fmt.Fprintf(m.Stdout, "Usage: warden %s\n", tokenUsage)
		return nil
	}
	return m.subcommand("token", sub, "create, list, revoke")
}

// parseLifetime parses a duration, accepting a number of days ("90d").
func parseLifetime(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 3650 {
			return 0, warden.Errorf(warden.EINVALID, "--expires %q: want a number of days from 1 to 3650, such as 90d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Minute {
		return 0, warden.Errorf(warden.EINVALID, "--expires %q: want a duration of at least 1m, such as 90d, 12h or 30m", s)
	}
	return d, nil
}

func runTokenCreate(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("token create", tokenUsage)
	file := configFlag(fs)
	name := fs.String("name", "", "what the token is for (shown in lists and the audit log)")
	roleName := fs.String("role", "", "the token's role: admin, operator or viewer")
	expires := fs.String("expires", "", "lifetime, such as 90d or 12h (default: until revoked)")
	if _, err := m.parseArgs(fs, args, 0, "no arguments"); err != nil {
		return err
	}
	role, err := roleFlag(*roleName)
	if err != nil {
		return err
	}
	ttl, err := parseLifetime(*expires)
	if err != nil {
		return err
	}
	ctx, e, svc, err := m.openAccess(ctx, *file)
	if err != nil {
		return err
	}
	defer e.Close()
	token, t, err := svc.CreateToken(ctx, *name, role, ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Created %s token %s (id %s)", role, t.Name, t.ID)
	if !t.ExpiresAt.IsZero() {
		fmt.Fprintf(m.Stdout, ", expiring %s", t.ExpiresAt.Format(time.RFC3339))
	}
	fmt.Fprintf(m.Stdout, ".\nThe token, shown only now:\n%s\n", token)
	return nil
}

func runTokenList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("token list", tokenUsage)
	file := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := m.parseArgs(fs, args, 0, "no arguments"); err != nil {
		return err
	}
	ctx, e, svc, err := m.openAccess(ctx, *file)
	if err != nil {
		return err
	}
	defer e.Close()
	tokens, err := svc.Tokens(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(m.Stdout, nonNil(tokens))
	}
	if len(tokens) == 0 {
		fmt.Fprintln(m.Stdout, "No API tokens. Create one with: warden token create --name NAME --role viewer")
		return nil
	}
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tEXPIRES\tLAST USED\tSTATE")
	now := time.Now()
	for _, t := range tokens {
		state := "active"
		switch {
		case !t.RevokedAt.IsZero():
			state = "revoked " + t.RevokedAt.Format(time.RFC3339)
		case !t.Active(now):
			state = "expired"
		}
		expires := "never"
		if !t.ExpiresAt.IsZero() {
			expires = t.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.CreatedAt.Format(time.RFC3339), expires, orNever(t.LastUsedAt), state)
	}
	return tw.Flush()
}

func runTokenRevoke(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("token revoke", tokenUsage)
	file := configFlag(fs)
	pos, err := m.parseArgs(fs, args, 1, "one token ID (see warden token list)")
	if err != nil {
		return err
	}
	ctx, e, svc, err := m.openAccess(ctx, *file)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := svc.RevokeToken(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Revoked API token %s.\n", pos[0])
	return nil
}
