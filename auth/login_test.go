package auth_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/auth/authtest"
)

// postLogin posts the login form from the address ip and returns the
// status and the page's error message.
func postLogin(t *testing.T, s *auth.Service, ip, username, password string) (int, string) {
	t.Helper()
	form := url.Values{"username": {username}, "password": {password}}
	req := authtest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = ip + ":40000"
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	body := rec.Body.String()
	if strings.Contains(body, password) && password != "" {
		t.Errorf("the login page shows the password")
	}
	msg := ""
	if i := strings.Index(body, `role="alert">`); i >= 0 {
		msg = body[i+len(`role="alert">`):]
		msg = msg[:strings.Index(msg, "<")]
	}
	return rec.Code, msg
}

// TestLockout: five failures in a row lock a username for LockFor,
// whether or not it has an account, and both read the same.
func TestLockout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := authtest.New(t, auth.Options{})
		s := e.Service
		for _, username := range []string{"viewer", "ghost"} {
			var got []string
			for range 5 {
				code, msg := postLogin(t, s, "10.0.0.1", username, "wrong-password-123")
				got = append(got, http.StatusText(code)+": "+msg)
			}
			code, msg := postLogin(t, s, "10.0.0.1", username, authtest.Password)
			got = append(got, http.StatusText(code)+": "+msg)
			want := strings.Repeat("Unauthorized: Wrong username or password.\n", 5) + "Too Many Requests: Too many failed logins; try again later."
			if strings.Join(got, "\n") != want {
				t.Errorf("%s: answers\n%s\nwant\n%s", username, strings.Join(got, "\n"), want)
			}
		}
		a, err := e.Store.Account(t.Context(), "viewer")
		if err != nil {
			t.Fatal(err)
		}
		if a.FailedLogins != 5 || !a.LockedUntil.After(time.Now()) {
			t.Errorf("account after 5 failures: %d failures, locked until %v", a.FailedLogins, a.LockedUntil)
		}
		// Another address does not unlock it: the lock is the account's.
		if code, _ := postLogin(t, s, "10.0.0.2", "viewer", authtest.Password); code != http.StatusTooManyRequests {
			t.Errorf("locked account from another address: status %d, want 429", code)
		}
		time.Sleep(auth.DefaultLockFor)
		if code, msg := postLogin(t, s, "10.0.0.1", "viewer", authtest.Password); code != http.StatusSeeOther {
			t.Errorf("after the lock ended: status %d %s, want 303", code, msg)
		}
		a, _ = e.Store.Account(t.Context(), "viewer")
		if a.FailedLogins != 0 || a.LastLoginAt.IsZero() {
			t.Errorf("after a login: %d failures, last login %v", a.FailedLogins, a.LastLoginAt)
		}
	})
}

// TestIPLimit: many failures from one address, over many usernames,
// refuse its logins until the window ends; other addresses go on.
func TestIPLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := authtest.New(t, auth.Options{IPFailures: 4})
		for i := range 4 {
			if code, _ := postLogin(t, e.Service, "10.0.0.9", "user"+string(rune('a'+i)), "wrong-password-123"); code != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d", i, code)
			}
		}
		if code, _ := postLogin(t, e.Service, "10.0.0.9", "admin", authtest.Password); code != http.StatusTooManyRequests {
			t.Errorf("from the blocked address: status %d, want 429", code)
		}
		if code, _ := postLogin(t, e.Service, "10.0.0.10", "admin", authtest.Password); code != http.StatusSeeOther {
			t.Errorf("from another address: status %d, want 303", code)
		}
		time.Sleep(auth.DefaultLockFor)
		if code, _ := postLogin(t, e.Service, "10.0.0.9", "admin", authtest.Password); code != http.StatusSeeOther {
			t.Errorf("after the window: status %d, want 303", code)
		}
	})
}

