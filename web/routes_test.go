package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/auth/authtest"
	"github.com/wardenhq/warden/web"
)

// seed puts an org, a user with a dependent, its status and an alert into
// store, and returns the alert.
func seed(t *testing.T, store warden.Store) *warden.AlertRecord {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(store.UpsertOrg(ctx, &warden.Org{Name: "acme", LoginURL: "https://login.salesforce.com"}))
	must(store.UpsertUser(ctx, &warden.IntegrationUser{Org: "acme", Username: "gis@acme.test", Owner: "gis"}))
	must(store.UpsertDependent(ctx, &warden.Dependent{Org: "acme", Username: "gis@acme.test", Name: "GIS Sync", Owner: "gis", Delivery: warden.DeliveryManual}))
	must(store.PutStatuses(ctx, "acme", at, []*warden.UserStatus{{Org: "acme", Username: "gis@acme.test", State: warden.StateError,
		Cause: warden.CauseUserFrozen, Since: at, Fix: "Unfreeze the user", Evidence: "UserLogin.IsFrozen = true"}}))
	a := &warden.AlertRecord{Alert: warden.Alert{Key: "acme/gis@acme.test", Org: "acme", Username: "gis@acme.test", State: warden.StateError,
		Cause: warden.CauseUserFrozen, Severity: warden.SeverityHigh, Fix: "Unfreeze the user", At: at}}
	must(store.AppendAlert(ctx, a))
	return a
}

// fakeChecker answers every check with the user's stored status.
type fakeChecker struct{ store warden.Store }

func (c fakeChecker) Check(ctx context.Context, org, username string) (warden.UserStatus, error) {
	st, err := c.store.Statuses(ctx, warden.StatusFilter{Org: org, Username: username})
	if err != nil || len(st) == 0 {
		return warden.UserStatus{}, err
	}
	return *st[0], nil
}

// concrete fills a route pattern's wildcards with the seeded names.
func concrete(pattern string, id int64) string {
	r := strings.NewReplacer("{org}", "acme", "{username}", "gis@acme.test", "{id}", fmt.Sprint(id), "{$}", "")
	return r.Replace(pattern)
}

// TestRouteTableAccessControl walks the whole route table with access
// control's matrix: anonymous requests are refused except on public
// routes, and each route enforces its role, with API tokens and with
// browser sessions (and their CSRF tokens).
func TestRouteTableAccessControl(t *testing.T) {
	env := authtest.New(t, auth.Options{})
	a := seed(t, env.Store)
	s := web.NewServer()
	s.Store, s.Readiness, s.Checker = env.Store, readiness(true), fakeChecker{env.Store}
	s.Authenticate, s.Login, s.Auditor = env.Service.Middleware, env.Service.Handler(), env.Service
	// The role matrix: viewers read, operators act, admins manage the
	// broker's keys; logging in and the probes are public.
	public := []string{"/login", "/logout", "/auth/oidc/login", "/auth/oidc/callback", "/healthz", "/readyz"}
	for _, rt := range s.Routes() {
		want := warden.RoleViewer
		switch {
		case slices.Contains(public, rt.Pattern):
			want = ""
		case strings.HasPrefix(rt.Pattern, "/api/v1/broker/"):
			want = warden.RoleAdmin
		case rt.Method == http.MethodPost:
			want = warden.RoleOperator
		}
		if rt.Role != want {
			t.Errorf("%s %s needs role %q, want %q", rt.Method, rt.Pattern, rt.Role, want)
		}
	}
	var routes []authtest.Route
	for _, rt := range s.Routes() {
		if rt.Pattern == "/logout" {
			continue // it ends the session the walk uses; the browser test logs out
		}
		r := authtest.Route{Method: rt.Method, Path: concrete(rt.Pattern, a.ID), Role: rt.Role}
		if rt.Method == http.MethodPost && rt.API {
			r.Body, r.ContentType = `{"reason":"known","for":"1h"}`, "application/json"
		} else if rt.Method == http.MethodPost {
			r.Body, r.ContentType = url.Values{"reason": {"known"}, "for": {"1h"}}.Encode(), "application/x-www-form-urlencoded"
		}
		routes = append(routes, r)
	}
	if len(routes) < 30 {
		t.Fatalf("only %d routes", len(routes))
	}
	authtest.CheckRoutes(t, s, env, routes)

	// The actions were audited with who did them.
	entries, err := env.Store.AuditEntries(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action+" by "+e.Actor.Name)
	}
	for _, want := range []string{"user.check by operator", "alert.acknowledge by admin", "alert.snooze by operator"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %q: %q", want, actions)
		}
	}
}

