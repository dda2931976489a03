package delivery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/salesforce"
	"github.com/wardenhq/warden/sqlite"
)

// The emulated org: an admin Warden reads login history with (client
// credentials) and an integration user with a password and token.
const (
	emuAdmin    = "admin@acme.demo"
	emuUser     = "billing@acme.demo"
	emuPassword = "B1lling-Passw0rd!"
	emuToken    = "TOKENbilling0123456789"
)

// verifyFixture is an emulator, a SQLite store holding org acme, its
// monitoring credential and the user's credential, a local secret store
// and a Deliverer over them.
type verifyFixture struct {
	emu  *emulatortest.Emulator
	db   *sqlite.DB
	reg  *credential.Registry
	d    *Deliverer
	cred *warden.Credential
	logs *logBuffer
}

func newVerifyFixture(t *testing.T) *verifyFixture {
	t.Helper()
	seed := &emulator.Seed{Orgs: []emulator.SeedOrg{{
		Name: "Acme",
		Profiles: []emulator.SeedProfile{
			{Name: "System Administrator", Permissions: []string{"ApiEnabled", "ViewAllData", "ManageUsers"}},
			{Name: "Integration", Permissions: []string{"ApiEnabled", "ApiUserOnly"}},
		},
		Users: []emulator.SeedUser{
			{Username: emuAdmin, Profile: "System Administrator", Password: "Adm1n-Passw0rd!"},
			{Username: emuUser, Profile: "Integration", Password: emuPassword, SecurityToken: emuToken},
		},
		ConnectedApps: []emulator.SeedConnectedApp{
			{Name: "Warden", ConsumerKey: "warden-key", ConsumerSecret: "warden-secret-0123456789", ClientCredentialsUser: emuAdmin},
		},
	}}}
	f := &verifyFixture{emu: emulatortest.Start(t, seed), logs: &logBuffer{}}
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	ss := localStore(t)
	secrets := map[string]warden.SecretStore{"local": ss}
	f.reg = credential.NewRegistry(credential.Config{Orgs: db, Credentials: db, Secrets: secrets, HTTPClient: f.emu.HTTP})
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.UpsertOrg(ctx, &warden.Org{Name: "acme", LoginURL: f.emu.URL}))
	monitor := &warden.Credential{Name: "acme-monitor", Org: "acme", Kind: warden.CredentialClientCredentials, ClientID: "warden-key",
		Secret: warden.SecretRef{Store: "local", Key: "acme/monitor"}}
	must(db.UpsertCredential(ctx, monitor))
	_, err = f.reg.PutMaterial(ctx, monitor, warden.Material{ClientSecret: "warden-secret-0123456789"}, warden.StageCurrent)
	must(err)
	org, _ := db.Org(ctx, "acme")
	org.MonitoringCredential = "acme-monitor"
	must(db.UpsertOrg(ctx, org))
	f.cred = &warden.Credential{Name: "billing-cred", Org: "acme", Kind: warden.CredentialPassword, Username: emuUser,
		Secret: warden.SecretRef{Store: "local", Key: "acme/billing"}}
	must(db.UpsertCredential(ctx, f.cred))
	must(db.UpsertUser(ctx, &warden.IntegrationUser{Org: "acme", Username: emuUser, Credential: f.cred.Name}))
	f.d = New(Config{Secrets: secrets, Deliveries: db, Orgs: db, Sessions: f.reg, HTTPClient: f.emu.HTTP,
		Logger: f.logs.logger(), Retry: Retry{Attempts: 2, BaseDelay: time.Millisecond}})
	return f
}

// good is the user's working material; bad a wrong password.
var (
	good = warden.Material{Password: emuPassword + emuToken}
	bad  = warden.Material{Password: "Wrong-Passw0rd!" + emuToken}
)

