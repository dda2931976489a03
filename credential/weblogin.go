package credential

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// CallbackURL checks the callback of a web login: a loopback http URL with
// a port, or HOST:PORT for http://HOST:PORT/oauth/callback. It returns the
// URL in the form to register in the connected app.
func CallbackURL(s string) (string, error) {
	raw := s
	if !strings.Contains(s, "://") {
		raw = "http://" + s + "/oauth/callback"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", warden.Errorf(warden.EINVALID, "%q is not a URL or HOST:PORT", s)
	}
	if u.Scheme != "http" {
		return "", warden.Errorf(warden.EINVALID, "%q: Warden listens for the callback itself, so it must be http on a loopback address (the connected app's callback URL must be the same)", s)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", warden.Errorf(warden.EINVALID, "%q: the callback must be on a loopback address (127.0.0.1, [::1] or localhost)", s)
	}
	if p := u.Port(); p == "" || p == "0" {
		return "", warden.Errorf(warden.EINVALID, "%q: give the port of the connected app's callback URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", warden.Errorf(warden.EINVALID, "%q: no query, fragment or user info", s)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), nil
}

// WebLoginOptions configure WebLogin.
type WebLoginOptions struct {
	// Client is the client of the org's login URL.
	Client *salesforce.Client
	// ClientID is the connected app's consumer key; ClientSecret its
	// consumer secret, if the app requires one with PKCE.
	ClientID, ClientSecret string
	// Callback is the connected app's callback URL, as CallbackURL
	// returns it; WebLogin listens on its host and port.
	Callback string
	// Scope is the OAuth scopes to ask for; it must hold refresh_token.
	Scope string
	// Timeout bounds the wait for the browser.
	Timeout time.Duration
	// Out receives the instructions for the person at the browser.
	Out io.Writer
	// OnAuthorize, when set, receives the authorization URL once the
	// callback listens (tests drive the browser with it).
	OnAuthorize func(authURL string)
	// Logger receives progress (default: discard).
	Logger *slog.Logger
}

// WebLogin runs the OAuth web-server flow with PKCE: it listens for the
// callback on loopback, prints the authorization URL to o.Out, waits for
// the browser to come back with a code (checking the state), and trades
// the code and the PKCE verifier for tokens. The token must carry a
// refresh token; a token without one is revoked.
func WebLogin(ctx context.Context, o WebLoginOptions) (*salesforce.Token, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(o.Callback)
	if err != nil || u.Host == "" {
		return nil, warden.Errorf(warden.EINVALID, "callback %q is not a URL", o.Callback)
	}
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		return nil, warden.Errorf(warden.EUNAVAILABLE, "--callback: cannot listen on %s: %v", u.Host, err)
	}
	a := StartWebLogin(o.Client, o.ClientID, o.Callback, o.Scope)
	state, authURL := a.State, a.URL

	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	mux := http.NewServeMux()
	mux.HandleFunc(u.Path, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if q.Get("state") != state {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, "<!doctype html><title>Warden</title><p>This is not the answer Warden is waiting for (state mismatch).</p>")
			return
		}
		var res result
		if res.code, res.err = CallbackCode(q); res.err != nil && warden.ErrorKind(res.err) == warden.EINVALID {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, "<!doctype html><title>Warden</title><p>No authorization code in the callback.</p>")
			return
		} else if res.err != nil {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, "<!doctype html><title>Warden</title><p>Authorization refused: %s</p>", html.EscapeString(safeText(q.Get("error_description"))))
		} else {
			fmt.Fprint(w, "<!doctype html><title>Warden</title><p>Warden received the authorization. You can close this window.</p>")
		}
		select {
		case done <- res:
		default:
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	// Shutdown, not Close: the handler hands over the result before its
	// answer reaches the browser, and Close would cut that answer off.
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
	}()

	out := o.Out
	if out == nil {
		out = io.Discard
	}
	fmt.Fprintf(out, "Open this URL in a browser and log in as the user Warden should read the org as:\n\n  %s\n\nWaiting for the browser to come back to %s (for up to %s; Ctrl-C cancels)...\n", authURL, o.Callback, o.Timeout)
	if o.OnAuthorize != nil {
		o.OnAuthorize(authURL)
	}
	logger.Info("waiting for the authorization", "callback", o.Callback)
	timer := time.NewTimer(o.Timeout)
	defer timer.Stop()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		return nil, warden.Errorf(warden.EUNAVAILABLE, "canceled while waiting for the browser")
	case <-timer.C:
		return nil, warden.Errorf(warden.EUNAVAILABLE, "no authorization came back to %s within %s", o.Callback, o.Timeout)
	}
	if res.err != nil {
		return nil, res.err
	}
	tok, err := CompleteWebLogin(ctx, o.Client, o.ClientID, o.ClientSecret, o.Callback, res.code, a.Verifier)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(out, "Authorization received.")
	return tok, nil
}

// WebAuthorization is the first half of a web login: the authorization
// URL to send the browser to, the state its callback must carry, and the
// PKCE verifier that trades the callback's code for tokens.
type WebAuthorization struct {
	URL, State, Verifier string
}

// StartWebLogin creates a random state and a PKCE verifier and returns
// the authorization URL of the connected app clientID whose redirect_uri
// is callback. The caller keeps State and Verifier until the callback.
func StartWebLogin(client *salesforce.Client, clientID, callback, scope string) WebAuthorization {
	b := make([]byte, 16)
	rand.Read(b)
	state := hex.EncodeToString(b)
	authURL, verifier := client.AuthCodeURL(clientID, callback, state, scope)
	return WebAuthorization{URL: authURL, State: state, Verifier: verifier}
}

// CallbackCode returns the authorization code of a callback's query
// (whose state the caller has checked): an EUNAUTHORIZED error when the
// person refused, EINVALID when the query holds no code.
func CallbackCode(q url.Values) (string, error) {
	if e := q.Get("error"); e != "" {
		return "", warden.Errorf(warden.EUNAUTHORIZED, "the authorization was refused: %s: %s", safeText(e), safeText(q.Get("error_description")))
	}
	if code := q.Get("code"); code != "" {
		return code, nil
	}
	return "", warden.Errorf(warden.EINVALID, "no authorization code in the callback")
}

// CompleteWebLogin is the second half of a web login: it trades the
// callback's code and the PKCE verifier for tokens. The token must carry a
// refresh token; a token without one is revoked.
func CompleteWebLogin(ctx context.Context, client *salesforce.Client, clientID, clientSecret, callback, code, verifier string) (*salesforce.Token, error) {
	tok, err := client.ExchangeCode(ctx, clientID, clientSecret, callback, code, verifier)
	if err != nil {
		return nil, &warden.Error{Kind: warden.ErrorKind(err), Message: "exchanging the authorization code failed: " + warden.ErrorMessage(err), Err: err}
	}
	if tok.RefreshToken == "" {
		client.Revoke(ctx, tok.AccessToken)
		return nil, warden.Errorf(warden.EINVALID, "the connected app issued no refresh token: give it the refresh_token (Perform requests at any time) scope, and keep refresh_token in --scope")
	}
	return tok, nil
}

// safeText keeps printable ASCII of untrusted text, at most 200 bytes.
func safeText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