// TestRolesWithoutAuthentication: a server without accounts lets
// loopback clients read and nobody act.
func TestRolesWithoutAuthentication(t *testing.T) {
	store := demoStore()
	s := newServer(t, store, true)
	s.Checker = fakeChecker{store}
	for _, tt := range []struct {
		method, path string
		remote       string
		code         int
	}{
		{"GET", "/api/v1/users", "", 200},
		{"GET", "/api/v1/me", "", 200},
		{"POST", "/api/v1/users/acme/gis@acme.test/check", "", 403},
		{"POST", "/users/acme/gis@acme.test/check", "", 403},
		{"GET", "/api/v1/users", "192.0.2.7:5000", 403},
		{"GET", "/login", "", 404},
		{"GET", "/api/v1/broker/keys", "", 403},
	} {
		resp := do(t, s, request{method: tt.method, path: tt.path, remote: tt.remote})
		if b := body(t, resp); resp.StatusCode != tt.code {
			t.Errorf("%s %s from %q: %d, want %d: %s", tt.method, tt.path, tt.remote, resp.StatusCode, tt.code, b)
		}
	}
}

// operator injects an operator principal, as a logged-in session would.
func operator(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(warden.WithPrincipal(r.Context(), warden.Principal{Kind: "account", Name: "ann", Role: warden.RoleOperator})))
	})
}

func TestAlertActions(t *testing.T) {
	store := emptyStore()
	a := seed(t, store)
	s := web.NewServer()
	s.Store, s.Readiness, s.Authenticate = store, readiness(true), operator
	s.Now = func() time.Time { return at.Add(time.Minute) }
	post := func(path, ctype, b string) (*http.Response, string) {
		r := httptest.NewRequest("POST", path, strings.NewReader(b))
		r.RemoteAddr, r.Host = "127.0.0.1:40000", "localhost"
		r.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		return rec.Result(), rec.Body.String()
	}
	id := fmt.Sprint(a.ID)
	for _, tt := range []struct {
		name, path, ctype, body string
		code                    int
		errCode                 string
	}{
		{"no reason", "/api/v1/alerts/" + id + "/ack", "application/json", `{"reason":""}`, 400, "invalid"},
		{"unknown field", "/api/v1/alerts/" + id + "/ack", "application/json", `{"why":"x"}`, 400, "invalid"},
		{"unknown alert", "/api/v1/alerts/999/ack", "application/json", `{"reason":"x"}`, 404, "not_found"},
		{"bad id", "/api/v1/alerts/x/ack", "application/json", `{"reason":"x"}`, 400, "invalid"},
		{"snooze too long", "/api/v1/alerts/" + id + "/snooze", "application/json", `{"reason":"x","for":"9999h"}`, 400, "invalid"},
		{"acknowledge", "/api/v1/alerts/" + id + "/ack", "application/json", `{"reason":"billing unfreezes it"}`, 200, ""},
		{"snooze by form", "/alerts/" + id + "/snooze", "application/x-www-form-urlencoded", "reason=maintenance&for=4h&back=/users/acme/gis@acme.test", 303, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := post(tt.path, tt.ctype, tt.body)
			if resp.StatusCode != tt.code {
				t.Fatalf("%d, want %d: %s", resp.StatusCode, tt.code, b)
			}
			if tt.errCode != "" {
				if code, _ := jsonError(t, b); code != tt.errCode {
					t.Errorf("code %q, want %q", code, tt.errCode)
				}
			}
		})
	}
	got, err := store.Alert(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AcknowledgedBy != "account:ann" || got.AckReason != "billing unfreezes it" || got.SnoozeReason != "maintenance" ||
		!got.SnoozedUntil.Equal(at.Add(time.Minute+4*time.Hour)) {
		t.Errorf("after the actions: %+v", got)
	}
	// The pages show it.
	page := body(t, do(t, s, request{path: "/alerts"}))
	for _, want := range []string{"acknowledged by account:ann: billing unfreezes it", "snoozed until", "maintenance"} {
		if !strings.Contains(page, want) {
			t.Errorf("alerts page lacks %q", want)
		}
	}
}

