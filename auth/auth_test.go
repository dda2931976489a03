package auth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/auth/authtest"
)

// app is a small site behind the Service: a page, a JSON read, and a
// form that operators may post.
func app(s *auth.Service) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", auth.RequirePage(warden.RoleViewer, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := warden.PrincipalFrom(r.Context())
		io.WriteString(w, `<form method="post" action="/act"><input type="hidden" name="csrf" value="`+p.CSRF+`"></form>hello `+p.Name)
	})))
	mux.Handle("GET /api/v1/things", auth.Require(warden.RoleViewer, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `[]`)
	})))
	mux.Handle("POST /act", auth.RequirePage(warden.RoleOperator, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Audit(r.Context(), "thing.act", "thing:1", nil)
		io.WriteString(w, "done")
	})))
	mux.Handle("POST /api/v1/admin", auth.Require(warden.RoleAdmin, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	root := http.NewServeMux()
	root.Handle("/login", s.Handler())
	root.Handle("/logout", s.Handler())
	root.Handle("/auth/", s.Handler())
	root.Handle("/healthz", mux)
	root.Handle("/", s.Middleware(mux))
	return root
}

func TestRouteMatrix(t *testing.T) {
	e := authtest.New(t, auth.Options{})
	authtest.CheckRoutes(t, app(e.Service), e, []authtest.Route{
		{Method: "GET", Path: "/", Role: warden.RoleViewer},
		{Method: "GET", Path: "/api/v1/things", Role: warden.RoleViewer},
		{Method: "POST", Path: "/act", Role: warden.RoleOperator},
		{Method: "POST", Path: "/api/v1/admin", Role: warden.RoleAdmin},
		{Method: "GET", Path: "/healthz"},
		{Method: "GET", Path: "/login"},
	})
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestBrowserFlow logs in through a real HTTP server, posts a form with
// and without its CSRF token, and logs out.
func TestBrowserFlow(t *testing.T) {
	e := authtest.New(t, auth.Options{})
	srv := httptest.NewServer(app(e.Service))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	ctx := context.Background()

	// Anonymous: the page redirects to the login form, the API answers 401.
	res, err := c.Get(srv.URL + "/?x=1")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, res)
	if res.Request.URL.Path != "/login" || !strings.Contains(body, `name="next" value="/?x=1"`) {
		t.Fatalf("anonymous GET / ended at %s; body %s", res.Request.URL, body)
	}
	if res, _ := c.Get(srv.URL + "/api/v1/things"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous API: status %d, want 401", res.StatusCode)
	}

	// Log in: the session cookie is HttpOnly and SameSite=Lax.
	res, err = c.PostForm(srv.URL+"/login", url.Values{"username": {"operator"}, "password": {authtest.Password}, "next": {"/?x=1"}})
	if err != nil {
		t.Fatal(err)
	}
	body = readAll(t, res)
	if res.Request.URL.RequestURI() != "/?x=1" || !strings.Contains(body, "hello operator") {
		t.Fatalf("after login at %s: %s", res.Request.URL, body)
	}
	var cookie *http.Cookie
	for _, ck := range res.Request.Response.Cookies() {
		if ck.Name == "warden_session" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Lax", cookie)
	}
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the page: %s", body)
	}
	csrf := m[1]

	// A POST without the token, with a wrong one, or from another origin
	// is refused; with it, it goes through.
	for _, tc := range []struct {
		name   string
		form   url.Values
		origin string
		want   int
	}{
		{"no token", url.Values{}, "", http.StatusForbidden},
		{"wrong token", url.Values{"csrf": {"x" + csrf}}, "", http.StatusForbidden},
		{"cross origin", url.Values{"csrf": {csrf}}, "https://evil.example", http.StatusForbidden},
		{"token", url.Values{"csrf": {csrf}}, "", http.StatusOK},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/act", strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b := readAll(t, res)
		if res.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, res.StatusCode, tc.want, b)
		}
		if strings.Contains(b, csrf) {
			t.Errorf("%s: the answer shows the CSRF token", tc.name)
		}
	}

	// Logout needs the token too; then the session is gone.
	res, _ = c.PostForm(srv.URL+"/logout", url.Values{})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("logout without CSRF: status %d, want 403", res.StatusCode)
	}
	res, _ = c.PostForm(srv.URL+"/logout", url.Values{"csrf": {csrf}})
	if body := readAll(t, res); res.Request.URL.Path != "/login" || !strings.Contains(body, "logged out") {
		t.Errorf("after logout at %s: %s", res.Request.URL, body)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/things", nil)
	req.AddCookie(cookie)
	if res, _ := http.DefaultClient.Do(req); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old session cookie after logout: status %d, want 401", res.StatusCode)
	}

	// The audit log has the login, the action and the logout, from loopback.
	entries, err := e.Store.AuditEntries(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range entries {
		if en.Actor.Kind == "account" {
			got = append(got, en.Actor.Name+" "+en.Action+" "+en.Result+" "+en.From)
		}
	}
	refused := "operator request.refused forbidden 127.0.0.1"
	want := []string{"operator login ok 127.0.0.1", refused, refused, refused, "operator thing.act ok 127.0.0.1",
		refused, "operator logout ok 127.0.0.1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLoginReplacesSession: logging in again drops the session the
// browser had (no fixation) and issues a new id.
func TestLoginReplacesSession(t *testing.T) {
	e := authtest.New(t, auth.Options{})
	old, err := authtest.Login(e.Service.Handler(), "viewer", authtest.Password)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"username": {"admin"}, "password": {authtest.Password}}
	req := authtest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(old.Cookie)
	rec := httptest.NewRecorder()
	e.Service.Handler().ServeHTTP(rec, req)
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cookies) != 1 || cookies[0].Value == old.Cookie.Value {
		t.Fatalf("second login: %d, cookies %v", rec.Code, cookies)
	}
	var who string
	h := e.Service.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := warden.PrincipalFrom(r.Context())
		who = p.Name
	}))
	req = authtest.NewRequest("GET", "/", nil)
	req.AddCookie(old.Cookie)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if who != "" {
		t.Errorf("the session from before the login still acts for %q", who)
	}
}
