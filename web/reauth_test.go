package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/web"
)

// fakeReauthorizer starts every re-authorization at one URL.
type fakeReauthorizer struct{}

func (fakeReauthorizer) Reauthorize(ctx context.Context, org, username string) (string, error) {
	return "https://login.example/services/oauth2/authorize?user=" + username, nil
}

// TestReauthorizeAction shows the re-authorize button to operators on the
// pages of refresh-token users only, sends the form to the authorization
// URL, and shows the callback's success note.
func TestReauthorizeAction(t *testing.T) {
	store := emptyStore()
	seed(t, store)
	ctx := t.Context()
	for _, c := range []*warden.Credential{
		{Name: "rt", Org: "acme", Kind: warden.CredentialRefreshToken, Username: "rt@acme.test", ClientID: "app", Secret: warden.SecretRef{Store: "local", Key: "rt"}},
		{Name: "jwt", Org: "acme", Kind: warden.CredentialJWT, Username: "jwt@acme.test", ClientID: "app", Secret: warden.SecretRef{Store: "local", Key: "jwt"}},
	} {
		if err := store.UpsertCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := store.UpsertUser(ctx, &warden.IntegrationUser{Org: "acme", Username: c.Name + "@acme.test", Credential: c.Name}); err != nil {
			t.Fatal(err)
		}
	}
	s := web.NewServer()
	s.Store, s.Readiness, s.Reauthorizer, s.Authenticate = store, readiness(true), fakeReauthorizer{}, operator
	for _, tt := range []struct {
		path   string
		button bool
		note   bool
	}{
		{"/users/acme/rt@acme.test", true, false},
		{"/users/acme/rt@acme.test?reauthorized=1", true, true},
		{"/users/acme/jwt@acme.test", false, false},
	} {
		resp := do(t, s, request{path: tt.path})
		b := body(t, resp)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", tt.path, resp.StatusCode, b)
		}
		if got := strings.Contains(b, `/reauthorize"`); got != tt.button {
			t.Errorf("%s: re-authorize button %v, want %v", tt.path, got, tt.button)
		}
		if got := strings.Contains(b, `id="reauthorized"`); got != tt.note {
			t.Errorf("%s: success note %v, want %v", tt.path, got, tt.note)
		}
	}
	resp := do(t, s, request{method: "POST", path: "/users/acme/rt@acme.test/reauthorize"})
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || loc != "https://login.example/services/oauth2/authorize?user=rt@acme.test" {
		t.Errorf("the form: %d Location %q; want 303 to the authorization URL", resp.StatusCode, loc)
	}
}