func TestVerifyLogin(t *testing.T) {
	f := newVerifyFixture(t)
	dep := &warden.Dependent{Name: "billing", Org: "acme", Username: emuUser, Delivery: warden.DeliveryBroker,
		Verify: warden.Verification{Method: warden.VerifyLogin}}
	for _, m := range []warden.Material{good, bad} {
		if _, err := f.d.Deliver(bg, dep, f.cred, m, "2"); err != nil {
			t.Fatal(err)
		}
	}
	before := f.emu.Usage(t, "Acme").LoginsByUser[emuUser]
	if err := f.d.Verify(bg, dep, f.cred, good, "2"); err != nil {
		t.Fatalf("Verify with the working material: %v", err)
	}
	if n := f.emu.Usage(t, "Acme").LoginsByUser[emuUser] - before; n != 1 {
		t.Errorf("verification made %d logins as the user, want 1", n)
	}
	err := f.d.Verify(bg, dep, f.cred, bad, "2")
	if err == nil || !strings.Contains(err.Error(), "test login as "+emuUser) {
		t.Fatalf("Verify with a wrong password: %v", err)
	}
	noSecrets(t, "error", err.Error(), good, bad)
	noSecrets(t, "logs", f.logs.String(), good, bad)
	if err := f.d.Verify(bg, dep, f.cred, good, "99"); warden.ErrorKind(err) != warden.ECONFLICT {
		t.Errorf("Verify of a version never delivered: %v, want ECONFLICT", err)
	}
	rt := &warden.Credential{Name: "rt", Org: "acme", Kind: warden.CredentialRefreshToken, Username: emuUser, ClientID: "warden-key"}
	rtm := warden.Material{RefreshToken: "5Aep-refresh-token-0123456789"}
	if _, err := f.d.Deliver(bg, dep, rt, rtm, "1"); err != nil {
		t.Fatal(err)
	}
	if err := f.d.Verify(bg, dep, rt, rtm, "1"); warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(err.Error(), "refresh token") {
		t.Errorf("a test login with a refresh token: %v, want EINVALID", err)
	}
}

// appLogin logs in as the dependent would, with m.
func (f *verifyFixture) appLogin(t *testing.T, m warden.Material) {
	t.Helper()
	client := salesforce.New(salesforce.Config{LoginURL: f.emu.URL, HTTPClient: f.emu.HTTP})
	auth, err := salesforce.NewAuthenticator(client, f.cred, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = auth.Authenticate(bg)
}

func TestVerifyLoginHistory(t *testing.T) {
	newDep := func() *warden.Dependent {
		return &warden.Dependent{Name: "billing", Org: "acme", Username: emuUser, Delivery: warden.DeliveryBroker,
			Verify: warden.Verification{Method: warden.VerifyLoginHistory, SourceIPs: []string{"127.0.0.1"}}}
	}
	t.Run("succeeded", func(t *testing.T) {
		f := newVerifyFixture(t)
		dep := newDep()
		if _, err := f.d.Deliver(bg, dep, f.cred, good, "2"); err != nil {
			t.Fatal(err)
		}
		err := f.d.Verify(bg, dep, f.cred, good, "2")
		if warden.ErrorKind(err) != warden.EUNAVAILABLE || !strings.Contains(err.Error(), "no login") {
			t.Fatalf("Verify before the application logged in: %v, want EUNAVAILABLE", err)
		}
		f.appLogin(t, good)
		if err := f.d.Verify(bg, dep, f.cred, good, "2"); err != nil {
			t.Fatalf("Verify after the application's successful login: %v", err)
		}
		// Logins from elsewhere are not the application's.
		dep.Verify.SourceIPs = []string{"198.51.100.99"}
		if err := f.d.Verify(bg, dep, f.cred, good, "2"); warden.ErrorKind(err) != warden.EUNAVAILABLE {
			t.Errorf("Verify matching another address: %v, want EUNAVAILABLE", err)
		}
	})
	t.Run("failed", func(t *testing.T) {
		// The application still logs in with the old (now wrong) password.
		f := newVerifyFixture(t)
		dep := newDep()
		if _, err := f.d.Deliver(bg, dep, f.cred, good, "2"); err != nil {
			t.Fatal(err)
		}
		f.appLogin(t, bad)
		err := f.d.Verify(bg, dep, f.cred, good, "2")
		if warden.ErrorKind(err) != warden.EUNAVAILABLE || !strings.Contains(err.Error(), "failed") {
			t.Fatalf("Verify after a failed login: %v", err)
		}
		noSecrets(t, "error", err.Error(), good, bad)
	})
}

func TestVerifyHealth(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n := calls.Add(1); {
		case r.URL.Query().Get("fail") != "":
			http.Error(w, "salesforce login failed", http.StatusServiceUnavailable)
		case n == 1:
			http.Error(w, "reloading", http.StatusServiceUnavailable)
		default:
			w.Write([]byte(`{"status":"ok","salesforce":"connected"}`))
		}
	}))
	defer srv.Close()
	d := New(Config{HTTPClient: srv.Client(), Retry: Retry{Attempts: 3, BaseDelay: time.Millisecond}})
	d.sleep = func(context.Context, time.Duration) error { return nil }
	dep := &warden.Dependent{Name: "portal", Org: "acme", Username: emuUser, Delivery: warden.DeliveryBroker,
		Verify: warden.Verification{Method: warden.VerifyHealth, URL: srv.URL + "/health", Expect: `"salesforce":"connected"`}}
	c, m := passwordCred(), newMaterial("n")
	if err := d.Verify(bg, dep, c, m, "1"); err != nil || calls.Load() != 2 {
		t.Fatalf("Verify = %v after %d calls, want success on the second", err, calls.Load())
	}
	dep.Verify.Expect = "never there"
	if err := d.Verify(bg, dep, c, m, "1"); warden.ErrorKind(err) != warden.EUNAVAILABLE || !strings.Contains(err.Error(), "expected text") {
		t.Errorf("Verify without the expected text: %v", err)
	}
	dep.Verify.URL, dep.Verify.Expect = srv.URL+"/health?fail=1&key=s3cr3tquery", ""
	err := d.Verify(bg, dep, c, m, "1")
	if warden.ErrorKind(err) != warden.EUNAVAILABLE || !strings.Contains(err.Error(), "503") || strings.Contains(err.Error(), "s3cr3tquery") {
		t.Errorf("Verify of a failing health URL: %v", err)
	}
}