func TestAPI(t *testing.T) {
	store := emptyStore()
	seed(t, store)
	s := web.NewServer()
	s.Store, s.Readiness = store, readiness(true)
	for _, tt := range []struct {
		path     string
		code     int
		errCode  string
		contains []string
	}{
		{"/api/v1/orgs", 200, "", []string{`"name": "acme"`, `"error": 1`, `"total": 1`}},
		{"/api/v1/orgs/acme", 200, "", []string{`"users": 1`}},
		{"/api/v1/orgs/nope", 404, "not_found", nil},
		{"/api/v1/users?state=error", 200, "", []string{`"cause": "user_frozen"`, `"total": 1`}},
		{"/api/v1/users?state=ok", 200, "", []string{`"items": []`, `"total": 0`}},
		{"/api/v1/users?limit=0", 400, "invalid", nil},
		{"/api/v1/users/acme/gis@acme.test", 200, "", []string{`"GIS Sync"`, `"findings": []`, `"alerts": [`}},
		{"/api/v1/users/acme/gis@acme.test/dependents", 200, "", []string{`"breaksOnFreeze": true`}},
		{"/api/v1/users/acme/gis@acme.test/activity", 200, "", []string{`"loginsRead": false`, `"logins": []`}},
		{"/api/v1/users/acme/nobody", 404, "not_found", nil},
		{"/api/v1/dependents", 200, "", []string{`"GIS Sync"`}},
		{"/api/v1/findings", 200, "", []string{`"items": []`}},
		{"/api/v1/legacy-auth", 200, "", []string{`"items": []`}},
		{"/api/v1/rotations", 200, "", []string{`"items": []`}},
		{"/api/v1/alerts?open=1", 200, "", []string{`"key": "acme/gis@acme.test"`}},
		{"/api/v1/broker/keys", 403, "forbidden", nil}, // the local viewer is no admin
		{"/api/status", 200, "", []string{`"user_frozen"`}},
		{"/api/v1/nope", 404, "not_found", nil},
	} {
		resp := do(t, s, request{path: tt.path})
		b := body(t, resp)
		if resp.StatusCode != tt.code {
			t.Errorf("%s: %d, want %d: %s", tt.path, resp.StatusCode, tt.code, b)
			continue
		}
		if tt.errCode != "" {
			if code, _ := jsonError(t, b); code != tt.errCode {
				t.Errorf("%s: code %q, want %q", tt.path, code, tt.errCode)
			}
		}
		for _, want := range tt.contains {
			if !strings.Contains(b, want) {
				t.Errorf("%s lacks %s: %s", tt.path, want, b)
			}
		}
	}
	// Capabilities the server lacks answer 501 in the error shape.
	s2 := web.NewServer()
	s2.Store, s2.Readiness = store, readiness(true)
	s2.Authenticate = func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(warden.WithPrincipal(r.Context(), warden.Principal{Kind: "token", Name: "ci", Role: warden.RoleAdmin})))
		})
	}
	for _, q := range []request{{method: "POST", path: "/api/v1/users/acme/gis@acme.test/rotate"},
		{method: "POST", path: "/api/v1/users/acme/gis@acme.test/check"}} {
		resp := do(t, s2, q)
		if b := body(t, resp); resp.StatusCode != 501 {
			t.Errorf("%s: %d: %s", q.path, resp.StatusCode, b)
		} else if code, _ := jsonError(t, b); code != "not_implemented" {
			t.Errorf("%s: code %q", q.path, code)
		}
	}
}

