package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sqlite"
	"github.com/wardenhq/warden/web"
)

var at = time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)

// fakeStore serves a fixed inventory, statuses, history and dependents;
// err, when set, fails every call. What it does not fake, an empty SQLite
// store answers.
type fakeStore struct {
	warden.Store
	users      []*warden.IntegrationUser
	statuses   []*warden.UserStatus
	history    []*warden.HealthResult
	dependents []*warden.Dependent
	err        error
}

func (f *fakeStore) Statuses(ctx context.Context, flt warden.StatusFilter) ([]*warden.UserStatus, error) {
	if f.err != nil {
		return nil, f.err
	}
	var out []*warden.UserStatus
	for _, s := range f.statuses {
		if (flt.Org == "" || flt.Org == s.Org) && (flt.Username == "" || flt.Username == s.Username) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (f *fakeStore) PutStatuses(ctx context.Context, org string, sweptAt time.Time, changed []*warden.UserStatus) error {
	return errors.New("fakeStore: read only")
}

func (f *fakeStore) User(ctx context.Context, org, username string) (*warden.IntegrationUser, error) {
	if f.err != nil {
		return nil, f.err
	}
	for _, u := range f.users {
		if u.Org == org && u.Username == username {
			return u, nil
		}
	}
	return nil, &warden.Error{Kind: warden.ENOTFOUND, Message: "user " + username + " not found in org " + org}
}

func (f *fakeStore) Users(ctx context.Context, flt warden.UserFilter) ([]*warden.IntegrationUser, error) {
	return f.users, f.err
}

func (f *fakeStore) UpsertUser(ctx context.Context, u *warden.IntegrationUser) error {
	return errors.New("fakeStore: read only")
}

func (f *fakeStore) DeleteUser(ctx context.Context, org, username string) error {
	return errors.New("fakeStore: read only")
}

func (f *fakeStore) AppendHealth(ctx context.Context, r *warden.HealthResult) error {
	return errors.New("fakeStore: read only")
}

func (f *fakeStore) LatestHealth(ctx context.Context, flt warden.HealthFilter) ([]*warden.HealthResult, error) {
	return nil, errors.New("fakeStore: not used by web")
}

func (f *fakeStore) HealthHistory(ctx context.Context, flt warden.HealthFilter) ([]*warden.HealthResult, error) {
	var out []*warden.HealthResult
	for _, h := range f.history {
		if h.Org == flt.Org && h.Username == flt.Username && (flt.Limit == 0 || len(out) < flt.Limit) {
			out = append(out, h)
		}
	}
	return out, f.err
}

func (f *fakeStore) Orgs(ctx context.Context) ([]*warden.Org, error) {
	var out []*warden.Org
	seen := map[string]bool{}
	for _, u := range f.users {
		if !seen[u.Org] {
			seen[u.Org] = true
			out = append(out, &warden.Org{Name: u.Org, LoginURL: "https://login.salesforce.com"})
		}
	}
	return out, f.err
}

func (f *fakeStore) Org(ctx context.Context, name string) (*warden.Org, error) {
	orgs, err := f.Orgs(ctx)
	for _, o := range orgs {
		if o.Name == name {
			return o, err
		}
	}
	if err != nil {
		return nil, err
	}
	return nil, &warden.Error{Kind: warden.ENOTFOUND, Message: "org " + name + " not found"}
}

func (f *fakeStore) Dependents(ctx context.Context, flt warden.DependentFilter) ([]*warden.Dependent, error) {
	var out []*warden.Dependent
	for _, d := range f.dependents {
		if d.Org == flt.Org && (flt.Username == "" || d.Username == flt.Username) {
			out = append(out, d)
		}
	}
	return out, f.err
}

func (f *fakeStore) UpsertDependent(ctx context.Context, d *warden.Dependent) error {
	return errors.New("fakeStore: read only")
}

func (f *fakeStore) DeleteDependent(ctx context.Context, org, name string) error {
	return errors.New("fakeStore: read only")
}

func (f *fakeStore) UpsertOwner(ctx context.Context, o *warden.Owner) error {
	return errors.New("fakeStore: read only")
}

func (f *fakeStore) DeleteOwner(ctx context.Context, team string) error {
	return errors.New("fakeStore: read only")
}

func (f *fakeStore) Owners(ctx context.Context) ([]*warden.Owner, error) { return nil, f.err }

type readiness bool

func (r readiness) Ready() bool { return bool(r) }

// demoStore is a small inventory: a frozen user with history and a
// dependent, a healthy user with a warning, and a user never checked.
func demoStore() *fakeStore {
	return &fakeStore{
		Store: emptyStore(),
		users: []*warden.IntegrationUser{
			{Org: "acme", Username: "gis@acme.test", Owner: "gis", Description: "GIS <sync>", Credential: "gis-jwt"},
			{Org: "acme", Username: "ok@acme.test"},
			{Org: "acme", Username: "new@acme.test"},
		},
		statuses: []*warden.UserStatus{
			{Org: "acme", Username: "gis@acme.test", State: warden.StateError, Cause: warden.CauseUserFrozen, Since: at,
				Evidence: "UserLogin.IsFrozen = true", Fix: "Unfreeze <the> user", CheckedAt: at,
				CredentialCheckedAt: at.Add(-10 * time.Minute), NextCredentialCheck: at.Add(50 * time.Minute)},
			{Org: "acme", Username: "new@acme.test", State: warden.StateUnknown},
			{Org: "acme", Username: "ok@acme.test", State: warden.StateOK, Since: at, CheckedAt: at, Warnings: []string{"password expires in 7 days"}},
		},
		history: []*warden.HealthResult{
			{Org: "acme", Username: "gis@acme.test", State: warden.StateError, Cause: warden.CauseUserFrozen, Evidence: "UserLogin.IsFrozen = true", CheckedAt: at},
			{Org: "acme", Username: "gis@acme.test", State: warden.StateOK, Evidence: "all good & fine", CheckedAt: at.Add(-time.Hour)},
		},
		dependents: []*warden.Dependent{
			{Org: "acme", Username: "gis@acme.test", Name: "GIS Sync", Owner: "gis", Contact: "gis@acme.test", Delivery: warden.DeliveryManual,
				Objects: []warden.ObjectAccess{{Object: "Account", Access: []string{"Read", "Edit"}}}},
		},
	}
}

// newServer returns a server over store, ready or not, with a metrics
// registry holding one counter.
func newServer(t *testing.T, store *fakeStore, ready bool) *web.Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "warden_test_total", Help: "A test counter."})
	reg.MustRegister(c)
	c.Inc()
	s := web.NewServer()
	s.Store = store
	s.Readiness = readiness(ready)
	s.Gatherer = reg
	s.Hosts = []string{"warden.example.com"}
	s.Now = func() time.Time { return at }
	s.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	return s
}