// TestSessionLifetime: a session ends after its idle timeout and after
// its absolute lifetime, however busy.
func TestSessionLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := authtest.New(t, auth.Options{SessionTTL: 3 * time.Hour, IdleTimeout: time.Hour})
		who := func(s authtest.Session) string {
			var name string
			h := e.Service.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, _ := warden.PrincipalFrom(r.Context())
				name = p.Name
			}))
			req := authtest.NewRequest("GET", "/", nil)
			req.AddCookie(s.Cookie)
			h.ServeHTTP(httptest.NewRecorder(), req)
			return name
		}
		idle, err := authtest.Login(e.Service.Handler(), "viewer", authtest.Password)
		if err != nil {
			t.Fatal(err)
		}
		busy, err := authtest.Login(e.Service.Handler(), "admin", authtest.Password)
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			time.Sleep(40 * time.Minute)
			if got := who(busy); got != "admin" {
				t.Fatalf("busy session at %v: %q", time.Now(), got)
			}
		}
		if got := who(idle); got != "" {
			t.Errorf("idle session after 160m: %q, want none", got)
		}
		time.Sleep(time.Hour)
		if got := who(busy); got != "" {
			t.Errorf("session past its lifetime: %q, want none", got)
		}
		n, err := e.Service.PruneSessions(t.Context())
		if err != nil || n != 0 {
			t.Errorf("PruneSessions = %d, %v; ended sessions are deleted when seen", n, err)
		}
	})
}

// TestTokens: a bearer token authenticates API requests without CSRF
// until it expires or is revoked; a bad one is answered 401 at once.
func TestTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := authtest.New(t, auth.Options{})
		h := app(e.Service)
		tok, rec, err := e.Service.CreateToken(t.Context(), "ci", warden.RoleAdmin, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, auth.TokenPrefix) || len(tok) < 40 || rec.Hash == tok || strings.Contains(rec.Hash, tok) {
			t.Fatalf("token %q, record %+v", tok, rec)
		}
		call := func(authz string) *httptest.ResponseRecorder {
			req := authtest.NewRequest("POST", "/api/v1/admin", nil)
			if authz != "" {
				req.Header.Set("Authorization", authz)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			return w
		}
		if w := call("Bearer " + tok); w.Code != http.StatusNoContent {
			t.Fatalf("POST with the token: %d %s", w.Code, w.Body)
		}
		if w := call("bearer " + tok); w.Code != http.StatusNoContent {
			t.Errorf("lower-case scheme: %d", w.Code)
		}
		for _, bad := range []string{"Bearer wat_nope", "Bearer " + tok + "x", "Basic dXNlcjpwYXNz", "Bearer", "Bearer broker-key"} {
			w := call(bad)
			if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" || !strings.Contains(w.Body.String(), `"code": "unauthorized"`) {
				t.Errorf("%q: %d %s %q", bad, w.Code, w.Body, w.Header().Get("WWW-Authenticate"))
			}
		}
		list, _ := e.Service.Tokens(t.Context())
		for _, l := range list {
			if l.ID == rec.ID && l.LastUsedAt.IsZero() {
				t.Errorf("LastUsedAt not recorded")
			}
		}
		time.Sleep(25 * time.Hour)
		if w := call("Bearer " + tok); w.Code != http.StatusUnauthorized {
			t.Errorf("expired token: %d", w.Code)
		}
		tok2, rec2, err := e.Service.CreateToken(t.Context(), "ci2", warden.RoleAdmin, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Service.RevokeToken(t.Context(), rec2.ID); err != nil {
			t.Fatal(err)
		}
		if w := call("Bearer " + tok2); w.Code != http.StatusUnauthorized {
			t.Errorf("revoked token: %d", w.Code)
		}
		for _, bad := range []struct {
			name string
			role warden.Role
			ttl  time.Duration
		}{{"", warden.RoleAdmin, 0}, {"x", "root", 0}, {"x", warden.RoleAdmin, -time.Hour}} {
			if _, _, err := e.Service.CreateToken(t.Context(), bad.name, bad.role, bad.ttl); warden.ErrorKind(err) != warden.EINVALID {
				t.Errorf("CreateToken(%q, %q, %v) = %v, want EINVALID", bad.name, bad.role, bad.ttl, err)
			}
		}
	})
}

