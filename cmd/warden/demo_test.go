package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// statusOf runs "warden status --json" and returns the status of username.
func statusOf(t *testing.T, cfg, username string) *warden.UserStatus {
	t.Helper()
	for _, s := range statusesOf(t, cfg) {
		if s.Username == username {
			return s
		}
	}
	t.Fatalf("no %s in warden status", username)
	return nil
}

// statusesOf runs "warden status --json" on cfg.
func statusesOf(t *testing.T, cfg string) []*warden.UserStatus {
	t.Helper()
	code, out, errOut := run(t, "status", "--config", cfg, "--json")
	if code != 0 {
		t.Fatalf("status: %d %s", code, errOut)
	}
	var statuses []*warden.UserStatus
	if err := json.Unmarshal([]byte(out), &statuses); err != nil {
		t.Fatalf("status --json: %v: %s", err, out)
	}
	return statuses
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
	// Each org's first sweep starts at a random point of its first half interval: wait for both.
	waitFor(t, "the first sweeps", 20*time.Second, func() bool {
		return statusOf(t, cfg, "marketing.sync@acme.demo").Cause == "user_frozen" &&
			statusOf(t, cfg, "support.bridge@globex.demo").Cause == "user_deactivated"
	})
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

// TestDemoAddresses: addresses beyond loopback are refused before
// anything is written, and IPv6 addresses survive the demo configuration.
func TestDemoAddresses(t *testing.T) {
	for _, args := range [][]string{
		{"--addr", "0.0.0.0:0"},
		{"--emulator-addr", ":8484"},
		{"--addr", "[::]:0"},
		{"--emulator-addr", "127.0.0.1"},
	} {
		dir := filepath.Join(t.TempDir(), "demo")
		code, _, errOut := run(t, append([]string{"demo", "--data", dir}, args...)...)
		if code != 2 || !strings.Contains(errOut, args[0]+" "+args[1]+": ") {
			t.Errorf("demo %q: %d %s", args, code, errOut)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("demo %q created %s: %v", args, dir, err)
		}
	}
	_, key := invDemo(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "warden.yaml")
	if err := writeDemoConfig(t.Context(), dir, path, "http://[::1]:8484", "[::1]:8080", time.Second, key); err != nil {
		t.Fatal(err)
	}
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	cfg, err := m.loadConfig(path)
	if err != nil {
		t.Fatalf("the demo configuration with IPv6 addresses: %v", err)
	}
	if cfg.Server.Addr != "[::1]:8080" || cfg.Server.PublicURL != "http://[::1]:8080" || cfg.Orgs[0].LoginURL != "http://[::1]:8484" {
		t.Errorf("server %+v, org %+v", cfg.Server, cfg.Orgs[0])
	}
}
