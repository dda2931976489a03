package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// activityOf runs "warden activity --json" and returns its findings.
func activityOf(t *testing.T, cfg string, args ...string) []*warden.ActivityEvent {
	t.Helper()
	code, out, errOut := run(t, append([]string{"activity", "--config", cfg, "--json", "--since", "60d"}, args...)...)
	if code != 0 {
		t.Fatalf("activity: %d %s", code, errOut)
	}
	var events []*warden.ActivityEvent
	if err := json.Unmarshal([]byte(out), &events); err != nil {
		t.Fatalf("activity --json: %v: %s", err, out)
	}
	return events
}

// TestDemoActivity: on the demo, the activity rules find each of the
// demo's planted anomalies once, with its explanation, and nothing else.
func TestDemoActivity(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	startServe(t, "demo", "--emulator-addr", "127.0.0.1:0", "--addr", "127.0.0.1:0", "--data", dir, "--sweep-interval", "1s")
	cfg := filepath.Join(dir, "warden.yaml")
	want := map[string][]string{ // rule user -> words of the explanation
		"failed_logins etl.loader@acme.demo":      {"Invalid Password", "198.51.100.18", "ETL Loader"},
		"hourly_volume order.webhook@acme.demo":   {"Order Webhooks", "3600"},
		"setup_change gis.legacy@acme.demo":       {"changed its profile", "admin@acme.demo"},
		"setup_change marketing.sync@acme.demo":   {"froze it"},
		"setup_change legacy.soap@acme.demo":      {"changed its password"},
		"setup_change etl.loader@acme.demo":       {"reset its password"},
		"setup_change reporting.api@acme.demo":    {"unassigned a permission set", "Reporting_API_Access"},
		"setup_change jwt.analytics@acme.demo":    {"assigned it a permission set", "Analytics_Loader"},
		"setup_change erp.sync@globex.demo":       {"assigned it a permission set", "ERP_Sync"},
		"setup_change support.bridge@globex.demo": {"deactivated it", "admin@globex.demo"},
	}
	var events []*warden.ActivityEvent
	deadline := time.Now().Add(30 * time.Second)
	for len(events) < len(want) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		events = activityOf(t, cfg)
	}
	time.Sleep(3 * time.Second) // a few more sweeps: nothing else may come
	events = activityOf(t, cfg)
	var got []string
	for _, ev := range events {
		k := ev.Rule + " " + ev.Username
		got = append(got, k)
		words, ok := want[k]
		if !ok {
			t.Errorf("unexpected finding %s: %s", k, ev.Summary)
			continue
		}
		for _, w := range words {
			if !strings.Contains(ev.Summary+" "+ev.Fix, w) {
				t.Errorf("%s: %q does not say %q", k, ev.Summary, w)
			}
		}
	}
	for k := range want {
		if n := len(slices.DeleteFunc(slices.Clone(got), func(g string) bool { return g != k })); n != 1 {
			t.Errorf("%s found %d times, want once", k, n)
		}
	}
	// --user narrows the timeline.
	if evs := activityOf(t, cfg, "--user", "etl.loader@acme.demo"); len(evs) != 2 {
		t.Errorf("activity --user etl.loader@acme.demo: %d findings, want 2", len(evs))
	}
}
