package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
)

// TestBrokerKeysAndServe creates a broker key, gets a token and proxies a
// call through the broker that warden serve mounts, and revokes the key.
func TestBrokerKeysAndServe(t *testing.T) {
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	emu := emulatortest.Start(t, seed)
	dir := t.TempDir()
	path := filepath.Join(dir, "warden.yaml")
	if err := writeDemoConfig(t.Context(), dir, path, emu.URL, "127.0.0.1:0", time.Minute, key); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "inventory", "sync", "--config", path); code != 0 {
		t.Fatalf("inventory sync: %d %s %s", code, out, errOut)
	}
	const user = "jwt.analytics@acme.demo"
	if code, _, errOut := run(t, "broker", "key", "create", "--config", path, "--user", "nobody@acme.demo", "--dependent", "X"); code != 3 ||
		!strings.Contains(errOut, "nobody@acme.demo") {
		t.Errorf("key for an unknown user: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "broker", "key", "create", "--config", path, "--user", user, "--dependent", "Analytics Loader", "--expires", "soon"); code != 2 {
		t.Errorf("bad --expires: %d %s", code, errOut)
	}
	code, out, errOut := run(t, "broker", "key", "create", "--config", path, "--user", user, "--dependent", "Analytics Loader", "--expires", "30d", "--json")
	if code != 0 {
		t.Fatalf("key create: %d %s %s", code, out, errOut)
	}
	var created struct {
		Key       string    `json:"key"`
		ID        string    `json:"id"`
		ExpiresAt time.Time `json:"expiresAt"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || !strings.HasPrefix(created.Key, "wbk_"+created.ID+"_") {
		t.Fatalf("key create output %q: %v", out, err)
	}
	if d := time.Until(created.ExpiresAt); d < 29*24*time.Hour || d > 30*24*time.Hour {
		t.Errorf("expires in %v; want 30 days", d)
	}
	if strings.Contains(out, `"hash"`) {
		t.Error("key create prints the hash")
	}

	base := startServe(t, "serve", "--config", path)
	body, _ := json.Marshal(map[string]string{"user": user})
	req, _ := http.NewRequest(http.MethodPost, base+"/broker/v1/token", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+created.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"instance_url":"`+emu.URL) {
		t.Fatalf("token through serve: %d %s", resp.StatusCode, data)
	}
	req, _ = http.NewRequest(http.MethodGet, base+"/broker/v1/proxy/"+user+"/services/data/v60.0/limits", nil)
	req.Header.Set("Authorization", "Bearer "+created.Key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Sforce-Limit-Info") == "" {
		t.Errorf("proxy through serve: %d, Sforce-Limit-Info %q", resp.StatusCode, resp.Header.Get("Sforce-Limit-Info"))
	}
	waitFor(t, "broker metrics", 10*time.Second, func() bool {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		m, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(m), `warden_broker_requests_total{dependent="Analytics Loader",key="`+created.ID+`",op="token",outcome="ok"} 1`)
	})
	waitFor(t, "last use recorded", 10*time.Second, func() bool {
		_, out, _ := run(t, "broker", "key", "list", "--config", path, "--json")
		return strings.Contains(out, `"lastUsedAt"`)
	})

	if code, out, errOut := run(t, "broker", "key", "revoke", created.ID, "--config", path); code != 0 || !strings.Contains(out, "Revoked") {
		t.Errorf("revoke: %d %s %s", code, out, errOut)
	}
	if code, _, _ := run(t, "broker", "key", "revoke", "0000000000000000", "--config", path); code != 3 {
		t.Errorf("revoke of an unknown key: exit %d; want 3", code)
	}
	_, out, _ = run(t, "broker", "key", "list", "--config", path)
	if !strings.Contains(out, created.ID) || !strings.Contains(out, "revoked") || strings.Contains(out, created.Key) {
		t.Errorf("key list after revoke:\n%s", out)
	}
}