// request describes one request to the server.
type request struct {
	method string // default GET
	path   string
	remote string // client address; default loopback
	host   string // Host header; default 127.0.0.1:8080; "-" sends none
}

func do(t *testing.T, h http.Handler, q request) *http.Response {
	t.Helper()
	if q.method == "" {
		q.method = "GET"
	}
	r := httptest.NewRequest(q.method, q.path, nil)
	r.RemoteAddr = "127.0.0.1:40000"
	if q.remote != "" {
		r.RemoteAddr = q.remote
	}
	r.Host = "127.0.0.1:8080"
	switch q.host {
	case "-":
		r.Host = ""
	case "":
	default:
		r.Host = q.host
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jsonError decodes the one JSON error shape, failing on any other.
func jsonError(t *testing.T, b string) (code, message string) {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(strings.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not the error shape (%v): %s", err, b)
	}
	return e.Error.Code, e.Error.Message
}

const (
	html  = "text/html; charset=utf-8"
	jsonT = "application/json"
	promT = "text/plain"
	text  = "text/plain; charset=utf-8"
)

func TestRoutes(t *testing.T) {
	tests := []struct {
		name     string
		req      request
		ready    bool
		remote   bool     // Server.RemoteReads
		code     int      // status
		ctype    string   // Content-Type prefix
		errCode  string   // the error's code, for JSON errors
		contains []string // in the body
		absent   []string // not in the body
	}{
		{name: "overview", req: request{path: "/"}, code: 200, ctype: html, contains: []string{
			"Users that need attention", "user_frozen", "Unfreeze &lt;the&gt; user", `href="/users/acme/gis@acme.test"`, "password expires in 7 days",
			"<svg", "API requests per org",
		}},
		{name: "status page", req: request{path: "/status"}, code: 200, ctype: html, contains: []string{
			"user_frozen", "Unfreeze &lt;the&gt; user", "3 users: 1 ok, 0 degraded, 1 error, 1 unknown", "password expires in 7 days",
			`href="/users/acme/gis@acme.test"`, "2026-11-23 05:50:00Z", "2026-11-23 06:50:00Z", `http-equiv="refresh"`,
		}, absent: []string{"<the>", "<script"}},
		{name: "status API", req: request{path: "/api/status"}, code: 200, ctype: jsonT, contains: []string{`"cause": "user_frozen"`, `"warnings": []`}},
		{name: "user page", req: request{path: "/users/acme/gis@acme.test"}, code: 200, ctype: html, contains: []string{
			"gis@acme.test", "user_frozen", "Unfreeze &lt;the&gt; user", "UserLogin.IsFrozen = true", "GIS &lt;sync&gt;", "gis-jwt",
			"GIS Sync", "Account: Read, Edit", "all good &amp; fine", "2026-11-23 05:00:00Z", "2026-11-23 06:50:00Z",
		}},
		{name: "user never checked", req: request{path: "/users/acme/new@acme.test"}, code: 200, ctype: html,
			contains: []string{"unknown", "No health result recorded yet", "No application is recorded"}},
		{name: "unknown user", req: request{path: "/users/acme/nobody@acme.test"}, code: 404, ctype: html,
			contains: []string{"404 Not Found", "user nobody@acme.test not found in org acme"}},
		{name: "unknown page", req: request{path: "/nope"}, code: 404, ctype: html, contains: []string{"there is nothing at /nope"}},
		{name: "unknown API route", req: request{path: "/api/nope"}, code: 404, ctype: jsonT, errCode: "not_found"},
		{name: "wrong method", req: request{method: "POST", path: "/status"}, code: 405, ctype: html, contains: []string{"use GET"}},
		{name: "wrong method, API", req: request{method: "DELETE", path: "/api/status"}, code: 405, ctype: jsonT, errCode: "invalid"},
		{name: "metrics", req: request{path: "/metrics"}, code: 200, ctype: promT, contains: []string{"warden_test_total 1"}},
		{name: "healthz", req: request{path: "/healthz"}, code: 200, ctype: jsonT, contains: []string{`"ok"`}},
		{name: "readyz before the first sweeps", req: request{path: "/readyz"}, code: 503, ctype: jsonT},
		{name: "readyz", req: request{path: "/readyz"}, ready: true, code: 200, ctype: jsonT, contains: []string{`"ready"`}},

		// Clients beyond loopback get the probes only.
		{name: "remote status page", req: request{path: "/status", remote: "192.0.2.7:5000"}, code: 403, ctype: html,
			contains: []string{"--allow-remote-reads"}, absent: []string{"gis@acme.test"}},
		{name: "remote status API", req: request{path: "/api/status", remote: "192.0.2.7:5000"}, code: 403, ctype: jsonT, errCode: "forbidden"},
		{name: "remote user page", req: request{path: "/users/acme/gis@acme.test", remote: "[2001:db8::1]:5000"}, code: 403, ctype: html},
		{name: "remote metrics", req: request{path: "/metrics", remote: "192.0.2.7:5000"}, code: 403, ctype: jsonT, errCode: "forbidden"},
		{name: "remote unknown page", req: request{path: "/nope", remote: "192.0.2.7:5000"}, code: 403, ctype: html},
		{name: "remote healthz", req: request{path: "/healthz", remote: "192.0.2.7:5000"}, code: 200, ctype: jsonT},
		{name: "remote readyz", req: request{path: "/readyz", remote: "192.0.2.7:5000"}, ready: true, code: 200, ctype: jsonT},
		{name: "remote reads allowed", req: request{path: "/api/status", remote: "192.0.2.7:5000", host: "warden.example.com"}, remote: true,
			code: 200, ctype: jsonT, contains: []string{"gis@acme.test"}},
		{name: "remote reads allowed, status page", req: request{path: "/status", remote: "192.0.2.7:5000", host: "warden.example.com:8080"}, remote: true,
			code: 200, ctype: html},

		// The Host check (DNS rebinding).
		{name: "foreign host, page", req: request{path: "/status", host: "evil.example:8080"}, code: 421, ctype: html,
			contains: []string{"server.publicUrl"}, absent: []string{"gis@acme.test"}},
		{name: "foreign host, API", req: request{path: "/api/status", host: "evil.example"}, code: 421, ctype: jsonT, errCode: "invalid"},
		{name: "foreign host, metrics", req: request{path: "/metrics", host: "evil.example"}, code: 421, ctype: jsonT, errCode: "invalid"},
		{name: "foreign host, remote reads allowed", req: request{path: "/api/status", host: "evil.example", remote: "192.0.2.7:5000"}, remote: true,
			code: 421, ctype: jsonT, errCode: "invalid"},
		{name: "no host", req: request{path: "/api/status", host: "-"}, code: 400, ctype: jsonT, errCode: "invalid"},
		{name: "localhost", req: request{path: "/api/status", host: "localhost:8080"}, code: 200, ctype: jsonT},
		{name: "a .localhost name", req: request{path: "/api/status", host: "warden.localhost"}, code: 200, ctype: jsonT},
		{name: "IPv6 loopback", req: request{path: "/api/status", host: "[::1]:8080"}, code: 200, ctype: jsonT},
		{name: "another loopback address", req: request{path: "/api/status", host: "127.0.0.2"}, code: 200, ctype: jsonT},
		{name: "the public host, any case", req: request{path: "/api/status", host: "WARDEN.Example.com."}, code: 200, ctype: jsonT},
		{name: "a name ending in localhost", req: request{path: "/api/status", host: "evil-localhost"}, code: 421, ctype: jsonT, errCode: "invalid"},
		{name: "probes answer any host", req: request{path: "/healthz", host: "10.1.2.3:8080"}, code: 200, ctype: jsonT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, demoStore(), tt.ready)
			s.RemoteReads = tt.remote
			resp := do(t, s, tt.req)
			b := body(t, resp)
			if resp.StatusCode != tt.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.code, b)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type %q, want %q", ct, tt.ctype)
			}
			for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
				if resp.Header.Get(h) == "" {
					t.Errorf("no %s header", h)
				}
			}
			if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Errorf("CSP %q", resp.Header.Get("Content-Security-Policy"))
			}
			if tt.ctype == html && resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("page Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			if tt.errCode != "" {
				if code, _ := jsonError(t, b); code != tt.errCode {
					t.Errorf("error code %q, want %q", code, tt.errCode)
				}
			}
			for _, want := range tt.contains {
				if !strings.Contains(b, want) {
					t.Errorf("body lacks %q:\n%s", want, b)
				}
			}
			for _, bad := range tt.absent {
				if strings.Contains(b, bad) {
					t.Errorf("body has %q:\n%s", bad, b)
				}
			}
		})
	}
}

