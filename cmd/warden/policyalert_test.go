package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/notify"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/sqlite"
)

func TestServeAlertsNewHighPolicyFindings(t *testing.T) {
	ctx := t.Context()
	store, err := sqlite.Open(ctx, sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	store.UpsertOrg(ctx, &warden.Org{Name: "acme", LoginURL: "http://127.0.0.1:9"})
	store.UpsertUser(ctx, &warden.IntegrationUser{Org: "acme", Username: "gis@acme.test", Owner: "gis"})
	var mu sync.Mutex
	var got []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	wh, err := notify.NewWebhook(notify.WebhookConfig{Name: "hook", URL: hook.URL, Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	d := notify.NewDispatcher(notify.DispatcherConfig{Routes: []notify.Route{{Notifier: wh, MinSeverity: warden.SeverityHigh}}})
	e := &env{store: store, logger: slog.New(slog.DiscardHandler)}
	now := time.Now()
	report := &policy.Report{Orgs: []*policy.OrgReport{{Org: "acme", Users: []*policy.UserReport{
		{Org: "acme", Username: "gis@acme.test", Drift: &policy.Drift{New: []*warden.Finding{
			{Rule: "permission.forbidden.ModifyAllData", Severity: warden.SeverityCritical, Evidence: "ModifyAllData granted",
				Source: "permission set Invoice_Sync_API", Fix: "remove it", FoundAt: now},
			{Rule: "profile.preferred", Severity: warden.SeverityLow, Evidence: "not on the preferred profile", FoundAt: now},
		}}},
		{Org: "acme", Username: "first@acme.test", Findings: []*warden.Finding{{Rule: "permission.forbidden.ViewAllData", Severity: warden.SeverityCritical}}},
	}}}}
	e.alertNewFindings(ctx, d, report)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("want one alert (new, high or worse, drift only), got %d: %v", len(got), got)
	}
	for _, want := range []string{"permission.forbidden.ModifyAllData", "permission set Invoice_Sync_API", `"owner":"gis"`, `"severity":"critical"`} {
		if !strings.Contains(got[0], want) {
			t.Errorf("alert lacks %s: %s", want, got[0])
		}
	}
}
