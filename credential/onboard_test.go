package credential_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/salesforce"
)

func TestCallbackURL(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"127.0.0.1:8765", "http://127.0.0.1:8765/oauth/callback", ""},
		{"localhost:8765", "http://localhost:8765/oauth/callback", ""},
		{"[::1]:8765", "http://[::1]:8765/oauth/callback", ""},
		{"http://127.0.0.1:8765/cb", "http://127.0.0.1:8765/cb", ""},
		{"http://127.0.0.1:8765", "http://127.0.0.1:8765/", ""},
		{"example.com:80", "", `"example.com:80": the callback must be on a loopback address (127.0.0.1, [::1] or localhost)`},
		{"https://127.0.0.1:8765/cb", "", `"https://127.0.0.1:8765/cb": Warden listens for the callback itself, so it must be http on a loopback address`},
		{"127.0.0.1", "", `"127.0.0.1": give the port of the connected app's callback URL`},
		{"127.0.0.1:0", "", `"127.0.0.1:0": give the port`},
		{"http://127.0.0.1:8765/cb?x=1", "", `"http://127.0.0.1:8765/cb?x=1": no query, fragment or user info`},
		{"http://u@127.0.0.1:8765/cb", "", "no query, fragment or user info"},
		{"http://%zz", "", `"http://%zz" is not a URL or HOST:PORT`},
	} {
		got, err := credential.CallbackURL(tc.in)
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("CallbackURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if tc.err != "" && (warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(fmt.Sprint(err), tc.err)) {
			t.Errorf("CallbackURL(%q): %v; want EINVALID %q", tc.in, err, tc.err)
		}
	}
}

// browser completes the browser half of a web login: the user logs in on
// the emulator's authorization page and the browser follows the redirect
// to the callback, which must answer wantStatus.
func (f *fixture) browser(t *testing.T, authURL, username, password string, wantStatus int) {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil || !strings.HasPrefix(authURL, f.emu.URL+"/services/oauth2/authorize?") || u.Query().Get("code_challenge_method") != "S256" ||
		u.Query().Get("code_challenge") == "" || u.Query().Get("state") == "" {
		t.Fatalf("authorization URL %q", authURL)
	}
	form := u.Query()
	form.Set("username", username)
	form.Set("password", password)
	resp, err := f.emu.HTTP.PostForm(f.emu.URL+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, f.callback+"?") {
		t.Fatalf("authorize: %d to %q", resp.StatusCode, loc)
	}
	resp, err = http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != wantStatus {
		t.Errorf("callback answered %d; want %d", resp.StatusCode, wantStatus)
	}
}

// webLogin runs WebLogin for the Warden app, with browse doing the
// browser's part once the authorization URL is known.
func (f *fixture) webLogin(t *testing.T, client *salesforce.Client, timeout time.Duration, browse func(authURL string)) (*salesforce.Token, string, error) {
	t.Helper()
	var out bytes.Buffer
	ready := make(chan string, 1)
	type result struct {
		tok *salesforce.Token
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := credential.WebLogin(t.Context(), credential.WebLoginOptions{Client: client, ClientID: "warden-key", Callback: f.callback,
			Scope: "api refresh_token", Timeout: timeout, Out: &out, OnAuthorize: func(u string) { ready <- u }})
		done <- result{tok, err}
	}()
	select {
	case u := <-ready:
		if browse != nil {
			browse(u)
		}
	case r := <-done:
		return r.tok, out.String(), r.err
	}
	r := <-done
	return r.tok, out.String(), r.err
}

