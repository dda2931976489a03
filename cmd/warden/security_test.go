package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/emulator"
)

// syncBuffer is a bytes.Buffer safe for the goroutines of warden serve.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNoSecretInOutputLogsOrFiles runs a full discovery and inventory
// session (org add in all three ways, import-sf, discover --write, the
// listings, impact, status, check and a running serve with its web pages)
// with verbose logs, then scans every byte the session produced: all
// output and logs, the web pages, the SQLite database with its WAL, the
// secrets file and the configuration. None may hold any secret the session
// created or saw: private key, client secrets, passwords, security tokens,
// refresh tokens, access tokens and authorization codes.
func TestNoSecretInOutputLogsOrFiles(t *testing.T) {
	v := newInvEnv(t, true)
	seed, key := invDemo(t)
	v.env["ERP_SECRET"] = "demo-globex-erp-sync-secret"
	v.env["WRONG_SECRET"] = "not-the-erp-secret-0123456789"
	v.env["SF_AUTH_URL"] = "force://demo-acme-invoice-sync:demo-acme-invoice-sync-secret:5Aep861DemoAcmeInvoiceSyncRefreshToken01@" + v.emu.URL
	v.env["SF_REVOKED"] = "force://demo-acme-invoice-sync:demo-acme-invoice-sync-secret:5Aep861RevokedRefreshTokenValue99@" + v.emu.URL

	var transcript strings.Builder
	step := func(wantCode int, args ...string) {
		t.Helper()
		code, out, errOut := v.run(args...)
		transcript.WriteString(out)
		transcript.WriteString(errOut)
		if code != wantCode {
			t.Fatalf("%q: exit %d, want %d\n%s%s", args, code, wantCode, out, errOut)
		}
	}
	step(0, "org", "add", "--name", "acme-cli", "--login-url", v.emu.URL, "--kind", "jwt", "--username", "admin@acme.demo",
		"--client-id", "warden-demo-acme", "--key-file", v.keyFile, "-v")
	step(0, "org", "add", "--name", "globex-cli", "--login-url", v.emu.URL, "--kind", "client_credentials",
		"--client-id", "demo-globex-erp-sync", "--client-secret-env", "ERP_SECRET", "-v", "--json")
	step(5, "org", "add", "--name", "globex-bad", "--login-url", v.emu.URL, "--kind", "client_credentials",
		"--client-id", "demo-globex-erp-sync", "--client-secret-env", "WRONG_SECRET", "-v")
	code, out, errOut := v.webAdd("acme-web", "-v")
	transcript.WriteString(out + errOut)
	if code != 0 {
		t.Fatalf("web: %d %s %s", code, out, errOut)
	}
	step(0, "org", "import-sf", "--name", "acme-sf", "--auth-url-env", "SF_AUTH_URL", "-v")
	step(5, "org", "import-sf", "--name", "acme-revoked", "--auth-url-env", "SF_REVOKED", "-v")
	step(0, "org", "list")
	step(0, "org", "list", "--json")
	step(0, "discover", "--org", "acme", "--write", "-v")
	step(0, "discover", "--org", "globex", "--write", "--json", "-v")
	step(0, "discover", "--org", "acme-cli", "--write", "--owner", "platform", "-v")
	step(0, "discover", "--org", "acme-web", "-v")
	step(0, "discover", "--org", "globex-cli", "--json", "-v") // as erp.sync: warnings
	step(0, "discover", "--org", "acme-sf", "-v")
	step(0, "users")
	step(0, "users", "--json")
	step(0, "dependents")
	step(0, "dependents", "--json")
	for _, dc := range emulator.DemoCredentials() {
		step(0, "impact", demoOrgName(dc.Org)+"/"+dc.Username)
		step(0, "impact", "--json", demoOrgName(dc.Org)+"/"+dc.Username)
	}
	step(0, "impact", "acme-cli/jwt.analytics@acme.demo")
	step(0, "check", "acme/invoice.sync@acme.demo") // refreshes the token: a new access token
	step(1, "check", "acme/etl.loader@acme.demo")   // password locked: an error with evidence
	step(0, "status")
	step(0, "status", "--json")

	// warden serve over the same files: sweeps, liveness checks with
	// every credential, and its pages.
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	m := &Main{Stdout: logs, Stderr: logs, Getenv: v.getenv, Ready: func(name, u string) { ready <- u }}
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, []string{"serve", "--config", v.cfg, "--addr", "127.0.0.1:0", "-v"}) }()
	var base string
	select {
	case base = <-ready:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve not ready")
	}
	var pages strings.Builder
	tok := viewerToken(t, v.getenv, v.cfg) // every route but the probes needs a principal
	deadline := time.Now().Add(15 * time.Second)
	for {
		pages.Reset()
		for _, p := range []string{"/status", "/api/status", "/metrics", "/healthz", "/readyz"} {
			_, b := getAs(t, base+p, tok)
			pages.WriteString(b)
		}
		if strings.Contains(pages.String(), "password_locked") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d", code)
	}
	if !strings.Contains(pages.String(), "password_locked") {
		t.Errorf("serve never swept: %s", pages.String())
	}

	// Every secret of the session.
	secrets := map[string]string{} // value -> what it is
	add := func(what, s string) {
		if len(s) >= 8 {
			secrets[s] = what
		}
	}
	for _, line := range strings.Split(keyPEM(key), "\n") {
		if !strings.HasPrefix(line, "-----") {
			add("private key PEM line", line)
		}
	}
	for _, o := range seed.Orgs {
		for _, a := range o.ConnectedApps {
			add("client secret of "+a.Name, a.ConsumerSecret)
		}
		for _, rt := range o.RefreshTokens {
			add("seeded refresh token of "+rt.User, rt.Token)
		}
		for _, u := range o.Users {
			add("password of "+u.Username, emulator.DemoPassword(u.Username))
			add("security token of "+u.Username, emulator.DemoToken(u.Username))
		}
	}
	for _, dc := range emulator.DemoCredentials() {
		add("demo credential secret of "+dc.Username, dc.Secret)
	}
	for k, val := range v.env {
		add("environment variable "+k, val)
	}
	kek, err := os.ReadFile(filepath.Join(v.dir, "warden.key"))
	if err != nil {
		t.Fatal(err)
	}
	add("key-encryption key", strings.TrimSpace(string(kek)))
	observed := v.observed.list()
	for _, s := range observed {
		add("token or code the emulator issued", s)
	}
	if len(observed) < 20 {
		t.Fatalf("only %d tokens observed on the wire: the scan would prove little", len(observed))
	}

	// Everything the session wrote.
	sources := map[string][]byte{
		"command output and -v logs": []byte(transcript.String()),
		"serve output and logs":      []byte(logs.String()),
		"web pages":                  []byte(pages.String()),
	}
	entries, err := os.ReadDir(v.dir)
	if err != nil {
		t.Fatal(err)
	}
	scanned := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir(), name == "warden.key", strings.HasSuffix(name, ".key"): // the KEK and the key the user gave
			continue
		}
		data, err := os.ReadFile(filepath.Join(v.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sources["file "+name] = data
		scanned[name] = true
	}
	for _, want := range []string{"warden.db", "secrets.json", "warden.yaml"} {
		if !scanned[want] {
			t.Errorf("%s was not written", want)
		}
	}
	// The files hold what they should (so the scan is meaningful):
	// references in the database, ciphertext under the right keys.
	db := string(sources["file warden.db"]) + string(sources["file warden.db-wal"])
	for _, want := range []string{"monitor-acme-cli", "monitor-acme-web", "monitor-acme-sf", "licence Salesforce Integration"} {
		if !strings.Contains(db, want) {
			t.Errorf("the database lacks %q", want)
		}
	}
	for _, want := range []string{"monitor-acme-cli", "monitor-globex-cli", "monitor-acme-web", "monitor-acme-sf"} {
		if !bytes.Contains(sources["file secrets.json"], []byte(`"`+want+`"`)) {
			t.Errorf("secrets.json lacks key %q", want)
		}
	}
	for _, bad := range []string{"monitor-globex-bad", "monitor-acme-revoked"} {
		if strings.Contains(db, bad) || bytes.Contains(sources["file secrets.json"], []byte(bad)) {
			t.Errorf("a failed org add left %q behind", bad)
		}
	}

	leaks := 0
	for where, data := range sources {
		for s, what := range secrets {
			if bytes.Contains(data, []byte(s)) {
				leaks++
				if leaks <= 20 {
					t.Errorf("%s holds the %s", where, what)
				}
			}
		}
	}
	t.Logf("scanned %d sources (%d bytes of output) for %d secret values", len(sources), transcript.Len()+len(logs.String()), len(secrets))
}
