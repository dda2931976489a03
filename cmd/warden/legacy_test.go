package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/activity"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/salesforce"
	"github.com/wardenhq/warden/secret/local"
)

// legacyOf runs "warden legacy --json" and returns its entries by username.
func legacyOf(t *testing.T, cfg string) map[string][]activity.LegacyUse {
	t.Helper()
	code, out, errOut := run(t, "legacy", "--config", cfg, "--json")
	if code != 0 {
		t.Fatalf("legacy: %d %s", code, errOut)
	}
	var uses []activity.LegacyUse
	if err := json.Unmarshal([]byte(out), &uses); err != nil {
		t.Fatalf("legacy --json: %v: %s", err, out)
	}
	by := map[string][]activity.LegacyUse{}
	for _, u := range uses {
		by[u.Username] = append(by[u.Username], u)
	}
	return by
}

func TestDemoLegacy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	startServe(t, "demo", "--emulator-addr", "127.0.0.1:0", "--addr", "127.0.0.1:0", "--data", dir, "--sweep-interval", "1s")
	cfg := filepath.Join(dir, "warden.yaml")
	// Wait for the monitor's credential checks to be in the login history
	// and in the activity rules' record of Warden's own logins.
	var by map[string][]activity.LegacyUse
	// A check is known as Warden's once the sweep after it has handed it
	// to the activity rules: wait until no 127.0.0.1 row is left unclaimed.
	checks := func() bool {
		soap := by["legacy.soap@acme.demo"]
		if len(soap) != 1 || len(soap[0].WardenChecks) == 0 || soap[0].WardenChecks[0].SourceIP != "127.0.0.1" {
			return false
		}
		for _, uses := range by {
			for _, x := range uses {
				for _, c := range x.Clients {
					if c.SourceIP == "127.0.0.1" {
						return false
					}
				}
			}
		}
		return true
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		if by = legacyOf(t, cfg); checks() || time.Now().After(deadline) {
			break
		}
	}
	if !checks() {
		t.Errorf("legacy.soap@acme.demo does not list Warden's own SOAP checks from 127.0.0.1 apart: %+v", by["legacy.soap@acme.demo"])
	}
	for u, uses := range by {
		for _, x := range uses {
			t.Logf("%s %s %+v checks %+v %s", u, x.Method, x.Clients, x.WardenChecks, x.Reason)
			for _, c := range x.Clients {
				if c.SourceIP == "127.0.0.1" {
					t.Errorf("%s: Warden's own logins (%+v) are listed as a source of the integration", u, c)
				}
			}
		}
	}
	soap := by["legacy.soap@acme.demo"]
	if len(soap) != 1 || soap[0].Method != activity.MethodSOAPLogin || len(soap[0].Clients) == 0 || soap[0].Clients[0].SourceIP != "198.51.100.17" ||
		soap[0].Clients[0].APIType != "SOAP Partner" || soap[0].LastSeen.IsZero() {
		t.Errorf("legacy.soap@acme.demo: %+v, want SOAP login() from 198.51.100.17", soap)
	}
	for _, u := range []string{"jwt.analytics@acme.demo", "erp.sync@globex.demo", "invoice.sync@acme.demo"} {
		if by[u] != nil {
			t.Errorf("%s is listed: %+v", u, by[u])
		}
	}
	if gis := by["gis.legacy@acme.demo"]; len(gis) != 1 || gis[0].Method != activity.MethodOAuthPassword {
		t.Errorf("gis.legacy@acme.demo: %+v, want the username-password flow", gis)
	}
}

