package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/auth/oidctest"
	"github.com/wardenhq/warden/secret/local"
)

// runIn runs warden with stdin and USER=tester, and returns the exit
// code and the outputs.
func runIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "USER" {
			return "tester"
		}
		return ""
	}}
	code := m.Run(t.Context(), args)
	return code, out.String(), errb.String()
}

// minimalConfig writes a configuration with only a SQLite store (and
// extra) and returns its path.
func minimalConfig(t *testing.T, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warden.yaml")
	if err := os.WriteFile(path, []byte("store:\n  driver: sqlite\n  path: warden.db\n"+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUserCommands(t *testing.T) {
	cfg := minimalConfig(t, "")
	steps := []struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"", []string{"user", "list", "--config", cfg}, 0, "No accounts"},
		{"correct horse battery\n", []string{"user", "create", "--config", cfg, "--role", "operator", "olivia"}, 0, "Created operator account olivia"},
		{"", []string{"user", "create", "--config", cfg, "admin", "--role", "admin", "--generate"}, 0, "shown only now: "},
		{"correct horse battery\n", []string{"user", "create", "--config", cfg, "--role", "viewer", "olivia"}, 4, "already exists"},
		{"short\n", []string{"user", "create", "--config", cfg, "--role", "viewer", "vic"}, 2, "at least 12 characters"},
		{"", []string{"user", "create", "--config", cfg, "--role", "viewer", "vic"}, 2, "no password"},
		{"x\n", []string{"user", "create", "--config", cfg, "--role", "root", "vic"}, 2, `--role "root"`},
		{"x\n", []string{"user", "create", "--config", cfg, "--role", "viewer"}, 2, "needs one USERNAME"},
		{"", []string{"user", "set-role", "--config", cfg, "--role", "admin", "olivia"}, 0, "olivia is now admin"},
		{"", []string{"user", "reset-password", "--config", cfg, "--generate", "olivia"}, 0, "shown only now: "},
		{"", []string{"user", "reset-password", "--config", cfg, "--generate", "nobody"}, 3, "not found"},
		{"", []string{"user", "list", "--config", cfg}, 0, "olivia    admin"},
		{"", []string{"user", "delete", "--config", cfg, "olivia"}, 0, "Deleted account olivia"},
		{"", []string{"user", "delete", "--config", cfg, "olivia"}, 3, "not found"},
		{"", []string{"user", "frob"}, 2, `unknown user subcommand "frob"`},
		{"", []string{"user", "--help"}, 0, "user create --role"},
	}
	for _, s := range steps {
		code, out, errOut := runIn(t, s.stdin, s.args...)
		if code != s.code || !strings.Contains(out+errOut, s.want) {
			t.Errorf("%v: exit %d, %s%s; want exit %d and %q", s.args, code, out, errOut, s.code, s.want)
		}
		if s.stdin != "" && strings.Contains(out+errOut, strings.TrimSpace(s.stdin)) && len(s.stdin) > 6 {
			t.Errorf("%v printed the password", s.args)
		}
	}
	code, out, _ := runIn(t, "", "user", "list", "--config", cfg, "--json")
	if code != 0 || strings.Contains(out, "argon2") || !strings.Contains(out, `"username": "admin"`) {
		t.Errorf("user list --json: %d %s", code, out)
	}
	code, out, _ = runIn(t, "", "audit-log", "list", "--config", cfg)
	for _, want := range []string{"cli:tester  account.create          account:olivia", "account.set_role", "account.reset_password",
		"account.delete", "conflict: account \"olivia\" already exists", "local"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("audit-log list lacks %q: %d %s", want, code, out)
		}
	}
}

