package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/wardenhq/warden/activity"
)

// legacyOf runs "warden legacy --json" and returns its entries by username.
func legacyOf(t *testing.T, cfg string) map[string][]activity.LegacyUse {
	t.Helper()
	code, out, errOut := run(t, "legacy", "--config", cfg, "--json")
	if code != 0 {
		t.Fatalf("legacy: %d %s", code, errOut)
	}
	var uses []activity.LegacyUse
	if err := json.Unmarshal([]byte(out), &uses); err != nil {
		t.Fatalf("legacy --json: %v: %s", err, out)
	}
	by := map[string][]activity.LegacyUse{}
	for _, u := range uses {
		by[u.Username] = append(by[u.Username], u)
	}
	return by
}

func TestDemoLegacy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	startServe(t, "demo", "--emulator-addr", "127.0.0.1:0", "--addr", "127.0.0.1:0", "--data", dir, "--sweep-interval", "1s")
	cfg := filepath.Join(dir, "warden.yaml")
	by := legacyOf(t, cfg)
	for u, uses := range by {
		for _, x := range uses {
			t.Logf("%s %s %+v %s", u, x.Method, x.Clients, x.Reason)
		}
	}
	soap := by["legacy.soap@acme.demo"]
	if len(soap) != 1 || soap[0].Method != activity.MethodSOAPLogin || len(soap[0].Clients) == 0 || soap[0].Clients[0].SourceIP != "198.51.100.17" ||
		soap[0].Clients[0].APIType != "SOAP Partner" || soap[0].LastSeen.IsZero() {
		t.Errorf("legacy.soap@acme.demo: %+v, want SOAP login() from 198.51.100.17", soap)
	}
	for _, u := range []string{"jwt.analytics@acme.demo", "erp.sync@globex.demo", "invoice.sync@acme.demo"} {
		if by[u] != nil {
			t.Errorf("%s is listed: %+v", u, by[u])
		}
	}
	if gis := by["gis.legacy@acme.demo"]; len(gis) != 1 || gis[0].Method != activity.MethodOAuthPassword {
		t.Errorf("gis.legacy@acme.demo: %+v, want the username-password flow", gis)
	}
}
