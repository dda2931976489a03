package auth_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/auth/authtest"
	"github.com/wardenhq/warden/auth/oidctest"
)

// oidcSite is the test app with single sign-on against provider p.
func oidcSite(t *testing.T, p *oidctest.Provider, c auth.OIDCConfig) (*authtest.Env, *httptest.Server) {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	c.Name, c.Issuer, c.ClientID, c.ClientSecret = "Test IdP", p.Issuer, p.ClientID, p.ClientSecret
	c.RedirectURL, c.HTTPClient = srv.URL+"/auth/oidc/callback", p.Client
	o, err := auth.NewOIDC(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	e := authtest.New(t, auth.Options{OIDC: o})
	h = app(e.Service)
	return e, srv
}

func TestOIDCLogin(t *testing.T) {
	groups := auth.OIDCConfig{RoleClaim: "groups", RoleMapping: map[string]warden.Role{
		"warden-admins": warden.RoleAdmin, "warden-ops": warden.RoleOperator, "everyone": warden.RoleViewer}}
	tests := []struct {
		name   string
		config auth.OIDCConfig
		user   map[string]any
		mutate func(map[string]any)
		// want is "hello NAME" on the dashboard, or the login page's error.
		want     string
		wantRole warden.Role
	}{
		{"highest mapped role", groups,
			map[string]any{"sub": "u1", "email": "alice@example.com", "email_verified": true, "groups": []any{"everyone", "warden-ops"}},
			nil, "hello alice@example.com", warden.RoleOperator},
		{"string claim", groups,
			map[string]any{"sub": "u2", "email": "root@example.com", "email_verified": true, "groups": "warden-admins"},
			nil, "hello root@example.com", warden.RoleAdmin},
		{"no mapped role", groups,
			map[string]any{"sub": "u3", "email": "eve@example.com", "groups": []any{"sales"}},
			nil, "has no Warden role", ""},
		{"default role, named by preferred_username", auth.OIDCConfig{DefaultRole: warden.RoleViewer},
			map[string]any{"sub": "u4", "preferred_username": "bob"},
			nil, "hello bob", warden.RoleViewer},
		{"allowed domain", auth.OIDCConfig{DefaultRole: warden.RoleViewer, AllowedDomains: []string{"Example.com"}},
			map[string]any{"sub": "u5", "email": "carol@example.com", "email_verified": true},
			nil, "hello carol@example.com", warden.RoleViewer},
		{"other domain", auth.OIDCConfig{DefaultRole: warden.RoleViewer, AllowedDomains: []string{"example.com"}},
			map[string]any{"sub": "u6", "email": "mallory@evil.example", "email_verified": true},
			nil, "not in a domain", ""},
		{"unverified e-mail", auth.OIDCConfig{DefaultRole: warden.RoleViewer, AllowedDomains: []string{"example.com"}},
			map[string]any{"sub": "u7", "email": "dan@example.com", "email_verified": false},
			nil, "not in a domain", ""},
		{"wrong nonce", groups, map[string]any{"sub": "u8", "groups": "everyone"},
			func(c map[string]any) { c["nonce"] = "replayed" }, "not for this login", ""},
		{"wrong audience", groups, map[string]any{"sub": "u9", "groups": "everyone"},
			func(c map[string]any) { c["aud"] = "someone-else" }, "ID token is not valid", ""},
		{"expired ID token", groups, map[string]any{"sub": "u10", "groups": "everyone"},
			func(c map[string]any) { c["exp"] = 1000 }, "ID token is not valid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := oidctest.New(t)
			p.SetUser(tt.user)
			p.Mutate(tt.mutate)
			e, srv := oidcSite(t, p, tt.config)
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			res, err := c.Get(srv.URL + "/login?next=/")
			if err != nil {
				t.Fatal(err)
			}
			if body := readAll(t, res); !strings.Contains(body, "Log in with Test IdP") {
				t.Fatalf("the login page offers no single sign-on: %s", body)
			}
			res, err = c.Get(srv.URL + "/auth/oidc/login?next=/")
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, res)
			if !strings.Contains(body, tt.want) {
				t.Fatalf("ended at %s (%d) with %s, want %q", res.Request.URL, res.StatusCode, body, tt.want)
			}
			entries, err := e.Store.AuditEntries(context.Background(), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			last := entries[len(entries)-1]
			if tt.wantRole == "" {
				if res.StatusCode < 400 || last.Action != "login" || last.Result == "ok" {
					t.Errorf("refused login: status %d, last audit entry %+v", res.StatusCode, last)
				}
				return
			}
			if last.Action != "login" || last.Result != "ok" || last.Actor.Kind != "oidc" || last.Target != "oidc" {
				t.Errorf("last audit entry = %+v, want a successful OIDC login", last)
			}
			// The session carries the mapped role.
			var got warden.Role
			mw := e.Service.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, _ := warden.PrincipalFrom(r.Context())
				got = p.Role
			}))
			req := authtest.NewRequest("GET", "/", nil)
			for _, ck := range jar.Cookies(res.Request.URL) {
				req.AddCookie(ck)
			}
			mw.ServeHTTP(httptest.NewRecorder(), req)
			if got != tt.wantRole {
				t.Errorf("session role = %q, want %q", got, tt.wantRole)
			}
		})
	}
}

// TestOIDCState refuses a callback whose state is not the one this
// browser started.
func TestOIDCState(t *testing.T) {
	p := oidctest.New(t)
	_, srv := oidcSite(t, p, auth.OIDCConfig{DefaultRole: warden.RoleViewer})
	for _, tc := range []struct{ name, path string }{
		{"no flow cookie", "/auth/oidc/callback?state=abc&code=xyz"},
	} {
		res, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, res)
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "did not complete") {
			t.Errorf("%s: status %d, %s", tc.name, res.StatusCode, body)
		}
	}
	// A flow started in one browser cannot be finished with another
	// browser's state.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(srv.URL + "/auth/oidc/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || !strings.Contains(res.Header.Get("Location"), "code_challenge_method=S256") ||
		!strings.Contains(res.Header.Get("Location"), "nonce=") {
		t.Fatalf("oidc login: %d to %s, want a redirect with PKCE and a nonce", res.StatusCode, res.Header.Get("Location"))
	}
	res, err = c.Get(srv.URL + "/auth/oidc/callback?state=forged&code=xyz")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, res); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "did not complete") {
		t.Errorf("forged state: status %d, %s", res.StatusCode, body)
	}
}

func TestOIDCNotConfigured(t *testing.T) {
	e := authtest.New(t, auth.Options{})
	for _, path := range []string{"/auth/oidc/login", "/auth/oidc/callback"} {
		rec := httptest.NewRecorder()
		e.Service.Handler().ServeHTTP(rec, authtest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s without OIDC: status %d, want 404", path, rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	e.Service.Handler().ServeHTTP(rec, authtest.NewRequest("GET", "/login", nil))
	if strings.Contains(rec.Body.String(), "Log in with") {
		t.Errorf("the login page offers single sign-on without OIDC")
	}
}
