package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// statusOf runs "warden status --json" and returns the status of username.
func statusOf(t *testing.T, cfg, username string) *warden.UserStatus {
	t.Helper()
	code, out, errOut := run(t, "status", "--config", cfg, "--json")
	if code != 0 {
		t.Fatalf("status: %d %s", code, errOut)
	}
	var statuses []*warden.UserStatus
	if err := json.Unmarshal([]byte(out), &statuses); err != nil {
		t.Fatalf("status --json: %v: %s", err, out)
	}
	for _, s := range statuses {
		if s.Username == username {
			return s
		}
	}
	t.Fatalf("no %s in %s", username, out)
	return nil
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestDemoEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	emu := startServe(t, "demo", "--emulator-addr", "127.0.0.1:0", "--addr", "127.0.0.1:0", "--data", dir, "--sweep-interval", "1s")
	cfg := filepath.Join(dir, "warden.yaml")
	waitFor(t, "the first sweep", 20*time.Second, func() bool { return statusOf(t, cfg, "marketing.sync@acme.demo").Cause == "user_frozen" })
	want := map[string]string{
		"marketing.sync@acme.demo": "user_frozen", "support.bridge@globex.demo": "user_deactivated",
		"etl.loader@acme.demo": "password_locked", "reporting.api@acme.demo": "api_permission_missing",
		"warehouse.batch@acme.demo": "ip_or_hours_restricted", "invoice.sync@acme.demo": "",
	}
	for user, cause := range want {
		if r := statusOf(t, cfg, user); string(r.Cause) != cause || r.Since.IsZero() || (cause != "" && r.Fix == "") {
			t.Errorf("%s: %+v, want cause %q", user, r, cause)
		}
	}
	patch := func(body string) {
		req, _ := http.NewRequest("PATCH", emu+"/_emulator/orgs/Acme%20Corp/users/invoice.sync@acme.demo", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("control API: %v %v", err, resp)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	patch(`{"frozen":true}`)
	waitFor(t, "the freeze", 15*time.Second, func() bool { return statusOf(t, cfg, "invoice.sync@acme.demo").Cause == "user_frozen" })
	patch(`{"frozen":false}`)
	waitFor(t, "the recovery", 15*time.Second, func() bool { return statusOf(t, cfg, "invoice.sync@acme.demo").State == "ok" })
	code, out, _ := run(t, "status", "--config", cfg)
	if code != 0 || !strings.Contains(out, "ORG") || !strings.Contains(out, "user_frozen") {
		t.Errorf("status table: %d %s", code, out)
	}
	code, out, _ = run(t, "check", "--config", cfg, "acme/etl.loader@acme.demo")
	if code != 1 || !strings.Contains(out, "password_locked") || !strings.Contains(out, "fix:") {
		t.Errorf("check: %d %s", code, out)
	}
}
