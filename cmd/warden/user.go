package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/auth"
)

func init() {
	register("user", "manage the dashboard's local accounts (user create, list, delete, set-role, reset-password)", runUser)
}

const userUsage = `user SUBCOMMAND [--config FILE] ...

Manages the local accounts of the dashboard and JSON API:

  user create --role admin|operator|viewer [--generate] USERNAME
  user list [--json]
  user delete USERNAME
  user set-role --role admin|operator|viewer USERNAME
  user reset-password [--generate] USERNAME

create and reset-password read the password from the terminal (twice,
without echo) or from the first line of standard input; with --generate
they make a random one and print it once. Passwords have at least 12
characters and are kept only as argon2id hashes. set-role, reset-password
and delete end the account's sessions. Every change is recorded in the
audit log as the operating-system user who ran the command. Roles: viewer
reads; operator also checks users, acknowledges alerts and rotates
credentials; admin also manages configuration, accounts, API tokens and
broker keys. See docs/dashboard.md#accounts-and-roles.`

func runUser(ctx context.Context, m *Main, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "create":
		return runUserCreate(ctx, m, args)
	case "list":
		return runUserList(ctx, m, args)
	case "delete":
		return runUserDelete(ctx, m, args)
	case "set-role":
		return runUserSetRole(ctx, m, args)
	case "reset-password":
		return runUserResetPassword(ctx, m, args)
	case "-h", "--help", "-help":
		fmt.Fprintf(m.Stdout, "Usage: warden %s\n", userUsage)
		return nil
	}
	return m.subcommand("user", sub, "create, list, delete, set-role, reset-password")
}

// openAccess opens the store of the configuration file and its access
// control, acting as the CLI's user.
func (m *Main) openAccess(ctx context.Context, file string) (context.Context, *env, *auth.Service, error) {
	e, err := m.openInventoryToAdd(ctx, file, discardLogger())
	if err != nil {
		return ctx, nil, nil, err
	}
	// OIDC is not needed to manage accounts or tokens: it is left out, so
	// that these commands work while the provider is unreachable.
	cfgNoSSO := *e.cfg
	cfgNoSSO.Auth.OIDC = nil
	e.cfg = &cfgNoSSO
	svc, err := e.access(ctx)
	if err != nil {
		e.Close()
		return ctx, nil, nil, err
	}
	return m.cliContext(ctx), e, svc, nil
}

// roleFlag parses a --role value.
func roleFlag(s string) (warden.Role, error) {
	r := warden.Role(s)
	if !r.Valid() {
		if s == "" {
			return "", warden.Errorf(warden.EINVALID, "--role is required: admin, operator or viewer")
		}
		return "", warden.Errorf(warden.EINVALID, "--role %q is not admin, operator or viewer", s)
	}
	return r, nil
}

func runUserCreate(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("user create", userUsage)
	file := configFlag(fs)
	roleName := fs.String("role", "", "the account's role: admin, operator or viewer")
	generate := fs.Bool("generate", false, "generate a password and print it once")
	pos, err := m.parseArgs(fs, args, 1, "one USERNAME")
	if err != nil {
		return err
	}
	role, err := roleFlag(*roleName)
	if err != nil {
		return err
	}
	ctx, e, svc, err := m.openAccess(ctx, *file)
	if err != nil {
		return err
	}
	defer e.Close()
	password, err := m.newPassword(*generate)
	if err != nil {
		return err
	}
	if _, err := svc.CreateAccount(ctx, pos[0], role, password); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Created %s account %s.\n", role, pos[0])
	if *generate {
		fmt.Fprintf(m.Stdout, "Its password, shown only now: %s\n", password)
	}
	return nil
}

func runUserResetPassword(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("user reset-password", userUsage)
	file := configFlag(fs)
	generate := fs.Bool("generate", false, "generate a password and print it once")
	pos, err := m.parseArgs(fs, args, 1, "one USERNAME")
	if err != nil {
		return err
	}
	ctx, e, svc, err := m.openAccess(ctx, *file)
	if err != nil {
		return err
	}
	defer e.Close()
	if _, err := e.store.Account(ctx, pos[0]); err != nil {
		return err
	}
	password, err := m.newPassword(*generate)
	if err != nil {
		return err
	}
	if err := svc.ResetPassword(ctx, pos[0], password); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Reset the password of %s; its sessions have ended and it is unlocked.\n", pos[0])
	if *generate {
		fmt.Fprintf(m.Stdout, "Its password, shown only now: %s\n", password)
	}
	return nil
}

func runUserSetRole(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("user set-role", userUsage)
	file := configFlag(fs)
	roleName := fs.String("role", "", "the new role: admin, operator or viewer")
	pos, err := m.parseArgs(fs, args, 1, "one USERNAME")
	if err != nil {
		return err
	}
	role, err := roleFlag(*roleName)
	if err != nil {
		return err
	}
	ctx, e, svc, err := m.openAccess(ctx, *file)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := svc.SetRole(ctx, pos[0], role); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%s is now %s; its sessions have ended.\n", pos[0], role)
	return nil
}

func runUserDelete(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("user delete", userUsage)
	file := configFlag(fs)
	pos, err := m.parseArgs(fs, args, 1, "one USERNAME")
	if err != nil {
		return err
	}
	ctx, e, svc, err := m.openAccess(ctx, *file)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := svc.DeleteAccount(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Deleted account %s and its sessions.\n", pos[0])
	return nil
}

func runUserList(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("user list", userUsage)
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
	accounts, err := svc.Accounts(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(m.Stdout, nonNil(accounts))
	}
	if len(accounts) == 0 {
		fmt.Fprintln(m.Stdout, "No accounts. Create one with: warden user create --role admin USERNAME")
		return nil
	}
	tw := table(m.Stdout)
	fmt.Fprintln(tw, "USERNAME\tROLE\tCREATED\tLAST LOGIN\tSTATE")
	now := time.Now()
	for _, a := range accounts {
		state := "active"
		if now.Before(a.LockedUntil) {
			state = "locked until " + a.LockedUntil.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Username, a.Role, a.CreatedAt.Format(time.RFC3339), orNever(a.LastLoginAt), state)
	}
	return tw.Flush()
}

// orNever formats t, or "never" for the zero time.
func orNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format(time.RFC3339)
}

// newPassword returns a generated password, or the one the user types
// (twice, without echo) at a terminal, or the first line of stdin.
func (m *Main) newPassword(generate bool) (string, error) {
	if generate {
		return auth.GeneratePassword(), nil
	}
	if f, ok := m.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(m.Stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(m.Stderr)
		if err != nil {
			return "", warden.Errorf(warden.EINVALID, "cannot read the password from the terminal")
		}
		fmt.Fprint(m.Stderr, "Repeat it: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(m.Stderr)
		if err != nil || string(p1) != string(p2) {
			return "", warden.Errorf(warden.EINVALID, "the two passwords differ")
		}
		return string(p1), nil
	}
	if m.Stdin == nil {
		return "", warden.Errorf(warden.EINVALID, "give the password on standard input, or use --generate")
	}
	line, err := bufio.NewReader(io.LimitReader(m.Stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", warden.Errorf(warden.EINVALID, "cannot read the password from standard input")
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", warden.Errorf(warden.EINVALID, "standard input held no password; give one, or use --generate")
	}
	return line, nil
}