// TestPages renders every page over a seeded store.
func TestPages(t *testing.T) {
	store := emptyStore()
	seed(t, store)
	s := web.NewServer()
	s.Store, s.Readiness, s.Checker, s.Authenticate = store, readiness(true), fakeChecker{store}, operator
	for _, tt := range []struct {
		path     string
		contains []string
	}{
		{"/", []string{"Users that need attention", "user_frozen", "Unfreeze the user", "Recent alerts", "<svg", "ann (operator)"}},
		{"/status?state=error", []string{"gis@acme.test", "1 shown"}},
		{"/status?state=ok", []string{"0 shown"}},
		{"/orgs/acme", []string{"Org acme", "1: 0 ok, 0 degraded, 1 error"}},
		{"/users/acme/gis@acme.test", []string{"Check now", "Acknowledge", "Snooze", "GIS Sync", "Health checks per hour", "If this user is frozen"}},
		{"/dependents", []string{"What breaks if a user is frozen?", "GIS Sync", "<strong>1</strong> application break"}},
		{"/findings", []string{"No finding"}},
		{"/legacy-auth", []string{"No user logs in with a password"}},
		{"/alerts?open=1", []string{"user_frozen", "Acknowledge"}},
	} {
		resp := do(t, s, request{path: tt.path})
		b := body(t, resp)
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d: %s", tt.path, resp.StatusCode, b)
			continue
		}
		for _, want := range tt.contains {
			if !strings.Contains(b, want) {
				t.Errorf("%s lacks %q", tt.path, want)
			}
		}
		if strings.Contains(b, "<script") {
			t.Errorf("%s has a script", tt.path)
		}
	}
	// Check now, by form, goes back to the user page.
	r := httptest.NewRequest("POST", "/users/acme/gis@acme.test/check", nil)
	r.RemoteAddr, r.Host = "127.0.0.1:40000", "localhost"
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	if rec.Code != 303 || rec.Header().Get("Location") != "/users/acme/gis@acme.test?checked=1" {
		t.Errorf("check now: %d %v", rec.Code, rec.Header())
	}
}

func TestPagination(t *testing.T) {
	store := emptyStore()
	ctx := t.Context()
	if err := store.UpsertOrg(ctx, &warden.Org{Name: "big", LoginURL: "https://login.salesforce.com"}); err != nil {
		t.Fatal(err)
	}
	for i := range 120 {
		if err := store.UpsertUser(ctx, &warden.IntegrationUser{Org: "big", Username: fmt.Sprintf("u%03d@big.test", i)}); err != nil {
			t.Fatal(err)
		}
	}
	s := web.NewServer()
	s.Store, s.Readiness = store, readiness(true)
	b := body(t, do(t, s, request{path: "/status?page=2&org=big"}))
	for _, want := range []string{"Showing 51–100 of 120", "u050@big.test", `href="/status?org=big&amp;page=1"`, `href="/status?org=big&amp;page=3"`} {
		if !strings.Contains(b, want) {
			t.Errorf("page 2 lacks %q", want)
		}
	}
	if strings.Contains(b, "u049@big.test") || strings.Contains(b, "u100@big.test") {
		t.Errorf("page 2 shows rows of other pages")
	}
	b = body(t, do(t, s, request{path: "/api/v1/users?offset=110&limit=5"}))
	if !strings.Contains(b, `"total": 120`) || !strings.Contains(b, "u110@big.test") || strings.Contains(b, "u115@big.test") {
		t.Errorf("API paging: %s", b)
	}
}