// emptyStore returns an empty in-memory SQLite store, closed when the
// process ends (tests build many).
func emptyStore() warden.Store {
	db, err := sqlite.Open(context.Background(), sqlite.MemoryPath)
	if err != nil {
		panic(err)
	}
	return db
}

// TestStatusAPIIsTheReadModel checks that /api/status is exactly
// WriteStatuses of the stored statuses, and decodes back to them.
func TestStatusAPIIsTheReadModel(t *testing.T) {
	store := demoStore()
	b := body(t, do(t, newServer(t, store, true), request{path: "/api/status"}))
	var want bytes.Buffer
	if err := web.WriteStatuses(&want, store.statuses); err != nil {
		t.Fatal(err)
	}
	if b != want.String() {
		t.Errorf("/api/status differs from WriteStatuses:\n%s\nwant\n%s", b, want.String())
	}
	var got []*warden.UserStatus
	if err := json.Unmarshal([]byte(b), &got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(store.statuses, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("decoded statuses (-stored +served):\n%s", d)
	}
}

func TestWriteStatuses(t *testing.T) {
	tests := []struct {
		name string
		in   []*warden.UserStatus
		want string
	}{
		{"no users", nil, "[]\n"},
		{"nil warnings", []*warden.UserStatus{{Org: "o", Username: "u", State: warden.StateUnknown}}, `"warnings": []`},
		{"html is escaped", []*warden.UserStatus{{Org: "o", Username: "u", Fix: "<b>"}}, `"fix": "\u003cb\u003e"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]*warden.UserStatus(nil), tt.in...)
			var buf bytes.Buffer
			if err := web.WriteStatuses(&buf, tt.in); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), tt.want) {
				t.Errorf("got %s, want it to contain %s", buf.String(), tt.want)
			}
			for i := range in {
				if in[i] != tt.in[i] || (tt.in[i].Warnings == nil) != (in[i].Warnings == nil) {
					t.Errorf("WriteStatuses changed its input")
				}
			}
		})
	}
}

// TestErrorsAreSafe checks the mapping of error kinds to HTTP statuses
// and that internal details are logged, never shown.
func TestErrorsAreSafe(t *testing.T) {
	secretDetail := errors.New("dial tcp 10.0.0.5:5432: password=hunter2 rejected")
	tests := []struct {
		name    string
		err     error
		path    string
		code    int
		errCode string
		message string
	}{
		{"internal, JSON", secretDetail, "/api/status", 500, "internal", "internal error"},
		{"internal, page", secretDetail, "/status", 500, "internal", "internal error"},
		{"kinded internal, JSON", &warden.Error{Kind: warden.EINTERNAL, Message: "bug at line 3", Err: secretDetail}, "/api/status", 500, "internal", "internal error"},
		{"unavailable, JSON", warden.Errorf(warden.EUNAVAILABLE, "the database is busy"), "/api/status", 503, "unavailable", "the database is busy"},
		{"unavailable, page", warden.Errorf(warden.EUNAVAILABLE, "the database is busy"), "/status", 503, "unavailable", "the database is busy"},
		{"invalid", warden.Errorf(warden.EINVALID, "bad filter"), "/api/status", 400, "invalid", "bad filter"},
		{"conflict", warden.Errorf(warden.ECONFLICT, "busy"), "/api/status", 409, "conflict", "busy"},
		{"unauthorized", warden.Errorf(warden.EUNAUTHORIZED, "log in"), "/api/status", 401, "unauthorized", "log in"},
		{"forbidden", warden.Errorf(warden.EFORBIDDEN, "not yours"), "/api/status", 403, "forbidden", "not yours"},
		{"not found, user page", warden.Errorf(warden.ENOTFOUND, "gone"), "/users/acme/gis@acme.test", 404, "not_found", "gone"},
		{"internal, user page", secretDetail, "/users/acme/gis@acme.test", 500, "internal", "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := demoStore()
			store.err = tt.err
			s := newServer(t, store, true)
			var log bytes.Buffer
			s.Logger = slog.New(slog.NewTextHandler(&log, nil))
			resp := do(t, s, request{path: tt.path})
			b := body(t, resp)
			if resp.StatusCode != tt.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.code, b)
			}
			if strings.HasPrefix(tt.path, "/api/") {
				code, msg := jsonError(t, b)
				if code != tt.errCode || !strings.Contains(msg, tt.message) {
					t.Errorf("error %q %q, want %q %q", code, msg, tt.errCode, tt.message)
				}
			} else if !strings.Contains(b, tt.message) || !strings.Contains(b, `data-code="`+tt.errCode+`"`) {
				t.Errorf("page lacks %q (%s): %s", tt.message, tt.errCode, b)
			}
			if strings.Contains(b, "hunter2") || strings.Contains(b, "10.0.0.5") || strings.Contains(b, "bug at line 3") {
				t.Errorf("internal details shown: %s", b)
			}
			if tt.errCode == "internal" && !strings.Contains(log.String(), "hunter2") {
				t.Errorf("internal details not logged: %s", log.String())
			}
			if tt.errCode != "internal" && log.Len() > 0 {
				t.Errorf("a safe error was logged as internal: %s", log.String())
			}
		})
	}
}

// TestEverythingIsEscaped puts markup into every field a page shows.
func TestEverythingIsEscaped(t *testing.T) {
	const x = `<script>alert(1)</script>`
	store := &fakeStore{
		Store: emptyStore(),
		users: []*warden.IntegrationUser{{Org: "o" + x, Username: "u" + x, Owner: x, Description: x, Credential: x}},
		statuses: []*warden.UserStatus{{Org: "o" + x, Username: "u" + x, State: warden.State(x), Cause: warden.Cause(x),
			Fix: x, Evidence: x, Warnings: []string{x}}},
		history:    []*warden.HealthResult{{Org: "o" + x, Username: "u" + x, State: warden.State(x), Cause: warden.Cause(x), Evidence: x}},
		dependents: []*warden.Dependent{{Org: "o" + x, Username: "u" + x, Name: x, Owner: x, Contact: x, Delivery: warden.Delivery(x), Objects: []warden.ObjectAccess{{Object: x, Access: []string{x}}}}},
	}
	s := newServer(t, store, true)
	for _, path := range []string{"/status", "/users/o%3Cscript%3Ealert%281%29%3C%2Fscript%3E/u%3Cscript%3Ealert%281%29%3C%2Fscript%3E", "/nope" + "%3Cscript%3E",
		"/", "/orgs/o%3Cscript%3Ealert%281%29%3C%2Fscript%3E", "/dependents", "/status?q=%3Cscript%3E"} {
		resp := do(t, s, request{path: path})
		b := body(t, resp)
		if resp.StatusCode != 200 && resp.StatusCode != 404 {
			t.Errorf("%s: status %d: %s", path, resp.StatusCode, b)
		}
		if strings.Contains(b, "<script") {
			t.Errorf("%s: unescaped markup:\n%s", path, b)
		}
		if resp.StatusCode == 200 && !strings.Contains(b, "&lt;script&gt;") {
			t.Errorf("%s: the fields are not shown:\n%s", path, b)
		}
	}
}

// TestAuthenticateWrapsEveryRouteButProbes checks the middleware slot
// the dashboard's access control fills.
func TestAuthenticateWrapsEveryRouteButProbes(t *testing.T) {
	s := newServer(t, demoStore(), true)
	s.Authenticate = func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer let-me-in" {
				http.Error(w, "who are you?", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(warden.WithPrincipal(r.Context(), warden.Principal{Kind: "token", Name: "ci", Role: warden.RoleViewer})))
		})
	}
	for _, tt := range []struct {
		path string
		code int
	}{
		{"/", 401}, {"/status", 401}, {"/api/status", 401}, {"/users/acme/gis@acme.test", 401}, {"/metrics", 401},
		{"/nope", 401}, {"/api/nope", 401}, {"/healthz", 200}, {"/readyz", 200},
	} {
		if resp := do(t, s, request{path: tt.path}); resp.StatusCode != tt.code {
			t.Errorf("%s: %d, want %d", tt.path, resp.StatusCode, tt.code)
		}
	}
	r := httptest.NewRequest("GET", "/api/status", nil)
	r.RemoteAddr, r.Host = "127.0.0.1:40000", "localhost"
	r.Header.Set("Authorization", "Bearer let-me-in")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	if rec.Code != 200 {
		t.Errorf("authenticated: %d %s", rec.Code, rec.Body)
	}
}

// TestProbesNeverTouchTheStore checks that /healthz and /readyz answer
// while every store call blocks.
func TestProbesNeverTouchTheStore(t *testing.T) {
	s := web.NewServer()
	s.Readiness = readiness(true)
	// No store at all: a probe that used one would panic.
	for _, path := range []string{"/healthz", "/readyz"} {
		if resp := do(t, s, request{path: path}); resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}
