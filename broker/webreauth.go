package broker

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
)

// PendingReauthTTL is how long a re-authorization started from the
// dashboard waits for its callback.
const PendingReauthTTL = 10 * time.Minute

// Auditor records what a principal did, with who and from where taken
// from ctx (access control's audit log satisfies it).
type Auditor interface {
	Audit(ctx context.Context, action, target string, result error) error
}

// WebReauthorizer re-authorizes refresh-token credentials from the
// dashboard, with the callback on warden serve's own listener: Reauthorize
// starts a pending authorization and returns the Salesforce authorization
// URL; ServeHTTP is the callback, which completes it. A pending
// authorization is bound to its random state, used at most once, and
// expires after PendingReauthTTL. Its fields must be set before use.
type WebReauthorizer struct {
	// Registry reads and writes the credential and its material; Users
	// and Credentials find the user's credential.
	Registry    *credential.Registry
	Users       warden.UserService
	Credentials warden.CredentialService
	// Callback is the absolute URL of ServeHTTP (serve's
	// {server.publicUrl}/oauth/callback); it must equal the connected
	// app's callback URL.
	Callback string
	// Scope is the OAuth scopes to ask for (default "api refresh_token").
	Scope string
	// Auditor records each completed or failed re-authorization as the
	// principal who started it; nil records none.
	Auditor Auditor
	// Logger receives failures (default: discard).
	Logger *slog.Logger

	mu      sync.Mutex
	pending map[string]pendingReauth // by state
}

// pendingReauth is one started re-authorization.
type pendingReauth struct {
	org, username string
	verifier      string
	expires       time.Time
	// principal started it; the callback audits as them.
	principal    warden.Principal
	hasPrincipal bool
}

// Reauthorize starts a re-authorization of the user's refresh-token
// credential and returns the URL of the connected app's authorization
// page, which comes back to w.Callback.
func (w *WebReauthorizer) Reauthorize(ctx context.Context, org, username string) (string, error) {
	t, err := reauthTarget(ctx, w.Registry, w.Users, w.Credentials, org, username)
	if err != nil {
		return "", err
	}
	scope := w.Scope
	if scope == "" {
		scope = "api refresh_token"
	}
	a := credential.StartWebLogin(t.client, t.cred.ClientID, w.Callback, scope)
	p := pendingReauth{org: t.user.Org, username: t.user.Username, verifier: a.Verifier, expires: time.Now().Add(PendingReauthTTL)}
	p.principal, p.hasPrincipal = warden.PrincipalFrom(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	for s, q := range w.pending {
		if now.After(q.expires) {
			delete(w.pending, s)
		}
	}
	if w.pending == nil {
		w.pending = map[string]pendingReauth{}
	}
	w.pending[a.State] = p
	return a.URL, nil
}

// take removes and returns the pending re-authorization of state, unless
// it is unknown, used or expired.
func (w *WebReauthorizer) take(state string) (pendingReauth, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p, ok := w.pending[state]
	if !ok {
		return p, false
	}
	delete(w.pending, state)
	return p, time.Now().Before(p.expires)
}

// ServeHTTP is the OAuth callback. It refuses a state it did not start
// (or one used or expired) with 400; otherwise it trades the code for
// tokens, stores the new refresh token as Reauthorize's command-line twin
// does, audits the result and redirects to the user's page with
// ?reauthorized=1.
func (w *WebReauthorizer) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := w.take(q.Get("state"))
	if !ok || q.Get("state") == "" {
		reauthPage(rw, http.StatusBadRequest, "This is not an authorization Warden is waiting for: its state is unknown, already used or expired (after %s). Start the re-authorization again from the user's page.", PendingReauthTTL)
		return
	}
	ctx := r.Context()
	if p.hasPrincipal {
		ctx = warden.WithPrincipal(ctx, p.principal)
	}
	err := w.complete(ctx, p, q)
	if w.Auditor != nil {
		w.Auditor.Audit(ctx, "user.reauthorize", p.org+"/"+p.username, err)
	}
	if err != nil {
		w.logger().Warn("re-authorization failed", "org", p.org, "user", p.username, "err", warden.ErrorMessage(err))
		reauthPage(rw, warden.HTTPStatus(err), "The re-authorization of %s failed: %s", p.username, warden.ErrorMessage(err))
		return
	}
	http.Redirect(rw, r, "/users/"+url.PathEscape(p.org)+"/"+url.PathEscape(p.username)+"?reauthorized=1", http.StatusSeeOther)
}

// complete trades the callback's code and stores the new refresh token.
func (w *WebReauthorizer) complete(ctx context.Context, p pendingReauth, q url.Values) error {
	code, err := credential.CallbackCode(q)
	if err != nil {
		return err
	}
	t, err := reauthTarget(ctx, w.Registry, w.Users, w.Credentials, p.org, p.username)
	if err != nil {
		return err
	}
	tok, err := credential.CompleteWebLogin(ctx, t.client, t.cred.ClientID, t.material.ClientSecret, w.Callback, code, p.verifier)
	if err != nil {
		return err
	}
	return t.store(ctx, w.Registry, w.Credentials, tok)
}

func (w *WebReauthorizer) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}

// reauthPage answers the browser with a one-paragraph page.
func reauthPage(w http.ResponseWriter, status int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>Warden</title><p>%s</p>", html.EscapeString(fmt.Sprintf(format, args...)))
}
