package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/monitor"
	"github.com/wardenhq/warden/web"
)

type source struct {
	st    []monitor.Status
	ready bool
}

func (s source) Statuses() []monitor.Status { return s.st }
func (s source) Ready() bool                { return s.ready }

func get(t *testing.T, h http.Handler, path string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, rec.Header(), string(b)
}

func TestStatusPageAndAPI(t *testing.T) {
	at := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	src := source{st: []monitor.Status{
		{Org: "acme", Username: "gis@acme.test", State: warden.StateError, Cause: warden.CauseUserFrozen, Since: at,
			Evidence: "UserLogin.IsFrozen = true", Fix: "Unfreeze <the> user"},
		{Org: "acme", Username: "ok@acme.test", State: warden.StateOK, Since: at, Warnings: []string{"password expires in 7 days"}},
	}}
	reg := prometheus.NewRegistry()
	monitor.NewMetrics(reg)
	h := web.New(web.Options{Source: src, Gatherer: reg, Now: func() time.Time { return at }})
	code, hdr, body := get(t, h, "/status")
	if code != 200 || !strings.Contains(body, "user_frozen") || !strings.Contains(body, "Unfreeze &lt;the&gt; user") ||
		!strings.Contains(body, "2 users: 1 ok, 0 degraded, 1 error, 0 unknown") || !strings.Contains(body, "password expires in 7 days") {
		t.Errorf("status page: %d %s", code, body)
	}
	if !strings.Contains(hdr.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("headers: %v", hdr)
	}
	code, _, body = get(t, h, "/api/status")
	var got []map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil || code != 200 || len(got) != 2 {
		t.Fatalf("api: %d %s", code, body)
	}
	for _, k := range []string{"org", "username", "state", "cause", "since", "fix"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("api status lacks %q: %v", k, got[0])
		}
	}
	if code, _, _ := get(t, h, "/readyz"); code != 503 {
		t.Errorf("readyz before ready: %d", code)
	}
	if code, _, _ := get(t, web.New(web.Options{Source: source{ready: true}, Gatherer: reg}), "/readyz"); code != 200 {
		t.Errorf("readyz when ready: %d", code)
	}
	if code, _, _ := get(t, h, "/healthz"); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	if code, _, body := get(t, h, "/metrics"); code != 200 || !strings.Contains(body, "warden_") && !strings.Contains(body, "# HELP") && body != "" {
		t.Errorf("metrics: %d %s", code, body)
	}
	if code, hdr, _ := get(t, h, "/"); code != 302 || hdr.Get("Location") != "/status" {
		t.Errorf("root: %d %v", code, hdr)
	}
}
