package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/wardenhq/warden/broker"
)

// reauthCallbackPath is where warden serve takes the OAuth callback of a
// re-authorization started from the dashboard. The connected app's
// callback URL must be {server.publicUrl}/oauth/callback (or the listen
// address's URL when publicUrl is unset); docs/broker.md#dashboard.
const reauthCallbackPath = "/oauth/callback"

// webReauthorizer is the dashboard's re-authorize action (issue 10): base
// is the server's URL, which server.publicUrl overrides.
func (e *env) webReauthorizer(base string, auditor broker.Auditor, logger *slog.Logger) *broker.WebReauthorizer {
	if p := strings.TrimRight(e.cfg.Server.PublicURL, "/"); p != "" {
		base = p
	} else if u, err := url.Parse(base); err == nil {
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
			logger.Warn("server.publicUrl is not set and server.addr names no host: the dashboard's re-authorizations "+
				"send Salesforce the callback "+base+reauthCallbackPath+", which no browser reaches; set server.publicUrl", "addr", u.Host)
		}
	}
	return &broker.WebReauthorizer{Registry: e.creds, Users: e.store, Credentials: e.store,
		Callback: base + reauthCallbackPath, Auditor: auditor, Logger: logger}
}

// withReauthCallback serves the anonymous, state-bound re-authorization
// callback next to site (the dashboard), in front of its authentication.
func withReauthCallback(site http.Handler, cb http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+reauthCallbackPath, cb)
	mux.Handle("/", site)
	return mux
}
