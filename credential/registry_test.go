package credential_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/salesforce"
	"github.com/wardenhq/warden/sqlite"
)

// The test org: an admin Warden monitors with (client credentials), an
// integration user with a refresh token of an app that rotates them, and
// the "Warden" app for browser logins, whose callback is on loopback.
const (
	orgName      = "Acme"
	adminUser    = "admin@acme.example"
	adminPass    = "Adm1n-Passw0rd!"
	billingUser  = "billing@acme.example"
	billingToken = "5Aep861TestBillingRefreshToken000001"
)

// fixture is an emulator, a SQLite inventory holding org "acme" and its
// credentials, a local secret store holding their material, and a
// registry over them.
type fixture struct {
	emu      *emulatortest.Emulator
	db       *sqlite.DB
	ss       warden.SecretStore
	reg      *credential.Registry
	callback string // the Warden app's callback URL
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	callback := "http://" + ln.Addr().String() + "/oauth/callback"
	ln.Close()
	seed := &emulator.Seed{Orgs: []emulator.SeedOrg{{
		Name: orgName,
		Profiles: []emulator.SeedProfile{
			{Name: "System Administrator", Permissions: []string{"ApiEnabled", "ViewAllData", "ManageUsers"}},
			{Name: "Minimum Access - API Only Integrations", UserLicense: "Salesforce Integration", Permissions: []string{"ApiEnabled", "ApiUserOnly"}},
		},
		Users: []emulator.SeedUser{
			{Username: adminUser, LastName: "Admin", Profile: "System Administrator", Password: adminPass},
			{Username: billingUser, LastName: "Billing", Profile: "Minimum Access - API Only Integrations", Password: "B1lling-Passw0rd!"},
		},
		ConnectedApps: []emulator.SeedConnectedApp{
			{Name: "Warden", ConsumerKey: "warden-key", ConsumerSecret: "warden-secret", ClientCredentialsUser: adminUser, CallbackURL: callback},
			{Name: "Billing", ConsumerKey: "billing-key", ConsumerSecret: "billing-secret", RotateRefreshTokens: true},
		},
		RefreshTokens: []emulator.SeedRefreshToken{{User: billingUser, App: "Billing", Token: billingToken}},
	}}}
	f := &fixture{emu: emulatortest.Start(t, seed), ss: newSecretStore(t), callback: callback}
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	f.reg = credential.NewRegistry(credential.Config{Orgs: db, Credentials: db, Secrets: map[string]warden.SecretStore{"local": f.ss},
		HTTPClient: f.emu.HTTP, UserAgent: "warden-test"})

	ctx := t.Context()
	if err := db.UpsertOrg(ctx, &warden.Org{Name: "acme", LoginURL: f.emu.URL}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cred *warden.Credential
		m    warden.Material
	}{
		{&warden.Credential{Name: "monitor", Org: "acme", Kind: warden.CredentialClientCredentials, ClientID: "warden-key",
			Secret: warden.SecretRef{Store: "local", Key: "monitor"}}, warden.Material{ClientSecret: "warden-secret"}},
		{&warden.Credential{Name: "billing", Org: "acme", Kind: warden.CredentialRefreshToken, Username: billingUser, ClientID: "billing-key",
			Secret: warden.SecretRef{Store: "local", Key: "billing"}}, warden.Material{ClientSecret: "billing-secret", RefreshToken: billingToken}},
	} {
		if err := db.UpsertCredential(ctx, c.cred); err != nil {
			t.Fatal(err)
		}
		if _, err := f.reg.PutMaterial(ctx, c.cred, c.m, warden.StageCurrent); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// logins returns the emulator's login count of a user.
func (f *fixture) logins(t *testing.T, username string) int {
	t.Helper()
	return f.emu.Usage(t, orgName).LoginsByUser[username]
}

func TestSessionSharedByConcurrentCallersLogsInOnce(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	const callers = 16
	sessions := make([]*salesforce.Session, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			s, err := f.reg.Session(ctx, "monitor")
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := s.Query(ctx, "SELECT Id FROM User", nil); err != nil {
				t.Error(err)
			}
			sessions[i] = s
		})
	}
	wg.Wait()
	for _, s := range sessions[1:] {
		if s != sessions[0] {
			t.Fatal("callers got different sessions")
		}
	}
	if n := f.logins(t, adminUser); n != 1 {
		t.Errorf("%d logins for %d concurrent callers; want 1", n, callers)
	}
	c1, err := f.reg.Client(ctx, "acme")
	if err != nil || c1 != sessions[0].Client() || c1.LoginURL() != f.emu.URL {
		t.Errorf("Client(acme) is not the session's client: %v", err)
	}

	// An authenticator is fresh: it logs in anew, on the org's client.
	c, err := f.db.Credential(ctx, "monitor")
	if err != nil {
		t.Fatal(err)
	}
	auth, err := f.reg.Authenticator(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.logins(t, adminUser); n != 2 {
		t.Errorf("after Authenticate: %d logins; want 2", n)
	}

	// Forget drops the cached session: the next one logs in again.
	f.reg.Forget("monitor")
	s, err := f.reg.Session(ctx, "monitor")
	if err != nil || s == sessions[0] {
		t.Fatalf("after Forget: same session or %v", err)
	}
	if _, err := s.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.logins(t, adminUser); n != 3 {
		t.Errorf("after Forget: %d logins; want 3", n)
	}
}

func TestRotatedRefreshTokenIsPersistedBeforeUse(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	s, err := f.reg.Session(ctx, "billing")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.db.Credential(ctx, "billing")
	m, err := f.reg.Material(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if m.RefreshToken == billingToken || m.RefreshToken != tok.RefreshToken || m.ClientSecret != "billing-secret" {
		t.Errorf("stored material after rotation: refresh token rotated %v, matches the token %v, client secret kept %v",
			m.RefreshToken != billingToken, m.RefreshToken == tok.RefreshToken, m.ClientSecret == "billing-secret")
	}
	vs, err := f.ss.Versions(ctx, "billing")
	if err != nil || len(vs) != 2 || vs[0].Stage != warden.StageCurrent || vs[1].Stage != warden.StagePrevious {
		t.Errorf("versions after rotation: %+v %v", vs, err)
	}
	// A session built later starts from the stored (newest) token.
	f.reg.Forget("billing")
	s2, _ := f.reg.Session(ctx, "billing")
	if _, err := s2.Token(ctx); err != nil {
		t.Errorf("login with the persisted token: %v", err)
	}
}

func TestRegistryErrors(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	if _, err := f.reg.Session(ctx, "nope"); warden.ErrorKind(err) != warden.ENOTFOUND {
		t.Errorf("unknown credential: %v; want ENOTFOUND", err)
	}
	if _, err := f.reg.Client(ctx, "nope"); warden.ErrorKind(err) != warden.ENOTFOUND {
		t.Errorf("unknown org: %v; want ENOTFOUND", err)
	}
	c := &warden.Credential{Name: "stray", Org: "nope", Kind: warden.CredentialClientCredentials, ClientID: "k",
		Secret: warden.SecretRef{Store: "local", Key: "monitor"}}
	if _, err := f.reg.Authenticator(ctx, c); warden.ErrorKind(err) != warden.EINVALID || warden.ErrorMessage(err) != `credential stray: unknown org "nope"` {
		t.Errorf("credential of an unknown org: %v", err)
	}
	// A failed build is not cached: once the secret exists, it works.
	c = &warden.Credential{Name: "late", Org: "acme", Kind: warden.CredentialClientCredentials, ClientID: "warden-key",
		Secret: warden.SecretRef{Store: "local", Key: "late"}}
	if err := f.db.UpsertCredential(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reg.Session(ctx, "late"); warden.ErrorKind(err) != warden.ENOTFOUND || !strings.HasPrefix(warden.ErrorMessage(err), "credential late: ") {
		t.Errorf("credential without a secret: %v", err)
	}
	if _, err := f.reg.PutMaterial(ctx, c, warden.Material{ClientSecret: "warden-secret"}, warden.StageCurrent); err != nil {
		t.Fatal(err)
	}
	if s, err := f.reg.Session(ctx, "late"); err != nil {
		t.Errorf("after the secret was written: %v", err)
	} else if _, err := s.Token(ctx); err != nil {
		t.Errorf("login: %v", err)
	}
}

// forgetting is an inventory whose first credential read races with a
// Forget (a rotation finishing while a session is being built).
type forgetting struct {
	warden.CredentialService
	reg   *credential.Registry
	reads int
}

func (f *forgetting) Credential(ctx context.Context, name string) (*warden.Credential, error) {
	f.reads++
	if f.reads == 1 {
		f.reg.Forget(name)
	}
	return f.CredentialService.Credential(ctx, name)
}

func TestSessionBuiltAcrossAForgetIsRebuilt(t *testing.T) {
	f := newFixture(t)
	inv := &forgetting{CredentialService: f.db}
	reg := credential.NewRegistry(credential.Config{Orgs: f.db, Credentials: inv, Secrets: map[string]warden.SecretStore{"local": f.ss}, HTTPClient: f.emu.HTTP})
	inv.reg = reg
	s, err := reg.Session(t.Context(), "monitor")
	if err != nil {
		t.Fatal(err)
	}
	if inv.reads != 2 {
		t.Errorf("%d credential reads; want 2 (the build that saw a Forget is not cached)", inv.reads)
	}
	if again, _ := reg.Session(t.Context(), "monitor"); again != s || inv.reads != 2 {
		t.Errorf("the rebuilt session is not cached: same %v, %d reads", again == s, inv.reads)
	}
}
