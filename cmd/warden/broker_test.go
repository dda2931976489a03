package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
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
	tok := viewerToken(t, func(string) string { return "" }, path) // /metrics needs a viewer
	waitFor(t, "broker metrics", 10*time.Second, func() bool {
		_, m := getAs(t, base+"/metrics", tok)
		return strings.Contains(m, `warden_broker_requests_total{dependent="Analytics Loader",key="`+created.ID+`",op="token",outcome="ok"} 1`)
	})
	// The audit log attributes the grant and the proxied call to the key.
	waitFor(t, "broker requests in the audit log", 10*time.Second, func() bool {
		_, out, _ := run(t, "audit-log", "list", "--config", path, "--json")
		return strings.Contains(out, `"broker.token"`) && strings.Contains(out, `"broker.proxy"`) && strings.Contains(out, created.ID+" (Analytics Loader)")
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

// TestBrokerOwnTLSListener serves the broker on broker.addr with TLS: the
// token endpoint answers there, and serve's own listener has no broker.
func TestBrokerOwnTLSListener(t *testing.T) {
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
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler()) // for its certificate and key
	tlsSrv.Close()
	cert := tlsSrv.TLS.Certificates[0]
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "broker.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	os.WriteFile(filepath.Join(dir, "broker.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	f.WriteString("broker:\n  addr: 127.0.0.1:0\n  tlsCert: broker.crt\n  tlsKey: broker.key\n")
	f.Close()
	if code, out, errOut := run(t, "inventory", "sync", "--config", path); code != 0 {
		t.Fatalf("inventory sync: %d %s %s", code, out, errOut)
	}
	const user = "jwt.analytics@acme.demo"
	code, out, errOut := run(t, "broker", "key", "create", "--config", path, "--user", user, "--dependent", "Analytics Loader", "--json")
	if code != 0 {
		t.Fatalf("key create: %d %s", code, errOut)
	}
	var created struct{ Key string }
	json.Unmarshal([]byte(out), &created)

	ctx, cancel := contextWithCancel(t)
	ready := make(chan [2]string, 2)
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }, Ready: func(name, url string) { ready <- [2]string{name, url} }}
	done := make(chan int)
	go func() { done <- m.Run(ctx, []string{"serve", "--config", path}) }()
	defer func() { cancel(); <-done }()
	urls := map[string]string{}
	for len(urls) < 2 {
		select {
		case r := <-ready:
			urls[r[0]] = r[1]
		case code := <-done:
			t.Fatalf("serve exited %d", code)
		case <-time.After(20 * time.Second):
			t.Fatal("serve not ready")
		}
	}
	if !strings.HasPrefix(urls["broker"], "https://127.0.0.1:") {
		t.Fatalf("broker URL %q; want https on loopback", urls["broker"])
	}
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	post := func(base string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/broker/v1/token", strings.NewReader(`{"user":"`+user+`"}`))
		req.Header.Set("Authorization", "Bearer "+created.Key)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := post(urls["broker"]); status != http.StatusOK {
		t.Errorf("token over TLS: %d", status)
	}
	if status := post(urls["warden"]); status == http.StatusOK {
		t.Error("serve's own listener also serves the broker")
	}
}