func TestChartSVG(t *testing.T) {
	c := web.Chart{Title: `Logins <per> hour`, Labels: []string{"acme", "<globex>"}, Limit: 3600, LimitLabel: "3,600 / hour",
		Series: []web.Series{{Name: "ok", Class: "ok", Values: []float64{12, 3}}, {Name: "failed", Class: "error", Values: []float64{0, 4000}}}}
	for _, line := range []bool{false, true} {
		c.Line = line
		svg := string(c.SVG())
		var doc struct {
			XMLName xml.Name
			Role    string `xml:"role,attr"`
			Label   string `xml:"aria-label,attr"`
			Title   string `xml:"title"`
		}
		if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
			t.Fatalf("not XML (line %v): %v\n%s", line, err, svg)
		}
		if doc.XMLName.Local != "svg" || doc.Role != "img" || doc.Title != "Logins <per> hour" ||
			!strings.Contains(doc.Label, "<globex> ok 3, failed 4000") {
			t.Errorf("chart %+v", doc)
		}
		if strings.Contains(svg, "<globex>") || !strings.Contains(svg, "3,600 / hour") || !strings.Contains(svg, ">5000<") {
			t.Errorf("labels, limit or axis (line %v):\n%s", line, svg)
		}
	}
	if svg := string(web.Chart{Title: "empty"}.SVG()); !strings.Contains(svg, "<title>empty</title>") {
		t.Errorf("empty chart: %s", svg)
	}
}

// TestOpenAPI checks the document against the route table (every API
// route documented, every documented operation routed) and validates its
// structure as OpenAPI 3.1 requires.
func TestOpenAPI(t *testing.T) {
	s := newServer(t, demoStore(), true)
	resp := do(t, s, request{path: "/api/v1/openapi.json"})
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 {
		t.Fatalf("openapi.json: %d %v", resp.StatusCode, err)
	}
	routed := map[string]bool{}
	for _, rt := range s.Routes() {
		if rt.API {
			routed[strings.ToLower(rt.Method)+" "+rt.Pattern] = true
		}
	}
	for _, p := range validateOpenAPI(t, doc) {
		if !routed[p] {
			t.Errorf("documented but not routed: %s", p)
		}
		delete(routed, p)
	}
	for p := range routed {
		t.Errorf("routed but not documented: %s", p)
	}
}

