package main

// Access control (issue 12): the auth.Service of a configuration, the
// identity CLI commands act as, and flag parsing with one positional
// argument, shared by warden user, warden token, warden audit-log and
// serve.

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
)

// access returns the access control of e's configuration over e's store.
// With OIDC configured it reads the client secret from its secret store
// and the provider's discovery document.
func (e *env) access(ctx context.Context) (*auth.Service, error) {
	a := e.cfg.Auth
	o := auth.Options{
		Secure:      e.cfg.TLS.Enabled() || a.SecureCookies,
		SessionTTL:  a.Session.TTL.D(),
		IdleTimeout: a.Session.IdleTimeout.D(),
		LockAfter:   a.Lockout.After,
		LockFor:     a.Lockout.Duration.D(),
		IPFailures:  a.Lockout.IPFailures,
		Logger:      e.logger,
	}
	if c := a.OIDC; c != nil {
		store, ok := e.secrets[c.ClientSecret.Store]
		if !ok {
			return nil, warden.Errorf(warden.EINVALID, "auth.oidc.clientSecret: secret store %q not found", c.ClientSecret.Store)
		}
		secret, err := store.Get(ctx, c.ClientSecret.Key, warden.StageCurrent)
		if err != nil {
			return nil, warden.Prefix("auth.oidc.clientSecret", err)
		}
		mapping := map[string]warden.Role{}
		for k, v := range c.RoleMapping {
			mapping[k] = warden.Role(v)
		}
		o.OIDC, err = auth.NewOIDC(ctx, auth.OIDCConfig{Name: c.Name, Issuer: c.Issuer, ClientID: c.ClientID,
			ClientSecret: string(secret.Value), RedirectURL: c.RedirectURL, Scopes: c.Scopes, RoleClaim: c.RoleClaim,
			RoleMapping: mapping, DefaultRole: warden.Role(c.DefaultRole), AllowedDomains: c.AllowedDomains, HTTPClient: sharedHTTP})
		if err != nil {
			return nil, err
		}
	}
	return auth.New(e.store, o), nil
}

// cliContext returns ctx acting for the operating-system user who runs
// the command, on this host: what the audit log records for CLI changes.
// Whoever can run warden with the server's configuration can read its
// database, so the CLI acts as admin.
func (m *Main) cliContext(ctx context.Context) context.Context {
	name := m.Getenv("USER")
	if name == "" {
		name = m.Getenv("LOGNAME")
	}
	if name == "" {
		name = fmt.Sprintf("uid %d", os.Getuid())
	}
	ctx = warden.WithPrincipal(ctx, warden.Principal{Kind: "cli", Name: name, Role: warden.RoleAdmin})
	return auth.WithSource(ctx, "local")
}

// parseArgs parses flags that may come before, between or after the
// positional arguments, and returns those, failing with a usage error
// unless there are exactly want of them.
func (m *Main) parseArgs(fs *flag.FlagSet, args []string, want int, what string) ([]string, error) {
	pos, err := m.positional(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != want {
		fmt.Fprintf(m.Stderr, "warden: %s needs %s\nRun \"%s --help\" for usage.\n", fs.Name(), what, fs.Name())
		return nil, errUsage
	}
	return pos, nil
}

// positional parses flags that may come before, between or after the
// positional arguments, and returns those.
func (m *Main) positional(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, m.parse(fs, args) // reports the error as every command does
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// subcommand reports a missing or unknown subcommand of name.
func (m *Main) subcommand(name, sub, list string) error {
	if sub == "" || sub == "-h" || sub == "--help" || sub == "-help" {
		if sub != "" {
			return flag.ErrHelp
		}
		fmt.Fprintf(m.Stderr, "warden: %s needs a subcommand (%s)\nRun \"warden %s --help\" for usage.\n", name, list, name)
		return errUsage
	}
	fmt.Fprintf(m.Stderr, "warden: unknown %s subcommand %q (%s)\nRun \"warden %s --help\" for usage.\n", name, sub, list, name)
	return errUsage
}

// listenerTLS returns the TLS configuration of serve's listener, or nil
// without tls in the configuration.
func listenerTLS(cfg *config.Config) (*tls.Config, error) {
	if !cfg.TLS.Enabled() {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.Resolve(cfg.TLS.CertFile), cfg.Resolve(cfg.TLS.KeyFile))
	if err != nil {
		return nil, &warden.Error{Kind: warden.EINVALID, Op: "tls", Message: "tls: cannot load the certificate and key " +
			"(PEM files: tls.certFile, tls.keyFile)", Err: err}
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// withAccess serves the login, logout and single sign-on routes of a in
// front of site; under TLS it also tells browsers to keep to HTTPS.
func withAccess(site http.Handler, a *auth.Service, hsts bool) http.Handler {
	mux := http.NewServeMux()
	h := a.Handler()
	mux.Handle("/login", h)
	mux.Handle("/logout", h)
	mux.Handle("/auth/", h)
	mux.Handle("/", site)
	if !hsts {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		mux.ServeHTTP(w, r)
	})
}

// warnNoAccounts says how to create the first account when there is none
// and no single sign-on: until then nobody can log in.
func (e *env) warnNoAccounts(ctx context.Context, a *auth.Service) {
	if e.cfg.Auth.OIDC != nil {
		return
	}
	if accounts, err := a.Accounts(ctx); err == nil && len(accounts) == 0 {
		e.logger.Warn("there are no accounts yet, so nobody can log in to the dashboard: " +
			"create one with \"warden user create --role admin USERNAME\"")
	}
}

// pruneSessions deletes ended sessions now and then every interval until
// ctx ends.
func (e *env) pruneSessions(ctx context.Context, a *auth.Service, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := a.PruneSessions(ctx); err != nil && ctx.Err() == nil {
			e.logger.Warn("pruning sessions failed", "err", warden.ErrorMessage(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// demoAdmin gives the demo an admin account named admin with a new
// random password, which it returns to be printed once: created on the
// first run, its password reset on later ones.
func (m *Main) demoAdmin(ctx context.Context, e *env) (string, error) {
	a, err := e.access(ctx)
	if err != nil {
		return "", err
	}
	ctx = m.cliContext(ctx)
	password := auth.GeneratePassword()
	if _, err := e.store.Account(ctx, "admin"); err == nil {
		return password, a.ResetPassword(ctx, "admin", password)
	}
	_, err = a.CreateAccount(ctx, "admin", warden.RoleAdmin, password)
	return password, err
}
