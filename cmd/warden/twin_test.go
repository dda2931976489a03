package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/emulator/emulatortest"
	"github.com/wardenhq/warden/rotation"
	"github.com/wardenhq/warden/salesforce"
	"github.com/wardenhq/warden/secret/local"
)

// twinConfig is a warden.yaml with a password credential alternating
// between two users, and a dependent whose .env file names the user.
const twinConfig = `store: {driver: sqlite, path: warden.db}
secretStores:
  - {name: local, kind: local, path: secrets.json, keyFile: warden.key}
orgs:
  - {name: acme, loginUrl: %q, monitoringCredential: admin}
credentials:
  - {name: admin, org: acme, kind: password, username: admin@acme.test, secret: {store: local, key: admin}}
  - name: billing
    org: acme
    kind: password
    username: billing@acme.test
    twinUsername: billing.b@acme.test
    secret: {store: local, key: billing}
owners:
  - {team: finance, contacts: [finance@example.com]}
users:
  - {org: acme, username: billing@acme.test, credential: billing, owner: finance}
  - {org: acme, username: billing.b@acme.test, credential: billing, owner: finance}
dependents:
  - name: invoicing
    org: acme
    username: billing@acme.test
    owner: finance
    delivery: file
    target:
      path: %q
      template: |
        SF_USERNAME={{username}}
        SF_PASSWORD={{password}}
    verify: {method: login}
rotation:
  pollInterval: 50ms
  mailboxes:
    - {credential: billing, kind: emulator}
    - {credential: billing, username: billing.b@acme.test, kind: emulator}
`

// TestRotateTwinUsers rotates a twin credential with warden rotate, as an
// administrator would: the plan says there is no downtime, the first
// rotation moves the dependent's file to the twin user, the second back,
// and each time the user left behind no longer logs in with the password
// the file held.
func TestRotateTwinUsers(t *testing.T) {
	seed := &emulator.Seed{Orgs: []emulator.SeedOrg{{Name: "acme",
		Profiles: []emulator.SeedProfile{
			{Name: "System Administrator", Permissions: []string{"ApiEnabled", "ManageUsers", "ResetPasswords", "ViewSetup", "ViewAllData"}},
			{Name: "Integration", Permissions: []string{"ApiEnabled", "ApiUserOnly"}, PasswordNeverExpires: true},
		},
		Users: []emulator.SeedUser{
			{Username: "admin@acme.test", Profile: "System Administrator", Password: "Admin1234pass", SecurityToken: "ADMINTOKEN"},
			{Username: "billing@acme.test", Profile: "Integration", Password: "Billing1234pass", SecurityToken: "BILLTOKEN"},
			{Username: "billing.b@acme.test", Profile: "Integration", Password: rotation.NewPassword()},
		}}}}
	emu := emulatortest.Start(t, seed)
	dir := t.TempDir()
	envFile := filepath.Join(dir, "invoicing.env")
	cfg := filepath.Join(dir, "warden.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(twinConfig, emu.URL, envFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	kek, err := local.GenerateKEKFile(filepath.Join(dir, "warden.key"))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := local.Open(filepath.Join(dir, "secrets.json"), kek)
	if err != nil {
		t.Fatal(err)
	}
	for key, pw := range map[string]string{"admin": "Admin1234passADMINTOKEN", "billing": "Billing1234passBILLTOKEN"} {
		if _, err := credential.Write(t.Context(), ss, key, warden.Material{Password: pw}, warden.StageCurrent, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(envFile, []byte("SF_USERNAME=billing@acme.test\nSF_PASSWORD=Billing1234passBILLTOKEN\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	syncInventory(t, cfg)

	code, out, errOut := run(t, "rotate", "billing", "--plan", "--config", cfg)
	if code != 0 || !strings.Contains(out, "twin users billing@acme.test and billing.b@acme.test") || !strings.Contains(out, "Downtime: none") || strings.Contains(out, "blocked") {
		t.Fatalf("rotate --plan: %d\n%s\n%s", code, out, errOut)
	}
	held := envOf(t, envFile)
	for round, want := range []string{"billing.b@acme.test", "billing@acme.test"} {
		code, out, errOut := run(t, "rotate", "billing", "--now", "--config", cfg)
		if code != 0 || !strings.Contains(out, "completed") {
			t.Fatalf("round %d: rotate: %d\n%s\n%s", round, code, out, errOut)
		}
		now := envOf(t, envFile)
		if now["SF_USERNAME"] != want {
			t.Errorf("round %d: the file names %s, want twin %s", round, now["SF_USERNAME"], want)
		}
		if err := soapLogin(t, emu.URL, now["SF_USERNAME"], now["SF_PASSWORD"]); err != nil {
			t.Errorf("round %d: the file's credential does not log in: %v", round, err)
		}
		if err := soapLogin(t, emu.URL, held["SF_USERNAME"], held["SF_PASSWORD"]); err == nil {
			t.Errorf("round %d: the retired twin %s still logs in with its old password", round, held["SF_USERNAME"])
		}
		id := strings.Fields(out)[0]
		if code, out, _ := run(t, "rotation", "show", id, "--config", cfg); code != 0 || !strings.Contains(out, "idle twin "+want) || !strings.Contains(out, "nobody holds") {
			t.Errorf("round %d: rotation show: %d\n%s", round, code, out)
		}
		if code, out, errOut := run(t, "check", "--config", cfg, "acme/"+want); code != 0 {
			t.Errorf("round %d: check %s: %d\n%s\n%s", round, want, code, out, errOut)
		}
		held = now
	}
}

// envOf reads the KEY=value lines of an .env file.
func envOf(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = strings.Trim(v, `"'`)
		}
	}
	return out
}

// soapLogin logs in once with SOAP login(), as the dependent would.
func soapLogin(t *testing.T, loginURL, username, password string) error {
	t.Helper()
	c := salesforce.New(salesforce.Config{LoginURL: loginURL})
	_, err := (&salesforce.SOAPAuth{Client: c, Username: username, Password: password}).Authenticate(t.Context())
	return err
}