func TestWebLoginAndConnect(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	client := f.reg.NewClient(f.emu.URL)

	// A callback that is not the answer (wrong state) is refused and the
	// login goes on waiting for the real one.
	tok, out, err := f.webLogin(t, client, 20*time.Second, func(authURL string) {
		resp, err := http.Get(f.callback + "?code=forged&state=forged")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("forged callback answered %d", resp.StatusCode)
		}
		f.browser(t, authURL, adminUser, adminPass, http.StatusOK)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Open this URL in a browser", f.emu.URL + "/services/oauth2/authorize?", "Waiting for the browser to come back to " + f.callback,
		"Authorization received."} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
	if tok.RefreshToken == "" || strings.Contains(out, tok.RefreshToken) || strings.Contains(out, tok.AccessToken) {
		t.Fatalf("token: refresh token %v, secret in output %v", tok.RefreshToken != "", strings.Contains(out, tok.AccessToken))
	}

	// Connect proves the token, learns the org and the user, and writes
	// the secret, the org and the credential.
	n := &credential.Onboarding{
		Org:        &warden.Org{Name: "acme-web", LoginURL: f.emu.URL, MonitoringCredential: "monitor-web"},
		Credential: &warden.Credential{Name: "monitor-web", Org: "acme-web", Kind: warden.CredentialRefreshToken, ClientID: "warden-key", Secret: warden.SecretRef{Store: "local", Key: "monitor-web"}},
		Material:   warden.Material{RefreshToken: tok.RefreshToken},
		Client:     client,
		Minted:     true,
	}
	if err := f.reg.Connect(ctx, n); err != nil {
		t.Fatal(err)
	}
	if n.Credential.Username != adminUser || n.Org.OrgID == "" || n.Org.InstanceURL != f.emu.URL {
		t.Errorf("learnt %+v %+v", n.Credential, n.Org)
	}
	o, err := f.db.Org(ctx, "acme-web")
	if err != nil || o.OrgID != n.Org.OrgID {
		t.Errorf("stored org %+v %v", o, err)
	}
	if c, err := f.reg.Client(ctx, "acme-web"); err != nil || c != client {
		t.Errorf("the org's client is not the one Connect used: %v", err)
	}
	s, err := f.reg.Session(ctx, "monitor-web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Query(ctx, "SELECT Id FROM User", nil); err != nil {
		t.Errorf("the stored credential does not work: %v", err)
	}

	// A login that reaches another user than the one named writes
	// nothing and revokes the minted token.
	tok, _, err = f.webLogin(t, client, 20*time.Second, func(authURL string) { f.browser(t, authURL, adminUser, adminPass, http.StatusOK) })
	if err != nil {
		t.Fatal(err)
	}
	n = &credential.Onboarding{
		Org: &warden.Org{Name: "acme-other", LoginURL: f.emu.URL, MonitoringCredential: "monitor-other"},
		Credential: &warden.Credential{Name: "monitor-other", Org: "acme-other", Kind: warden.CredentialRefreshToken, Username: billingUser, ClientID: "warden-key",
			Secret: warden.SecretRef{Store: "local", Key: "monitor-other"}},
		Material: warden.Material{RefreshToken: tok.RefreshToken}, Client: client, Minted: true,
	}
	err = f.reg.Connect(ctx, n)
	if warden.ErrorKind(err) != warden.ECONFLICT || warden.ErrorMessage(err) != "the login reached user "+adminUser+", not "+billingUser {
		t.Errorf("other user: %v", err)
	}
	if _, err := f.db.Org(ctx, "acme-other"); warden.ErrorKind(err) != warden.ENOTFOUND {
		t.Errorf("failed Connect wrote the org: %v", err)
	}
	if _, err := f.ss.Get(ctx, "monitor-other", warden.StageCurrent); warden.ErrorKind(err) != warden.ENOTFOUND {
		t.Errorf("failed Connect wrote the secret: %v", err)
	}
	if _, err := client.Refresh(ctx, salesforce.RefreshGrant{ClientID: "warden-key", RefreshToken: tok.RefreshToken}); err == nil {
		t.Error("the minted refresh token of the failed Connect still works")
	}
}

func TestWebLoginFailures(t *testing.T) {
	f := newFixture(t)
	client := f.reg.NewClient(f.emu.URL)

	// The user refuses: the callback carries an error.
	_, _, err := f.webLogin(t, client, 20*time.Second, func(authURL string) {
		u, _ := url.Parse(authURL)
		resp, err := http.Get(f.callback + "?error=access_denied&error_description=end-user+denied+authorization&state=" + u.Query().Get("state"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("refusal answered %d", resp.StatusCode)
		}
	})
	if warden.ErrorKind(err) != warden.EUNAUTHORIZED || warden.ErrorMessage(err) != "the authorization was refused: access_denied: end-user denied authorization" {
		t.Errorf("refused: %v", err)
	}

	// Nobody comes back.
	_, _, err = f.webLogin(t, client, 10*time.Millisecond, nil)
	if warden.ErrorKind(err) != warden.EUNAVAILABLE || warden.ErrorMessage(err) != "no authorization came back to "+f.callback+" within 10ms" {
		t.Errorf("timeout: %v", err)
	}

	// The caller cancels.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = credential.WebLogin(ctx, credential.WebLoginOptions{Client: client, ClientID: "warden-key", Callback: f.callback, Timeout: time.Minute})
	if warden.ErrorKind(err) != warden.EUNAVAILABLE || warden.ErrorMessage(err) != "canceled while waiting for the browser" {
		t.Errorf("canceled: %v", err)
	}
}