// TestDemoMigrate moves the demo's SOAP-login integration to the JWT
// bearer flow against the emulator: after --apply, the new credential
// logs in; once the configuration declares it (and the dependent's file
// template takes its fields), --apply delivers it to the dependent by its
// declared file delivery, verifies it, retires the password, and warden
// legacy no longer lists the user.
func TestDemoMigrate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	startServe(t, "demo", "--emulator-addr", "127.0.0.1:0", "--addr", "127.0.0.1:0", "--data", dir, "--sweep-interval", "1s")
	cfg := filepath.Join(dir, "warden.yaml")
	const user = "legacy.soap@acme.demo"
	loaded, err := config.Load(cfg, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	c := salesforce.New(salesforce.Config{LoginURL: loaded.Orgs[0].LoginURL})
	var oldSecret string
	for _, dc := range emulator.DemoCredentials() {
		if dc.Username == user {
			oldSecret = dc.Secret
		}
	}
	if _, _, err := c.SOAPLogin(t.Context(), user, oldSecret); err != nil {
		t.Fatalf("the password does not log in before the migration: %v", err)
	}
	if by := legacyOf(t, cfg); len(by[user]) == 0 {
		t.Fatalf("warden legacy does not list %s", user)
	}
	migrate := func(args ...string) *activity.MigrationPlan {
		t.Helper()
		code, out, errOut := run(t, append([]string{"migrate", "--config", cfg, user, "--to", "jwt", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("migrate %v: %d %s %s", args, code, errOut, out)
		}
		var p activity.MigrationPlan
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("migrate --json: %v: %s", err, out)
		}
		return &p
	}
	p := migrate("--plan")
	var ids []string
	for _, s := range p.Steps {
		ids = append(ids, s.ID)
		if s.Done {
			t.Errorf("step %s is done before --apply", s.ID)
		}
	}
	wantSteps := []string{"key_pair", "connected_app", "preauthorize", "credential", "config", "deliver:Legacy SOAP ETL", "verify:Legacy SOAP ETL", "retire_password"}
	if !slices.Equal(ids, wantSteps) {
		t.Fatalf("plan steps %v, want %v", ids, wantSteps)
	}
	if p.From != activity.MethodSOAPLogin {
		t.Errorf("plan from %s, want %s", p.From, activity.MethodSOAPLogin)
	}
	p = migrate("--apply")
	for _, id := range wantSteps[:4] {
		if !p.Step(id).Done {
			t.Errorf("step %s is not done after --apply", id)
		}
	}
	if p.Step("deliver:Legacy SOAP ETL").Done || p.Step("verify:Legacy SOAP ETL").Done || p.Step("retire_password").Done {
		t.Error("the dependent was delivered or verified, or the password retired, before the configuration was updated")
	}
	if d := p.Step("deliver:Legacy SOAP ETL"); d.Delivery != warden.DeliveryFile || d.Kind != activity.StepWarden {
		t.Errorf("deliver step %+v, want the dependent's file delivery run by Warden", d)
	}
	if code, _, _ := run(t, "migrate", "--config", cfg, user, "--to", "jwt", "--done", "deliver:Legacy SOAP ETL"); code == 0 {
		t.Error("--done checked off a delivery Warden runs itself")
	}

	// The dependent logs in with the new credential: the JWT bearer flow
	// with the key in the secret store.
	kek, err := local.KEKFromFile(filepath.Join(dir, "warden.key"))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := local.Open(filepath.Join(dir, "secrets.json"), kek)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	mat, err := credential.Read(t.Context(), ss, warden.SecretRef{Store: "local", Key: p.Credential}, warden.StageCurrent)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(mat.PrivateKey))
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.JWTBearer(t.Context(), salesforce.JWTGrant{ClientID: p.ConsumerKey, Username: user, Key: key}); err != nil {
		t.Fatalf("the dependent cannot log in with the new credential: %v", err)
	}
	// The owner updates the configuration: the new credential, the user
	// pointed at it, and the dependent's template taking its fields.
	yml, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "apps", "legacy-soap-etl.key")
	text := string(yml)
	for _, r := range []struct{ old, new string }{
		{"credentials:\n", "credentials:\n  - name: " + yamlQuote(p.Credential) + "\n    org: " + yamlQuote(p.Org) + "\n    kind: jwt\n    username: " + yamlQuote(user) +
			"\n    clientId: " + yamlQuote(p.ConsumerKey) + "\n    secret: {store: local, key: " + yamlQuote(p.Credential) + "}\n"},
		{"username: " + yamlQuote(user) + "\n    credential: " + yamlQuote(p.OldCredential), "username: " + yamlQuote(user) + "\n    credential: " + yamlQuote(p.Credential)},
		{"SF_PASSWORD={{password}}", "SF_CLIENT_ID={{clientId}}\n        SF_PRIVATE_KEY_PATH={{privateKeyPath}}"},
		{"legacy-soap-etl.env\"\n", "legacy-soap-etl.env\"\n      keyPath: " + yamlQuote(keyPath) + "\n"},
	} {
		if !strings.Contains(text, r.old) {
			t.Fatalf("the demo configuration has no %q", r.old)
		}
		text = strings.Replace(text, r.old, r.new, 1)
	}
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "inventory", "sync", "--config", cfg); code != 0 {
		t.Fatalf("inventory sync: %d %s %s", code, out, errOut)
	}
	migrate("--done", "config")
	p = migrate("--apply")
	for _, id := range wantSteps {
		if !p.Step(id).Done {
			t.Errorf("step %s is not done after the configuration update and the second --apply", id)
		}
	}
	// The dependent received the JWT credential through its file delivery.
	env, err := os.ReadFile(filepath.Join(dir, "apps", "legacy-soap-etl.env"))
	if err != nil || !strings.Contains(string(env), "SF_CLIENT_ID='"+p.ConsumerKey+"'") || !strings.Contains(string(env), "SF_PRIVATE_KEY_PATH='"+keyPath+"'") ||
		strings.Contains(string(env), "SF_PASSWORD") {
		t.Errorf("the Legacy SOAP ETL file after the migration: %s %v", env, err)
	}
	if k, err := os.ReadFile(keyPath); err != nil || string(k) != mat.PrivateKey {
		t.Errorf("the Legacy SOAP ETL key file does not hold the new private key: %v", err)
	}
	if code, out, _ := run(t, "delivery", "list", "--config", cfg, "--dependent", "Legacy SOAP ETL"); code != 0 || !strings.Contains(out, p.Credential) {
		t.Errorf("delivery list does not show the delivery of %s: %s", p.Credential, out)
	}
	if by := legacyOf(t, cfg); len(by[user]) != 0 {
		t.Errorf("warden legacy still lists %s: %+v", user, by[user])
	}
	// The old password and security token no longer log in.
	if _, _, err := c.SOAPLogin(t.Context(), user, oldSecret); err == nil {
		t.Error("the retired password still logs in with SOAP login()")
	}
	// The user's own credential check now uses the JWT credential.
	if code, out, errOut := run(t, "check", "--config", cfg, user); code != 0 {
		t.Errorf("check after the migration: %d %s %s", code, out, errOut)
	}
}