// TestNoSecretsLogged runs logins, token use and failures with a logger
// and an audit log, and checks that no password, token, session id or
// CSRF token appears in either.
func TestNoSecretsLogged(t *testing.T) {
	var logs bytes.Buffer
	e := authtest.New(t, auth.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	h := app(e.Service)
	tok := e.Token(warden.RoleViewer)
	sess := e.Session(t, warden.RoleOperator)
	csrf := e.CSRF(t, sess)
	postLogin(t, e.Service, "10.1.1.1", "viewer", "wrong-password-xyz")
	postLogin(t, e.Service, "10.1.1.1", "not-a-user-but-a-password", "wrong-password-xyz")
	for _, set := range []func(*http.Request){
		func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) },
		func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok+"0") },
		func(r *http.Request) { r.AddCookie(sess.Cookie) },
		func(r *http.Request) { r.AddCookie(sess.Cookie); r.Header.Set("X-CSRF-Token", csrf+"0") },
	} {
		req := authtest.NewRequest("POST", "/act", nil)
		set(req)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		for _, secret := range []string{tok, sess.Cookie.Value, csrf} {
			if strings.Contains(w.Body.String(), secret) {
				t.Errorf("a response shows a secret: %s", w.Body)
			}
		}
	}
	entries, err := e.Store.AuditEntries(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var audit strings.Builder
	for _, en := range entries {
		audit.WriteString(en.Actor.Name + " " + en.Action + " " + en.Target + " " + en.Detail + "\n")
	}
	for _, secret := range []string{authtest.Password, "wrong-password-xyz", "not-a-user-but-a-password", tok, sess.Cookie.Value, csrf} {
		if strings.Contains(logs.String(), secret) || strings.Contains(audit.String(), secret) {
			t.Errorf("the logs or the audit log show %q:\n%s\n%s", secret, logs.String(), audit.String())
		}
	}
	if !strings.Contains(audit.String(), " login account:viewer Wrong username or password.") {
		t.Errorf("the failed login of an account is not audited:\n%s", audit.String())
	}
}

func TestPasswords(t *testing.T) {
	p := auth.Argon2Params{Memory: 64, Time: 1, Threads: 1}
	h, err := auth.HashPassword("correct horse battery", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(h, "horse") {
		t.Errorf("hash = %q", h)
	}
	h2, _ := auth.HashPassword("correct horse battery", p)
	if h == h2 {
		t.Errorf("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		hash, password string
		want           bool
	}{
		{h, "correct horse battery", true},
		{h, "correct horse batterz", false},
		{h, "", false},
		{strings.Replace(h, "argon2id", "argon2i", 1), "correct horse battery", false},
		{strings.Replace(h, "m=64", "m=0", 1), "correct horse battery", false},
		{"$2a$10$notargon", "correct horse battery", false},
		{"", "", false},
	} {
		if got := auth.VerifyPassword(tc.hash, tc.password); got != tc.want {
			t.Errorf("VerifyPassword(%q, %q) = %v", tc.hash, tc.password, got)
		}
	}
	for _, bad := range []string{"short", strings.Repeat("x", 2000)} {
		if _, err := auth.HashPassword(bad, p); warden.ErrorKind(err) != warden.EINVALID {
			t.Errorf("HashPassword(%d chars) = %v, want EINVALID", len(bad), err)
		}
	}
	if g := auth.GeneratePassword(); len(g) < auth.MinPasswordLength || g == auth.GeneratePassword() {
		t.Errorf("GeneratePassword = %q", g)
	}
}

func TestSafeNext(t *testing.T) {
	e := authtest.New(t, auth.Options{})
	for next, want := range map[string]string{
		"/users/acme/x?y=1": "/users/acme/x?y=1",
		"//evil.example":    "/",
		"/\\evil.example":   "/",
		"https://evil":      "/",
		"/login":            "/",
		"":                  "/",
	} {
		form := url.Values{"username": {"viewer"}, "password": {authtest.Password}, "next": {next}}
		req := authtest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		e.Service.Handler().ServeHTTP(rec, req)
		if got := rec.Header().Get("Location"); got != want {
			t.Errorf("next %q: redirected to %q, want %q", next, got, want)
		}
	}
}

// TestLoginCrossOrigin refuses a login form posted from another site.
func TestLoginCrossOrigin(t *testing.T) {
	e := authtest.New(t, auth.Options{})
	form := url.Values{"username": {"viewer"}, "password": {authtest.Password}}
	req := authtest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	rec := httptest.NewRecorder()
	e.Service.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
		t.Errorf("cross-site login: status %d, cookies %v", rec.Code, rec.Result().Cookies())
	}
}

// TestSecureCookie: under TLS the session cookie is Secure and
// __Host- prefixed.
func TestSecureCookie(t *testing.T) {
	e := authtest.New(t, auth.Options{Secure: true})
	s, err := authtest.Login(e.Service.Handler(), "viewer", authtest.Password)
	if err != nil {
		t.Fatal(err)
	}
	if s.Cookie.Name != "__Host-warden_session" || !s.Cookie.Secure || s.Cookie.Path != "/" || s.Cookie.Domain != "" {
		t.Errorf("cookie = %+v", s.Cookie)
	}
}
