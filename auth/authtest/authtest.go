// Package authtest helps test handlers behind Warden's access control:
// an Env is an auth.Service over an in-memory store with a principal of
// every role, and CheckRoutes walks a route table as anonymous, viewer,
// operator and admin (each with an API token and with a browser session)
// and asserts the role matrix.
package authtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/sqlite"
)

// Roles are the roles an Env has principals of, least privileged first.
var Roles = []warden.Role{warden.RoleViewer, warden.RoleOperator, warden.RoleAdmin}

// Password is the password of every Env account.
const Password = "authtest-password-0123"

// Env is an auth.Service over a private in-memory SQLite store, with an
// account and an API token of each role: the account of role R is
// named R (viewer, operator, admin), the token "R-token".
type Env struct {
	Service *auth.Service
	Store   warden.Store

	tokens   map[warden.Role]string
	sessions map[warden.Role]Session
}

// Session is a logged-in browser session: its cookie and CSRF token.
type Session struct {
	Cookie *http.Cookie
	CSRF   string
}

// New returns an Env whose store is closed when t ends. Its Service uses
// cheap password hashes; o sets anything else (its Argon2 is replaced).
func New(t testing.TB, o auth.Options) *Env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.MemoryPath)
	if err != nil {
		t.Fatalf("authtest: open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	o.Argon2 = auth.Argon2Params{Memory: 64, Time: 1, Threads: 1}
	e := &Env{Service: auth.New(db, o), Store: db, tokens: map[warden.Role]string{}, sessions: map[warden.Role]Session{}}
	for _, r := range Roles {
		if _, err := e.Service.CreateAccount(ctx, string(r), r, Password); err != nil {
			t.Fatalf("authtest: create account %s: %v", r, err)
		}
		tok, _, err := e.Service.CreateToken(ctx, string(r)+"-token", r, 0)
		if err != nil {
			t.Fatalf("authtest: create token %s: %v", r, err)
		}
		e.tokens[r] = tok
	}
	return e
}

// Token returns the API token of role r.
func (e *Env) Token(r warden.Role) string { return e.tokens[r] }

// Session returns a browser session of the account of role r, logging in
// through the Service's Handler the first time.
func (e *Env) Session(t testing.TB, r warden.Role) Session {
	t.Helper()
	if s, ok := e.sessions[r]; ok {
		return s
	}
	s, err := Login(e.Service.Handler(), string(r), Password)
	if err != nil {
		t.Fatalf("authtest: log in as %s: %v", r, err)
	}
	e.sessions[r] = s
	return s
}

// Login posts the login form to h (an auth.Service's Handler) and returns
// the session it starts; the CSRF token is read through the Service's
// Middleware, as a page would.
func Login(h http.Handler, username, password string) (Session, error) {
	form := url.Values{"username": {username}, "password": {password}, "next": {"/"}}
	req := NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		return Session{}, fmt.Errorf("POST /login: status %d, want 303", rec.Code)
	}
	for _, c := range rec.Result().Cookies() {
		if strings.HasSuffix(c.Name, "warden_session") && c.Value != "" {
			return Session{Cookie: c}, nil
		}
	}
	return Session{}, fmt.Errorf("POST /login: no session cookie")
}

// CSRF returns the CSRF token of s, as the Service's Middleware puts it
// in the principal.
func (e *Env) CSRF(t testing.TB, s Session) string {
	t.Helper()
	var csrf string
	h := e.Service.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := warden.PrincipalFrom(r.Context()); ok {
			csrf = p.CSRF
		}
	}))
	req := NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(s.Cookie)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if csrf == "" {
		t.Fatalf("authtest: the session has no principal")
	}
	return csrf
}

// NewRequest returns a request as a client on loopback sends it to a
// server on 127.0.0.1:8080.
func NewRequest(method, target string, body io.Reader) *http.Request {
	req := httptest.NewRequest(method, target, body)
	req.RemoteAddr = "127.0.0.1:50000"
	req.Host = "127.0.0.1:8080"
	return req
}

// Route is one route of a table CheckRoutes walks.
type Route struct {
	// Method and Path (a concrete path, with its parameters filled in).
	Method, Path string
	// Role is the least role the route needs; "" means a public route,
	// which answers anonymous requests.
	Role warden.Role
	// Body and ContentType are sent with the request, when set.
	Body, ContentType string
}

func (r Route) String() string { return r.Method + " " + r.Path }

// refused reports whether a response refuses the request for want of
// authentication or authorization: 401, 403, or a redirect to /login.
func refused(rec *httptest.ResponseRecorder) bool {
	switch rec.Code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	case http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect:
		return strings.HasPrefix(rec.Header().Get("Location"), "/login")
	}
	return false
}

// CheckRoutes sends every route to h as anonymous and as each role, with
// the role's API token and with its browser session (with its CSRF token
// for a request other than GET, HEAD or OPTIONS), and reports an error
// for each answer that breaks the matrix: a route that needs a role must
// refuse anonymous requests (401, or a redirect to /login) and roles
// below it (403), and let the role and those above it through (anything
// but 401, 403 or a redirect to /login); a public route must let
// everyone through. A state-changing request of a session without its
// CSRF token must be refused with 403. h must authenticate with e's
// Service (its Middleware in the Authenticate slot).
func CheckRoutes(t *testing.T, h http.Handler, e *Env, routes []Route) {
	t.Helper()
	send := func(rt Route, set func(*http.Request)) *httptest.ResponseRecorder {
		var body io.Reader
		if rt.Body != "" {
			body = strings.NewReader(rt.Body)
		}
		req := NewRequest(rt.Method, rt.Path, body)
		if rt.ContentType != "" {
			req.Header.Set("Content-Type", rt.ContentType)
		}
		set(req)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, rt := range routes {
		if rt.Role != "" && !rt.Role.Valid() {
			t.Errorf("%s: role %q is not a role", rt, rt.Role)
			continue
		}
		rec := send(rt, func(*http.Request) {})
		switch {
		case rt.Role == "" && refused(rec):
			t.Errorf("%s as anonymous: status %d (Location %q), want a public route to answer", rt, rec.Code, rec.Header().Get("Location"))
		case rt.Role != "" && !(rec.Code == http.StatusUnauthorized || refused(rec) && rec.Code != http.StatusForbidden):
			t.Errorf("%s as anonymous: status %d, want 401 or a redirect to /login", rt, rec.Code)
		}
		for _, role := range Roles {
			allowed := rt.Role == "" || role.Allows(rt.Role)
			tok := e.Token(role)
			sess := e.Session(t, role)
			csrf := e.CSRF(t, sess)
			for _, via := range []struct {
				name string
				set  func(*http.Request)
			}{
				{"token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }},
				{"session", func(r *http.Request) { r.AddCookie(sess.Cookie); r.Header.Set("X-CSRF-Token", csrf) }},
			} {
				rec := send(rt, via.set)
				switch {
				case allowed && refused(rec):
					t.Errorf("%s as %s (%s): status %d, want it let through", rt, role, via.name, rec.Code)
				case !allowed && rec.Code != http.StatusForbidden:
					t.Errorf("%s as %s (%s): status %d, want 403", rt, role, via.name, rec.Code)
				}
			}
			if rt.Role != "" && rt.Method != http.MethodGet && rt.Method != http.MethodHead && rt.Method != http.MethodOptions {
				rec := send(rt, func(r *http.Request) { r.AddCookie(sess.Cookie) })
				if rec.Code != http.StatusForbidden {
					t.Errorf("%s as %s (session without CSRF token): status %d, want 403", rt, role, rec.Code)
				}
			}
		}
	}
}