// validateOpenAPI checks doc's structure against the OpenAPI 3.1
// specification's rules (the required fields, operations, parameters,
// responses, unique operation ids, path templates matching path
// parameters, resolving references, schema types) and returns its
// operations as "method path".
func validateOpenAPI(t *testing.T, doc map[string]any) []string {
	t.Helper()
	obj := func(v any, where string) map[string]any {
		t.Helper()
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not an object: %v", where, v)
		}
		return m
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	info := obj(doc["info"], "info")
	if info["title"] == "" || info["version"] == "" {
		t.Errorf("info %v", info)
	}
	comps := obj(doc["components"], "components")
	schemas := obj(comps["schemas"], "components.schemas")
	schemes := obj(comps["securitySchemes"], "components.securitySchemes")
	for name, sc := range schemes {
		if typ := obj(sc, name)["type"]; typ != "http" && typ != "apiKey" {
			t.Errorf("security scheme %s: type %v", name, typ)
		}
	}
	for _, req := range doc["security"].([]any) {
		for name := range obj(req, "security") {
			if schemes[name] == nil {
				t.Errorf("security requirement %s has no scheme", name)
			}
		}
	}
	// Every $ref resolves; every schema's type is a JSON Schema type.
	types := map[string]bool{"object": true, "array": true, "string": true, "integer": true, "number": true, "boolean": true, "null": true}
	var walk func(v any, where string)
	walk = func(v any, where string) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				name, found := strings.CutPrefix(ref, "#/components/schemas/")
				if !found || schemas[name] == nil {
					t.Errorf("%s: $ref %s does not resolve", where, ref)
				}
			}
			switch typ := x["type"].(type) {
			case string:
				if !types[typ] && !strings.Contains(where, "securitySchemes") {
					t.Errorf("%s: type %q", where, typ)
				}
			case []any:
				for _, ty := range typ {
					if s, _ := ty.(string); !types[s] {
						t.Errorf("%s: type %v", where, ty)
					}
				}
			}
			if x["type"] == "array" || slices.Contains(anySlice(x["type"]), "array") {
				if _, ok := x["items"].(map[string]any); !ok {
					t.Errorf("%s: an array without items", where)
				}
			}
			for k, e := range x {
				walk(e, where+"."+k)
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s[%d]", where, i))
			}
		}
	}
	walk(doc, "$")
	ids := map[string]bool{}
	var ops []string
	param := regexp.MustCompile(`\{([^}]+)\}`)
	methods := map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}
	for path, item := range obj(doc["paths"], "paths") {
		if !strings.HasPrefix(path, "/") {
			t.Errorf("path %q does not start with /", path)
		}
		var templ []string
		for _, m := range param.FindAllStringSubmatch(path, -1) {
			templ = append(templ, m[1])
		}
		for method, o := range obj(item, path) {
			if !methods[method] {
				t.Errorf("%s: %q is not an operation", path, method)
				continue
			}
			op := obj(o, path+" "+method)
			ops = append(ops, method+" "+path)
			id, _ := op["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: operationId %q missing or repeated", method, path, id)
			}
			ids[id] = true
			if s, _ := op["summary"].(string); s == "" {
				t.Errorf("%s %s: no summary", method, path)
			}
			var inPath []string
			for _, p := range anySlice(op["parameters"]) {
				pm := obj(p, path+" parameter")
				switch pm["in"] {
				case "path":
					if pm["required"] != true {
						t.Errorf("%s %s: path parameter %v not required", method, path, pm["name"])
					}
					inPath = append(inPath, pm["name"].(string))
				case "query", "header", "cookie":
				default:
					t.Errorf("%s %s: parameter in %v", method, path, pm["in"])
				}
				if pm["schema"] == nil {
					t.Errorf("%s %s: parameter %v has no schema", method, path, pm["name"])
				}
			}
			slices.Sort(inPath)
			sorted := slices.Sorted(slices.Values(templ))
			if !slices.Equal(inPath, sorted) {
				t.Errorf("%s %s: path parameters %v, template %v", method, path, inPath, sorted)
			}
			resps := obj(op["responses"], path+" responses")
			ok := false
			for code, r := range resps {
				if code != "default" && !regexp.MustCompile(`^[1-5]([0-9]{2}|XX)$`).MatchString(code) {
					t.Errorf("%s %s: response code %q", method, path, code)
				}
				if strings.HasPrefix(code, "2") {
					ok = true
				}
				if d, _ := obj(r, code)["description"].(string); d == "" {
					t.Errorf("%s %s: response %s has no description", method, path, code)
				}
			}
			if !ok {
				t.Errorf("%s %s: no success response", method, path)
			}
		}
	}
	if len(ops) < 20 {
		t.Errorf("only %d operations", len(ops))
	}
	return ops
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestAPIDocs checks that docs/api.md lists every API route.
func TestAPIDocs(t *testing.T) {
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range web.NewServer().Routes() {
		if rt.API && !strings.Contains(string(doc), "| "+rt.Method+" | `"+rt.Pattern+"` |") {
			t.Errorf("docs/api.md does not list %s %s", rt.Method, rt.Pattern)
		}
	}
}

// TestRemoteReadsWithAuthentication: --allow-remote-reads lets anonymous
// clients read, as the local viewer, even with access control; they still
// cannot act, and principals keep their roles.
func TestRemoteReadsWithAuthentication(t *testing.T) {
	store := demoStore()
	s := newServer(t, store, true)
	s.Checker, s.RemoteReads, s.Authenticate = fakeChecker{store}, true, func(next http.Handler) http.Handler { return next }
	for _, tt := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/api/v1/users", 200},
		{"GET", "/status", 200},
		{"POST", "/api/v1/users/acme/gis@acme.test/check", 403},
	} {
		resp := do(t, s, request{method: tt.method, path: tt.path, remote: "192.0.2.7:5000", host: "warden.example.com"})
		if b := body(t, resp); resp.StatusCode != tt.code {
			t.Errorf("%s %s: %d, want %d: %s", tt.method, tt.path, resp.StatusCode, tt.code, b)
		}
	}
}
