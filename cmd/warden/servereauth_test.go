package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
)

// TestDashboardReauthOnServeCallback revokes invoice.sync@'s refresh
// token, starts the re-authorization with the dashboard's API action as an
// operator, approves it at the emulator's authorize page and completes it
// on warden serve's own /oauth/callback: the stored refresh token changes,
// the broker's call works again, and a forged or reused state is refused.
func TestDashboardReauthOnServeCallback(t *testing.T) {
	const user = "invoice.sync@acme.demo"
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// serve's address is chosen first: the connected app's callback URL
	// is serve's /oauth/callback.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for i := range seed.Orgs {
		o := &seed.Orgs[i]
		for j := range o.ConnectedApps {
			if o.ConnectedApps[j].Name == "Invoice Sync" {
				o.ConnectedApps[j].CallbackURL = "http://" + addr + "/oauth/callback"
			}
		}
		// The browser login needs a user that may log in to the UI.
		for j := range o.Profiles {
			o.Profiles[j].Permissions = slices.DeleteFunc(o.Profiles[j].Permissions, func(p string) bool { return p == "ApiUserOnly" })
		}
	}
	emu := emulatortest.Start(t, seed)
	dir := t.TempDir()
	path := filepath.Join(dir, "warden.yaml")
	if err := writeDemoConfig(t.Context(), dir, path, emu.URL, addr, time.Second, key); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	data = bytes.Replace(data, []byte("livenessInterval: 15m"), []byte("livenessInterval: 1s"), 1)
	data = append(data, []byte("broker:\n  failurePause: 1s\n")...)
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
	getenv := func(string) string { return "" }
	operator := apiToken(t, getenv, path, "operator")
	org, before := storedRefreshToken(t, path, user)

	base := startServe(t, "serve", "--config", path)
	call := func() int {
		req, _ := http.NewRequest(http.MethodGet, base+"/broker/v1/proxy/"+user+"/services/data/v60.0/query?q="+url.QueryEscape("SELECT Id FROM Account LIMIT 1"), nil)
		req.Header.Set("Authorization", "Bearer "+created.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := call(); status != http.StatusOK {
		t.Fatalf("the application's call before the revocation: %d", status)
	}
	emu.Control(t, http.MethodPost, "orgs/Acme Corp/revoke", map[string]string{"username": user}, nil)
	waitFor(t, "the broker to refuse the revoked token", 30*time.Second, func() bool { return call() == http.StatusBadGateway })

	// The dashboard's action returns the authorization URL.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/users/"+url.PathEscape(org)+"/"+url.PathEscape(user)+"/reauthorize", nil)
	req.Header.Set("Authorization", "Bearer "+operator)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var action struct{ URL string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &action) != nil || action.URL == "" {
		t.Fatalf("POST reauthorize: %d %s", resp.StatusCode, body)
	}
	au, err := url.Parse(action.URL)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := au.Query().Get("redirect_uri"), base+"/oauth/callback"; got != want {
		t.Errorf("redirect_uri = %q, want serve's callback %q", got, want)
	}

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (int, string, string) {
		t.Helper()
		resp, err := noFollow.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	if status, _, body := get(base + "/oauth/callback?state=forged&code=forged"); status != http.StatusBadRequest || !strings.Contains(body, "state") {
		t.Errorf("a forged state: %d %s; want 400", status, body)
	}

	cb := approveInEmulator(t, emu, action.URL, user)
	if !strings.HasPrefix(cb, base+"/oauth/callback?") {
		t.Fatalf("the emulator redirected to %q, not serve's callback", cb)
	}
	status, loc, page := get(cb)
	if status != http.StatusSeeOther || loc != "/users/"+url.PathEscape(org)+"/"+url.PathEscape(user)+"?reauthorized=1" {
		t.Fatalf("the callback: %d Location %q %s; want 303 to the user page", status, loc, page)
	}
	if status, _, body := get(cb); status != http.StatusBadRequest {
		t.Errorf("the same callback again: %d %s; want 400 (one-time state)", status, body)
	}
	if _, after := storedRefreshToken(t, path, user); after == before || after == "" {
		t.Errorf("the stored refresh token did not change")
	}
	e := openTestInventory(t, path)
	entries, err := e.store.AuditEntries(t.Context(), 0, 0)
	e.Close()
	if err != nil {
		t.Fatal(err)
	}
	var audited []string
	for _, a := range entries {
		if strings.HasPrefix(a.Action, "user.reauthorize") {
			audited = append(audited, a.Action+" "+a.Actor.Kind+" "+a.Result)
		}
	}
	if want := []string{"user.reauthorize.start token ok", "user.reauthorize token ok"}; !slices.Equal(audited, want) {
		t.Errorf("audited %q, want %q (as the operator's token)", audited, want)
	}
	waitFor(t, "the application's call to work again", 20*time.Second, func() bool { return call() == http.StatusOK })
}

// storedRefreshToken returns the org of user and the refresh token of its
// credential as the store of the configuration at path holds them.
func storedRefreshToken(t *testing.T, path, user string) (org, token string) {
	t.Helper()
	e := openTestInventory(t, path)
	defer e.Close()
	users, err := e.store.Users(t.Context(), warden.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Username != user {
			continue
		}
		c, err := e.store.Credential(t.Context(), u.Credential)
		if err != nil {
			t.Fatal(err)
		}
		mat, err := e.creds.Material(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		return u.Org, mat.RefreshToken
	}
	t.Fatalf("no user %s in the store", user)
	return "", ""
}

// openTestInventory opens the store and credentials of the configuration
// at path, as a CLI command does; the caller closes it.
func openTestInventory(t *testing.T, path string) *env {
	t.Helper()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	e, err := m.openInventory(t.Context(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return e
}
