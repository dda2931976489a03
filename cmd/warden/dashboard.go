package main

import (
	"context"
	"log/slog"

	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/web"
)

// accessControl puts access control in front of the dashboard once the
// store has an account or an API token: the Middleware authenticates every
// request, the Handler serves /login and /logout, and actions are audited.
// Without either, nobody could log in, so the server has no access
// control: loopback clients (every client with --allow-remote-reads) read
// everything and change nothing.
func (e *env) accessControl(ctx context.Context, srv *web.Server, logger *slog.Logger) error {
	accounts, err := e.store.Accounts(ctx)
	if err != nil {
		return err
	}
	tokens, err := e.store.APITokens(ctx)
	if err != nil {
		return err
	}
	if len(accounts) == 0 && len(tokens) == 0 {
		logger.Info("no account or API token: the dashboard has no access control and only reads (warden user create adds one)")
		return nil
	}
	svc := auth.New(e.store, auth.Options{Logger: logger})
	srv.Authenticate, srv.Login, srv.Auditor = svc.Middleware, svc.Handler(), svc
	return nil
}
