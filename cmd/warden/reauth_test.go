package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
)

// TestRevokedRefreshTokenAlertReauthAndResume runs warden serve with the
// broker against the demo org: an application proxies calls as
// invoice.sync@ (a refresh-token credential); the token is revoked through
// the emulator's control API; the monitor alerts refresh_token_revoked and
// the broker refuses; warden reauth completes the PKCE flow on its
// callback; the same application call works again with the same key, and
// the recovery is announced.
func TestRevokedRefreshTokenAlertReauthAndResume(t *testing.T) {
	const user = "invoice.sync@acme.demo"
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	callback := "http://" + ln.Addr().String() + "/oauth/callback" // held until reauth listens on it
	defer ln.Close()
	for i := range seed.Orgs {
		o := &seed.Orgs[i]
		for j := range o.ConnectedApps {
			if o.ConnectedApps[j].Name == "Invoice Sync" {
				o.ConnectedApps[j].CallbackURL = callback
			}
		}
		// The browser login of a re-authorization needs a user that may
		// log in to the UI: not API Only.
		for j := range o.Profiles {
			o.Profiles[j].Permissions = slices.DeleteFunc(o.Profiles[j].Permissions, func(p string) bool { return p == "ApiUserOnly" })
		}
	}
	emu := emulatortest.Start(t, seed)
	var mu sync.Mutex
	var alerts []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		alerts = append(alerts, string(body))
		mu.Unlock()
	}))
	defer hook.Close()
	alerted := func(parts ...string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range alerts {
			if !strings.Contains(a, `"username":"`+user+`"`) {
				continue
			}
			all := true
			for _, p := range parts {
				all = all && strings.Contains(a, p)
			}
			if all {
				return true
			}
		}
		return false
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "warden.yaml")
	if err := writeDemoConfig(t.Context(), dir, path, emu.URL, "127.0.0.1:0", time.Second, key); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	data = bytes.Replace(data, []byte("livenessInterval: 15m"), []byte("livenessInterval: 1s"), 1)
	data = append(data, []byte("broker:\n  failurePause: 1s\nnotifications:\n  - name: hook\n    kind: webhook\n    url: "+hook.URL+"/warden\n    secret: hook-secret-value-0123456789\n    minSeverity: info\n")...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "inventory", "sync", "--config", path); code != 0 {
		t.Fatalf("inventory sync: %d %s %s", code, out, errOut)
	}
	code, out, errOut := run(t, "broker", "key", "create", "--config", path, "--user", user, "--dependent", "Invoice Sync", "--json")
	if code != 0 {
		t.Fatalf("key create: %d %s", code, errOut)
	}
	var created struct{ Key string }
	json.Unmarshal([]byte(out), &created)

	base := startServe(t, "serve", "--config", path)
	call := func() (int, string) {
		req, _ := http.NewRequest(http.MethodGet, base+"/broker/v1/proxy/"+user+"/services/data/v60.0/query?q="+url.QueryEscape("SELECT Id FROM Account LIMIT 1"), nil)
		req.Header.Set("Authorization", "Bearer "+created.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := call(); status != http.StatusOK {
		t.Fatalf("the application's call before the revocation: %d %s", status, body)
	}

	emu.Control(t, http.MethodPost, "orgs/Acme Corp/revoke", map[string]string{"username": user}, nil)
	waitFor(t, "the refresh_token_revoked alert", 30*time.Second, func() bool { return alerted(`"cause":"refresh_token_revoked"`, `"state":"error"`) })
	if status, body := call(); status != http.StatusBadGateway || !strings.Contains(body, "refresh") {
		t.Errorf("the application's call after the revocation: %d %s; want 502 naming the refresh token", status, body)
	}

	// warden reauth prints the link; the "browser" logs in and comes back.
	var reauthOut bytes.Buffer
	m := &Main{Stdout: &reauthOut, Stderr: &reauthOut, Getenv: func(string) string { return "" }, Ready: func(name, authURL string) {
		if name == "authorize" {
			go authorizeInBrowser(t, emu, authURL, user)
		}
	}}
	ln.Close()
	if code := m.Run(t.Context(), []string{"reauth", user, "--config", path, "--callback", callback, "--timeout", "30s"}); code != 0 {
		t.Fatalf("reauth: exit %d: %s", code, reauthOut.String())
	}
	for _, want := range []string{"/services/oauth2/authorize?", "Stored the new refresh token"} {
		if !strings.Contains(reauthOut.String(), want) {
			t.Errorf("reauth output lacks %q:\n%s", want, reauthOut.String())
		}
	}
	waitFor(t, "the application's call to work again", 20*time.Second, func() bool { status, _ := call(); return status == http.StatusOK })
	waitFor(t, "the recovery announcement", 30*time.Second, func() bool { return alerted(`"resolved":true`) })
}

// authorizeInBrowser completes the emulator's authorize page as username
// (whose demo password it knows) and follows the redirect to the callback.
func authorizeInBrowser(t *testing.T, emu *emulatortest.Emulator, authURL, username string) {
	cb := approveInEmulator(t, emu, authURL, username)
	if cb == "" {
		return
	}
	resp, err := http.Get(cb)
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
}

// approveInEmulator completes the emulator's authorize page as username
// and returns the callback URL it redirects to ("" after reporting an
// error).
func approveInEmulator(t *testing.T, emu *emulatortest.Emulator, authURL, username string) string {
	u, err := url.Parse(authURL)
	if err != nil {
		t.Error(err)
		return ""
	}
	form := u.Query()
	form.Set("username", username)
	form.Set("password", emulator.DemoPassword(username))
	resp, err := emu.HTTP.PostForm(emu.URL+u.Path, form)
	if err != nil {
		t.Error(err)
		return ""
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("authorize: %d", resp.StatusCode)
		return ""
	}
	return resp.Header.Get("Location")
}
