package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
)

// startDemo runs "warden demo" until the test ends and returns the URLs
// of its emulator and of Warden's server.
func startDemo(t *testing.T, args ...string) (emu, base string) {
	t.Helper()
	ctx, cancel := contextWithCancel(t)
	ready := make(chan [2]string, 2)
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: io.Discard, Getenv: func(string) string { return "" },
		Ready: func(name, url string) { ready <- [2]string{name, url} }}
	done := make(chan int)
	go func() { done <- m.Run(ctx, append([]string{"demo"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("demo exited %d", code)
		}
	})
	for emu == "" || base == "" {
		select {
		case r := <-ready:
			if r[0] == "emulator" {
				emu = r[1]
			} else {
				base = r[1]
			}
		case code := <-done:
			t.Fatalf("demo exited %d before ready: %s", code, out.String())
		case <-time.After(30 * time.Second):
			t.Fatal("demo not ready")
		}
	}
	return emu, base
}

// httpGet returns the status code and body of a GET of u.
func httpGet(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestStatusAgreesWithAPI runs the demo and checks that "warden status
// --json" prints the very document /api/status serves, for every demo
// user, and that every user's page shows its status.
func TestStatusAgreesWithAPI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	// One sweep per org: the statuses hold still while they are compared.
	_, base := startDemo(t, "--emulator-addr", "127.0.0.1:0", "--addr", "127.0.0.1:0", "--data", dir, "--sweep-interval", "1h")
	cfg := filepath.Join(dir, "warden.yaml")
	waitFor(t, "readiness", 30*time.Second, func() bool {
		code, _ := httpGet(t, base+"/readyz")
		return code == 200
	})
	tok := viewerToken(t, func(string) string { return "" }, cfg) // every route but the probes needs a principal
	var api, cli string
	for range 10 { // a push-triggered sweep may move the statuses between the reads
		var code int
		code, api = getAs(t, base+"/api/status", tok)
		if code != 200 {
			t.Fatalf("/api/status: %d %s", code, api)
		}
		var errOut string
		code, cli, errOut = run(t, "status", "--config", cfg, "--json")
		if code != 0 {
			t.Fatalf("status --json: %d %s", code, errOut)
		}
		if _, again := getAs(t, base+"/api/status", tok); again == api {
			break
		}
	}
	if cli != api {
		t.Fatalf("warden status --json and /api/status differ:\n%s\n---\n%s", cli, api)
	}
	var statuses []*warden.UserStatus
	if err := json.Unmarshal([]byte(api), &statuses); err != nil {
		t.Fatal(err)
	}
	byUser := map[string]*warden.UserStatus{}
	for _, s := range statuses {
		byUser[s.Username] = s
	}
	for _, a := range demoApps {
		s := byUser[a.user]
		if s == nil {
			t.Errorf("%s is not in the status", a.user)
			continue
		}
		code, page := getAs(t, base+"/users/"+url.PathEscape(s.Org)+"/"+url.PathEscape(s.Username), tok)
		if code != 200 || !strings.Contains(page, s.Username) || !strings.Contains(page, string(s.State)) || !strings.Contains(page, string(s.Cause)) {
			t.Errorf("user page of %s: %d\n%s", s.Username, code, page)
		}
	}
	if len(statuses) != len(demoApps) {
		t.Errorf("%d statuses, want %d", len(statuses), len(demoApps))
	}
	// Not vacuous: the sweep's findings are there.
	if s := byUser["marketing.sync@acme.demo"]; s == nil || s.Cause != warden.CauseUserFrozen || s.CheckedAt.IsZero() {
		t.Errorf("marketing.sync: %+v, want user_frozen and a sweep time", s)
	}
	code, page := getAs(t, base+"/users/acme/nobody@acme.demo", tok)
	if code != 404 || !strings.Contains(page, "nobody@acme.demo") {
		t.Errorf("unknown user page: %d %s", code, page)
	}
	code, table, _ := run(t, "status", "--config", cfg)
	if code != 0 || !strings.Contains(table, "CREDENTIAL CHECKED") || !strings.Contains(table, "NEXT CHECK") {
		t.Errorf("status table: %d %s", code, table)
	}
}

func TestServeRefusesRemoteWithoutOptIn(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "warden.yaml")
	if err := os.WriteFile(path, []byte("store:\n  driver: sqlite\n  path: warden.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		code, _, errOut := run(t, "serve", "--config", path, "--addr", addr)
		if code != 2 || !strings.Contains(errOut, "beyond loopback") || !strings.Contains(errOut, "--allow-remote") {
			t.Errorf("serve --addr %s: %d %s", addr, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "warden.db")); !os.IsNotExist(err) {
		t.Errorf("a refused serve created the database: %v", err)
	}
}

func TestCheckExposure(t *testing.T) {
	tests := []struct {
		addr string
		o    serveOptions
		ok   bool
		warn string
	}{
		{"127.0.0.1:8080", serveOptions{}, true, ""},
		{"127.0.0.2:8080", serveOptions{}, true, ""},
		{"localhost:0", serveOptions{}, true, ""},
		{"[::1]:8080", serveOptions{}, true, ""},
		{":8080", serveOptions{}, false, ""},
		{"0.0.0.0:8080", serveOptions{}, false, ""},
		{"[::]:8080", serveOptions{}, false, ""},
		{"10.0.0.5:8080", serveOptions{}, false, ""},
		{"warden.internal:8080", serveOptions{}, false, ""},
		{"0.0.0.0:8080", serveOptions{AllowRemote: true}, true, "/healthz and /readyz only"},
		{"0.0.0.0:8080", serveOptions{AllowRemoteReads: true}, true, "every client that can reach the server"},
		{"0.0.0.0:8080", serveOptions{AllowRemote: true, AllowRemoteReads: true}, true, "every client that can reach the server"},
	}
	for _, tt := range tests {
		var log bytes.Buffer
		err := checkExposure(tt.addr, tt.o, slog.New(slog.NewTextHandler(&log, nil)))
		if (err == nil) != tt.ok {
			t.Errorf("%s %+v: %v, want ok %v", tt.addr, tt.o, err, tt.ok)
		}
		if err != nil && warden.ErrorKind(err) != warden.EINVALID {
			t.Errorf("%s: kind %s", tt.addr, warden.ErrorKind(err))
		}
		if !strings.Contains(log.String(), tt.warn) || (tt.warn == "" && log.Len() > 0) {
			t.Errorf("%s %+v: log %q, want %q", tt.addr, tt.o, log.String(), tt.warn)
		}
	}
}

func TestServerHosts(t *testing.T) {
	tests := []struct {
		server config.Server
		want   []string
	}{
		{config.Server{Addr: "127.0.0.1:8080"}, []string{"127.0.0.1"}},
		{config.Server{Addr: ":8080", PublicURL: "https://warden.example.com/"}, []string{"warden.example.com"}},
		{config.Server{Addr: "0.0.0.0:8080", PublicURL: "http://warden.example.com:8080"}, []string{"warden.example.com"}},
		{config.Server{Addr: "[::]:8080"}, nil},
		{config.Server{Addr: "10.0.0.5:8080", PublicURL: "https://[2001:db8::1]/"}, []string{"2001:db8::1", "10.0.0.5"}},
		{config.Server{Addr: "warden.internal:8080"}, []string{"warden.internal"}},
	}
	for _, tt := range tests {
		got := serverHosts(tt.server)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("serverHosts(%+v) = %v, want %v", tt.server, got, tt.want)
		}
	}
}