// declareMigrated edits the demo configuration as the owner of user
// would after a migration's credential step: it declares the plan's new
// credential and points the user at it, applies the further replacements
// (old, new), and syncs the inventory.
func declareMigrated(t *testing.T, cfg string, p *activity.MigrationPlan, more ...string) {
	t.Helper()
	yml, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := string(yml)
	repl := []string{
		"credentials:\n", "credentials:\n  - name: " + yamlQuote(p.Credential) + "\n    org: " + yamlQuote(p.Org) + "\n    kind: " + string(p.To) +
			"\n    username: " + yamlQuote(p.Username) + "\n    clientId: " + yamlQuote(p.ConsumerKey) + "\n    secret: {store: local, key: " + yamlQuote(p.Credential) + "}\n",
		"username: " + yamlQuote(p.Username) + "\n    credential: " + yamlQuote(p.OldCredential), "username: " + yamlQuote(p.Username) + "\n    credential: " + yamlQuote(p.Credential),
	}
	repl = append(repl, more...)
	for i := 0; i+1 < len(repl); i += 2 {
		if !strings.Contains(text, repl[i]) {
			t.Fatalf("the demo configuration has no %q", repl[i])
		}
		text = strings.Replace(text, repl[i], repl[i+1], 1)
	}
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "inventory", "sync", "--config", cfg); code != 0 {
		t.Fatalf("inventory sync: %d %s %s", code, out, errOut)
	}
}