func TestManual(t *testing.T) {
	f := newVerifyFixture(t)
	dep := &warden.Dependent{Name: "portal", Org: "acme", Username: emuUser, Owner: "web", Contact: "web@acme.demo",
		Delivery: warden.DeliveryManual, Target: warden.DeliveryTarget{Manual: &warden.ManualTarget{
			Settings: []string{"Admin > Integrations > Salesforce password"}, Instructions: "Restart the portal workers."}}}
	m := newMaterial("new")
	r, err := f.d.Deliver(bg, dep, f.cred, m, "5")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Pending || r.Delivery != warden.DeliveryManual {
		t.Errorf("receipt = %+v, want pending", r)
	}
	recs, err := f.db.Deliveries(bg, warden.DeliveryFilter{Dependent: "portal"})
	if err != nil || len(recs) != 1 {
		t.Fatalf("Deliveries = %v, %v", recs, err)
	}
	rb := recs[0].Runbook
	for _, want := range []string{"portal", "web (web@acme.demo)", `secret store "local", key "acme/billing", version 5`,
		"Admin > Integrations > Salesforce password", "Restart the portal workers.", "warden delivery confirm --org acme portal"} {
		if !strings.Contains(rb, want) {
			t.Errorf("runbook lacks %q:\n%s", want, rb)
		}
	}
	noSecrets(t, "runbook", rb, m)
	// Idempotent: a second delivery is the same pending record.
	r2, err := f.d.Deliver(bg, dep, f.cred, m, "5")
	if err != nil || !r2.At.Equal(r.At.Truncate(time.Microsecond)) || !r2.Pending {
		t.Errorf("second delivery = %+v, %v", r2, err)
	}
	if err := f.d.Verify(bg, dep, f.cred, m, "5"); warden.ErrorKind(err) != warden.EUNAVAILABLE || !strings.Contains(err.Error(), "waiting for owner web") {
		t.Fatalf("Verify before confirmation: %v", err)
	}
	if _, err := f.db.ConfirmDeliveries(bg, "acme", "portal", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := f.d.Verify(bg, dep, f.cred, m, "5"); err != nil {
		t.Fatalf("Verify after confirmation: %v", err)
	}
	// A rollback is a new step for the owner.
	if err := f.d.Restore(bg, dep, f.cred, newMaterial("old"), "4"); err != nil {
		t.Fatal(err)
	}
	pending, _ := f.db.Deliveries(bg, warden.DeliveryFilter{Dependent: "portal", Pending: true})
	if len(pending) != 1 || pending[0].Action != warden.ActionRestore || !strings.Contains(pending[0].Runbook, "rolled back") ||
		!strings.Contains(pending[0].Runbook, "version 4") {
		t.Errorf("pending after restore = %+v", pending)
	}
	noSecrets(t, "logs", f.logs.String(), m)
}
