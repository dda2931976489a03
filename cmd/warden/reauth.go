package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden/broker"
	"github.com/wardenhq/warden/credential"
)

func init() {
	register("reauth", "re-authorize a user whose refresh token was revoked or expired", runReauth)
}

const reauthUsage = `reauth USERNAME --callback 127.0.0.1:PORT [--org ORG] [--scope SCOPES] [--timeout 5m] [--config FILE] [-v]

Re-authorizes an integration user whose refresh token was revoked or
expired (cause refresh_token_revoked): prints the authorization link of
the user's connected app, waits on the callback for the browser to come
back (OAuth web-server flow with PKCE), checks the browser logged in as
that user, and stores the new refresh token as the credential's current
secret version. The applications change nothing: a running warden serve
reads the new token once its pause after the failed login ends
(broker.failurePause, default 30s), and its monitor announces the recovery
on its next credential check. --callback must equal the connected app's
callback URL; HOST:PORT means http://HOST:PORT/oauth/callback.`

func runReauth(ctx context.Context, m *Main, args []string) error {
	const cmd = "reauth"
	fs := m.flags(cmd, reauthUsage)
	file := configFlag(fs)
	org := fs.String("org", "", "the user's org (needed only when the username is in several)")
	callback := fs.String("callback", "", "the connected app's callback, http://127.0.0.1:PORT/PATH or 127.0.0.1:PORT")
	scope := fs.String("scope", "api refresh_token", "OAuth scopes to ask for")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long to wait for the browser")
	verbose := fs.Bool("v", false, "log progress")
	var username string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		username, args = args[0], args[1:]
	}
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if username == "" {
		return m.badFlag(cmd, "give the username to re-authorize")
	}
	if *callback == "" {
		return m.badFlag(cmd, "--callback is required (the connected app's callback URL, on this machine)")
	}
	redirect, err := credential.CallbackURL(*callback)
	if err != nil {
		return m.badFlag(cmd, "--callback: %v", err)
	}
	logger := m.cliLogger(*verbose)
	e, err := m.openInventory(ctx, *file, logger)
	if err != nil {
		return err
	}
	defer e.Close()
	cred, err := broker.Reauthorize(ctx, broker.ReauthOptions{Registry: e.creds, Users: e.store, Credentials: e.store, Orgs: e.store, Org: *org, Username: username,
		Callback: redirect, Scope: *scope, Timeout: *timeout, Out: m.Stdout, OnAuthorize: m.readyAuthorize, Logger: logger})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Stored the new refresh token of %s as credential %s's current version.\n"+
		"A running warden serve uses it once its pause after the failed login ends; its monitor announces the recovery.\n", username, cred)
	return nil
}