// TestDemoMigrateClientCredentials moves the demo's username-password
// integration gis.legacy@acme.demo to the client credentials flow: --apply
// upserts the connected app with a consumer secret (kept in the secret
// store) and the user as its run-as user, records and proves the
// credential; after the configuration update it delivers to the
// dependent, verifies it once the dependent logs in through the new app,
// and retires the password.
func TestDemoMigrateClientCredentials(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	startServe(t, "demo", "--emulator-addr", "127.0.0.1:0", "--addr", "127.0.0.1:0", "--data", dir, "--sweep-interval", "1s")
	cfg := filepath.Join(dir, "warden.yaml")
	const user = "gis.legacy@acme.demo"
	migrate := func(args ...string) *activity.MigrationPlan {
		t.Helper()
		code, out, errOut := run(t, append([]string{"migrate", "--config", cfg, user, "--to", "client_credentials", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("migrate %v: %d %s %s", args, code, errOut, out)
		}
		var p activity.MigrationPlan
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("migrate --json: %v: %s", err, out)
		}
		return &p
	}
	p := migrate("--apply")
	var ids []string
	for _, s := range p.Steps {
		ids = append(ids, s.ID)
	}
	wantSteps := []string{"connected_app", "preauthorize", "credential", "config", "deliver:GIS Sync", "verify:GIS Sync", "retire_password"}
	if !slices.Equal(ids, wantSteps) {
		t.Fatalf("plan steps %v, want %v", ids, wantSteps)
	}
	for i, id := range wantSteps {
		if p.Step(id).Done != (i < 3) {
			t.Errorf("step %s done %v after the first --apply", id, p.Step(id).Done)
		}
	}
	// The consumer secret is in the secret store, and the client
	// credentials grant logs in as the user with it.
	kek, err := local.KEKFromFile(filepath.Join(dir, "warden.key"))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := local.Open(filepath.Join(dir, "secrets.json"), kek)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	mat, err := credential.Read(t.Context(), ss, warden.SecretRef{Store: "local", Key: p.Credential}, warden.StageCurrent)
	if err != nil || mat.ClientSecret == "" {
		t.Fatalf("the consumer secret is not in the secret store: %v", err)
	}
	loaded, err := config.Load(cfg, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	c := salesforce.New(salesforce.Config{LoginURL: loaded.Orgs[0].LoginURL})
	login := func() {
		t.Helper()
		if _, err := c.ClientCredentials(t.Context(), p.ConsumerKey, mat.ClientSecret); err != nil {
			t.Fatalf("the client credentials grant fails: %v", err)
		}
	}
	login()
	declareMigrated(t, cfg, p)
	migrate("--done", "config")
	// Delivered (the dependent reads the secret store), but not verified
	// until the dependent logs in through the new app.
	if p = migrate("--apply"); !p.Step("deliver:GIS Sync").Done || p.Step("retire_password").Done {
		t.Errorf("after the configuration update: deliver done %v, password retired %v", p.Step("deliver:GIS Sync").Done, p.Step("retire_password").Done)
	}
	if !p.Step("verify:GIS Sync").Done {
		login()
		p = migrate("--apply")
	}
	for _, id := range wantSteps {
		if !p.Step(id).Done {
			t.Errorf("step %s is not done after the dependent moved", id)
		}
	}
	if by := legacyOf(t, cfg); len(by[user]) != 0 {
		t.Errorf("warden legacy still lists %s: %+v", user, by[user])
	}
	if code, out, errOut := run(t, "check", "--config", cfg, user); code != 0 {
		t.Errorf("check after the migration: %d %s %s", code, out, errOut)
	}
}