func TestTokenCommands(t *testing.T) {
	cfg := minimalConfig(t, "")
	code, out, errOut := runIn(t, "", "token", "create", "--config", cfg, "--name", "ci", "--role", "operator", "--expires", "90d")
	tok := regexp.MustCompile(`wat_[A-Za-z0-9_-]+`).FindString(out)
	if code != 0 || tok == "" || !strings.Contains(out, "expiring") {
		t.Fatalf("token create: %d %s %s", code, out, errOut)
	}
	id := regexp.MustCompile(`id ([0-9a-f]+)`).FindStringSubmatch(out)[1]
	code, out, _ = runIn(t, "", "token", "list", "--config", cfg)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "active") || strings.Contains(out, tok) {
		t.Errorf("token list: %d %s", code, out)
	}
	if code, out, _ := runIn(t, "", "token", "revoke", "--config", cfg, id); code != 0 || !strings.Contains(out, "Revoked") {
		t.Errorf("token revoke: %d %s", code, out)
	}
	if code, out, _ := runIn(t, "", "token", "list", "--config", cfg, "--json"); code != 0 || !strings.Contains(out, `"revokedAt"`) || strings.Contains(out, "hash") {
		t.Errorf("token list --json: %d %s", code, out)
	}
	for _, bad := range [][]string{
		{"token", "create", "--config", cfg, "--name", "x", "--role", "viewer", "--expires", "0d"},
		{"token", "create", "--config", cfg, "--name", "x", "--role", "viewer", "--expires", "10s"},
		{"token", "create", "--config", cfg, "--role", "viewer"},
		{"token", "create", "--config", cfg, "--name", "x"},
	} {
		if code, _, _ := runIn(t, "", bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	if code, _, errOut := runIn(t, "", "token", "revoke", "--config", cfg, "nope"); code != 3 {
		t.Errorf("revoke of an unknown token: %d %s", code, errOut)
	}
}

// TestAuditLogVerify tampers with the audit log in the SQLite file and
// checks that warden audit-log verify exits 1 naming the entry.
func TestAuditLogVerify(t *testing.T) {
	cfg := minimalConfig(t, "")
	for _, name := range []string{"a", "b", "c"} {
		if code, _, errOut := runIn(t, "", "token", "create", "--config", cfg, "--name", name, "--role", "viewer"); code != 0 {
			t.Fatal(errOut)
		}
	}
	code, out, _ := runIn(t, "", "audit-log", "verify", "--config", cfg)
	if code != 0 || !strings.Contains(out, "intact: 3 entries, head 3 ") {
		t.Fatalf("verify: %d %s", code, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(filepath.Dir(cfg), "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit_entries SET target = 'token:z' WHERE seq = 2`); err == nil {
		t.Fatal("the trigger let an audit entry change")
	}
	if _, err := db.Exec(`DROP TRIGGER audit_entries_no_update; UPDATE audit_entries SET target = 'token:z' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runIn(t, "", "audit-log", "verify", "--config", cfg)
	if code != 1 || !strings.Contains(out, "tampered with") || !strings.Contains(out, "entry 2: its hash does not match its fields") {
		t.Errorf("verify after tampering: %d %s", code, out)
	}
	code, out, _ = runIn(t, "", "audit-log", "verify", "--config", cfg, "--json")
	if code != 1 || !strings.Contains(out, `"ok": false`) || !strings.Contains(out, `"seq": 2`) {
		t.Errorf("verify --json after tampering: %d %s", code, out)
	}
}

func TestParseLifetime(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "90d": 90 * 24 * time.Hour, "12h": 12 * time.Hour, "30m": 30 * time.Minute} {
		if got, err := parseLifetime(in); err != nil || got != want {
			t.Errorf("parseLifetime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0d", "-1d", "5000d", "xd", "10s", "-1h", "soon"} {
		if _, err := parseLifetime(in); err == nil {
			t.Errorf("parseLifetime(%q) accepted", in)
		}
	}
}

func TestExposureWithTLS(t *testing.T) {
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	if err := checkExposure("0.0.0.0:8443", serveOptions{TLS: true}, logger); err != nil {
		t.Errorf("TLS beyond loopback refused: %v", err)
	}
	if !strings.Contains(log.String(), "need a login or an API token") {
		t.Errorf("log: %s", log.String())
	}
	err := checkExposure("0.0.0.0:8443", serveOptions{}, logger)
	if err == nil || !strings.Contains(err.Error(), "tls.certFile") {
		t.Errorf("without TLS: %v", err)
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key
// into dir and returns the certificate's pool.
func writeCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "warden test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// TestServeTLSLogin runs warden serve with TLS and logs in: the session
// cookie is Secure and __Host- prefixed, HSTS is set, and an API token
// authenticates.
func TestServeTLSLogin(t *testing.T) {
	cfg := minimalConfig(t, "tls:\n  certFile: cert.pem\n  keyFile: key.pem\n")
	pool := writeCert(t, filepath.Dir(cfg))
	if code, _, errOut := runIn(t, "correct horse battery\n", "user", "create", "--config", cfg, "--role", "admin", "ada"); code != 0 {
		t.Fatal(errOut)
	}
	_, out, _ := runIn(t, "", "token", "create", "--config", cfg, "--name", "ci", "--role", "viewer")
	tok := regexp.MustCompile(`wat_[A-Za-z0-9_-]+`).FindString(out)
	base := startServe(t, "serve", "--config", cfg, "--addr", "127.0.0.1:0")
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("serve with TLS reported %s", base)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("GET /login: %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	res, err = c.PostForm(base+"/login", url.Values{"username": {"ada"}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cookies := res.Cookies()
	if res.StatusCode != http.StatusSeeOther || len(cookies) != 1 || cookies[0].Name != "__Host-warden_session" || !cookies[0].Secure || !cookies[0].HttpOnly {
		t.Errorf("POST /login: %d, cookies %v", res.StatusCode, cookies)
	}
	for _, tc := range []struct {
		authz string
		want  int
	}{{"Bearer " + tok, 200}, {"Bearer wat_forged", 401}} {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", base+"/api/status", nil)
		req.Header.Set("Authorization", tc.authz)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("/api/status with %.12s…: %d, want %d", tc.authz, res.StatusCode, tc.want)
		}
	}
	// Plain HTTP gets no answer from a TLS listener.
	if res, err := http.Get(strings.Replace(base, "https://", "http://", 1) + "/login"); err == nil && res.StatusCode == 200 {
		t.Errorf("plain HTTP was served")
	}
}

// TestDemoAdmin runs the demo and logs in with the admin password it
// prints.
func TestDemoAdmin(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan [2]string, 2)
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: io.Discard, Getenv: func(string) string { return "" },
		Ready: func(name, url string) { ready <- [2]string{name, url} }}
	done := make(chan int)
	go func() {
		done <- m.Run(ctx, []string{"demo", "--emulator-addr", "127.0.0.1:0", "--addr", "127.0.0.1:0", "--data", dir, "--sweep-interval", "1h"})
	}()
	defer func() { cancel(); <-done }()
	base := ""
	for base == "" {
		select {
		case r := <-ready:
			if r[0] == "warden" {
				base = r[1]
			}
		case code := <-done:
			t.Fatalf("demo exited %d: %s", code, out.String())
		case <-time.After(30 * time.Second):
			t.Fatal("demo not ready")
		}
	}
	m1 := regexp.MustCompile(`dashboard login: +admin / (\S+)`).FindStringSubmatch(out.String())
	if m1 == nil {
		t.Fatalf("the demo prints no admin password:\n%s", out.String())
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/login", url.Values{"username": {"admin"}, "password": {m1[1]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) == 0 {
		t.Errorf("login with the demo's admin password: %d", res.StatusCode)
	}
}

// TestServeOIDC runs warden serve with single sign-on against the
// in-process provider, its client secret in the local secret store, and
// logs in through it.
func TestServeOIDC(t *testing.T) {
	p := oidctest.New(t)
	p.SetUser(map[string]any{"sub": "u1", "email": "ops@example.com", "email_verified": true, "groups": []any{"warden-ops"}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := minimalConfig(t, `secretStores:
  - {name: local, kind: local, path: secrets.json, keyFile: warden.key}
server:
  addr: "`+addr+`"
auth:
  oidc:
    name: Test IdP
    issuer: `+p.Issuer+`
    clientId: `+p.ClientID+`
    clientSecret: {store: local, key: oidc-client-secret}
    redirectUrl: http://`+addr+`/auth/oidc/callback
    roleClaim: groups
    roleMapping: {warden-ops: operator}
`)
	dir := filepath.Dir(cfg)
	kek, err := local.GenerateKEKFile(filepath.Join(dir, "warden.key"))
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := local.Open(filepath.Join(dir, "secrets.json"), kek)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Put(t.Context(), "oidc-client-secret", []byte(p.ClientSecret), warden.StageCurrent, nil); err != nil {
		t.Fatal(err)
	}
	secrets.Close()
	base := startServe(t, "serve", "--config", cfg)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(base + "/auth/oidc/login")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	var session *http.Cookie
	for _, ck := range jar.Cookies(res.Request.URL) {
		if ck.Name == "warden_session" {
			session = ck
		}
	}
	if session == nil {
		t.Fatalf("no session after single sign-on (ended at %s, %d)", res.Request.URL, res.StatusCode)
	}
	_, out, _ := runIn(t, "", "audit-log", "list", "--config", cfg)
	if !strings.Contains(out, "oidc:ops@example.com  login") {
		t.Errorf("the audit log lacks the SSO login:\n%s", out)
	}
}
