package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/internal/strictyaml"
)

// testEnv is the environment the tests' configurations read.
var testEnv = map[string]string{
	"VAULT_TOKEN":       "hvs.vault-token-secret",
	"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/slack-path-secret",
	"SMTP_PASSWORD":     "smtp-pa$$word-secret",
	"TEAMS_URL":         "https://acme.webhook.office.com/teams-path-secret",
	"SHARE":             "0.5",
	"PGPASSWORD":        "pg-secret",
}

func getenv(k string) string { return testEnv[k] }

// testSecrets returns the values of testEnv that are secrets.
func testSecrets() []string {
	var out []string
	for k, v := range testEnv {
		if k != "SHARE" {
			out = append(out, v)
		}
	}
	return out
}

func TestLoadFull(t *testing.T) {
	c, err := Load("testdata/full.yaml", getenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != "testdata/full.yaml" {
		t.Errorf("Path = %q", c.Path)
	}
	// Paths stay as written; Resolve makes them relative to the file.
	if c.Store.Driver != "sqlite" || c.Store.Path != "data/warden.db" || c.Resolve(c.Store.Path) != filepath.Join("testdata", "data", "warden.db") {
		t.Errorf("store: %+v", c.Store)
	}
	if r := c.Store.Retention; r.Health.D() != 720*time.Hour || r.Findings.D() != 2160*time.Hour || r.Rotations.D() != 8760*time.Hour {
		t.Errorf("retention: %+v", r)
	}
	want := []SecretStore{
		{Name: "local", Kind: "local", Path: "secrets.json", KeyFile: "warden.key"},
		{Name: "vault", Kind: "vault", Address: "https://vault.acme.example:8200", Token: "hvs.vault-token-secret", Mount: "kv", Prefix: "warden/prod/"},
		{Name: "azure", Kind: "azurekv", VaultURL: "https://acme-warden.vault.azure.net", Prefix: "warden-"},
	}
	if !reflect.DeepEqual(c.SecretStores, want) {
		t.Errorf("secret stores:\n got %+v\nwant %+v", c.SecretStores, want)
	}
	if c.Orgs[0].DailyAPIShare != 0.02 || c.Orgs[1].DailyAPIShare != 0.1 {
		t.Errorf("org shares %v, %v: want 0.02 and the monitor's 0.1", c.Orgs[0].DailyAPIShare, c.Orgs[1].DailyAPIShare)
	}
	if d := c.Dependents[1]; d.Username != "erp@acme.example" {
		t.Errorf("dependent username %q: want the spelling of users", d.Username)
	}
	if d := c.Dependents[2]; d.Delivery != "manual" {
		t.Errorf("default delivery %q", d.Delivery)
	}
	n := c.Notifications
	if n[0].URL != testEnv["SLACK_WEBHOOK_URL"] || n[0].MinSeverity != "high" || n[1].MinSeverity != "medium" ||
		n[1].Password != "smtp-pa$$word-secret" || !slices.Equal(n[1].To, []string{"ops@acme.example", "platform@acme.example"}) {
		t.Errorf("notifications: %+v", n)
	}
	m := c.Monitor
	if m.SweepInterval.D() != time.Minute || m.LivenessInterval.D() != 30*time.Minute || m.PasswordExpiryWarning.D() != 168*time.Hour || m.DailyAPIShare != 0.1 {
		t.Errorf("monitor: %+v", m)
	}
	if c.Server.Addr != "127.0.0.1:8080" || c.Server.PublicURL != "https://warden.acme.example" {
		t.Errorf("server: %+v", c.Server)
	}
}

func TestParseDefaults(t *testing.T) {
	c, err := Parse([]byte("orgs:\n  - {name: acme, loginUrl: 'https://login.salesforce.com', monitoringCredential: m}\n"+
		"credentials:\n  - {name: m, org: acme, kind: password, username: m@acme.example}\n"), "/etc/warden/warden.yaml", getenv)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Path:        "/etc/warden/warden.yaml",
		Store:       Store{Driver: "sqlite", Path: "warden.db"},
		Server:      Server{Addr: DefaultServerAddr},
		Orgs:        []Org{{Name: "acme", LoginURL: "https://login.salesforce.com", MonitoringCredential: "m", DailyAPIShare: DefaultDailyAPIShare}},
		Credentials: []Credential{{Name: "m", Org: "acme", Kind: "password", Username: "m@acme.example"}},
		Monitor: Monitor{
			SweepInterval:         Duration(DefaultSweepInterval),
			LivenessInterval:      Duration(DefaultLivenessInterval),
			PasswordExpiryWarning: Duration(DefaultExpiryWarning),
			DailyAPIShare:         DefaultDailyAPIShare,
		},
		Broker: Broker{SessionLifetime: Duration(DefaultBrokerSessionLifetime), RefreshBefore: Duration(DefaultBrokerRefreshBefore),
			Rate: DefaultBrokerRate, Burst: DefaultBrokerBurst, MaxBodyBytes: DefaultBrokerMaxBody, FailurePause: Duration(DefaultBrokerFailurePause)},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if got := c.Resolve(c.Store.Path); got != "/etc/warden/warden.db" {
		t.Errorf("Resolve(store.path) = %q", got)
	}

	c, err = Parse([]byte(strings.Join([]string{
		"store: {driver: postgres, dsn: 'postgres://warden@db/warden'}",
		"secretStores:",
		"  - {name: v, kind: vault, address: 'http://127.0.0.1:8200', token: t}",
		"  - {name: l, kind: local, keyEnv: WARDEN_KEK, path: /var/lib/warden/secrets.json}",
		"  - {name: l2, kind: local, keyEnv: WARDEN_KEK}",
	}, "\n")), "conf/warden.yaml", getenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.Path != "" || c.SecretStores[0].Mount != "secret" || c.SecretStores[0].Prefix != "warden/" ||
		c.SecretStores[1].Path != "/var/lib/warden/secrets.json" || c.SecretStores[1].KeyFile != "" ||
		c.SecretStores[2].Path != "secrets.json" || c.Resolve(c.SecretStores[2].Path) != filepath.Join("conf", "secrets.json") {
		t.Errorf("got %+v %+v", c.Store, c.SecretStores)
	}
}

func TestResolve(t *testing.T) {
	for _, tt := range []struct{ path, p, want string }{
		{"warden.yaml", "warden.db", "warden.db"},
		{"conf/warden.yaml", "data/warden.db", filepath.Join("conf", "data", "warden.db")},
		{"conf/warden.yaml", "/abs/warden.db", "/abs/warden.db"},
		{"conf/warden.yaml", "", ""},
		{"", "x/y", "x/y"},
	} {
		if got := (&Config{Path: tt.path}).Resolve(tt.p); got != tt.want {
			t.Errorf("Resolve(%q) in %q = %q, want %q", tt.p, tt.path, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		file string // in testdata/bad, without .yaml
		want []string
	}{
		{"credentials", []string{
			`warden.yaml:7: credentials[0].username: is required for kind jwt`,
			`warden.yaml:7: credentials[0].clientId: is required for kind jwt`,
			`warden.yaml:10: credentials[1].clientId: is required for kind refresh_token`,
			`warden.yaml:13: credentials[1].username: "not-a-username" is not a Salesforce username (want name@domain.tld)`,
			`warden.yaml:18: credentials[2].secret.key: is required`,
			`warden.yaml:20: credentials[3].org: org "globex" not found (orgs: acme)`,
			`warden.yaml:23: credentials[3].secret.store: secret store "aws" not found (secret stores: vault)`,
			`warden.yaml:24: credentials[4].name: duplicate credential name "cc" (also credentials[2].name at line 14)`,
			`warden.yaml:26: credentials[4].kind: "clientcredentials" is not jwt, client_credentials, refresh_token or password (did you mean "client_credentials"?)`,
			`warden.yaml:27: credentials[5].org: is required`,
			`warden.yaml:27: credentials[5].kind: is required (jwt, client_credentials, refresh_token or password)`,
			`warden.yaml:28: credentials[6].name: is required`,
			`warden.yaml:35: credentials[7].twinUsername: must be another user than username a@acme.example`,
			`warden.yaml:36: credentials[7].twinClientId: is for jwt credentials, not password`,
			`warden.yaml:42: credentials[8].twinClientId: must be another connected app than clientId`,
			`warden.yaml:43: credentials[8].twinUsername: is for password credentials, not jwt (a jwt credential alternates connected apps: twinClientId)`,
			`warden.yaml:43: credentials[8].twinUsername: "not-a-username" is not a Salesforce username (want name@domain.tld)`,
		}},
		{"dependents", []string{
			`warden.yaml:16: dependents[0].objects[0].access[1]: unknown object permission "Raed" (want Read, Create, Edit, Delete, ViewAll or ModifyAll; did you mean "Read"?)`,
			`warden.yaml:16: dependents[0].objects[0].access[2]: unknown object permission "Write" (want Read, Create, Edit, Delete, ViewAll or ModifyAll)`,
			`warden.yaml:16: dependents[0].objects[0].access[3]: Read is listed twice`,
			`warden.yaml:17: dependents[0].objects[1].object: "Invoice c" is not an object API name (e.g. Account, Invoice__c)`,
			`warden.yaml:18: dependents[0].objects[2].object: duplicate object "Account" (also dependents[0].objects[0].object at line 16)`,
			`warden.yaml:18: dependents[0].objects[2].access: is required (some of Read, Create, Edit, Delete, ViewAll, ModifyAll)`,
			`warden.yaml:19: dependents[0].objects[3].object: is required`,
			`warden.yaml:20: dependents[1].name: duplicate dependent name "netsuite" in org "acme" (also dependents[0].name at line 10)`,
			`warden.yaml:23: dependents[1].delivery: "email" is not broker, secret_store, webhook, file, command or manual`,
			`warden.yaml:26: dependents[2].username: user "gis@globex.example" not found in users of org "acme" (it is a user of org "globex")`,
			`warden.yaml:27: dependents[2].owner: team "gis-team" not found in owners (teams: finance)`,
			`warden.yaml:29: dependents[3].org: org "initech" not found (orgs: acme, globex)`,
			`warden.yaml:31: dependents[4].name: is required`,
			`warden.yaml:31: dependents[4].username: is required`,
		}},
		{"empty", []string{
			`warden.yaml:1: empty config: want a mapping with keys such as store, orgs, credentials and users`,
		}},
		{"env", []string{
			`warden.yaml:3: store.dsn: environment variable PG_DSN is not set`,
			`warden.yaml:5: server.publicUrl: unterminated "${" (write ${NAME}, or $$ for a literal $)`,
			`warden.yaml:11: secretStores[0].address: environment variable VAULT_HOST is not set`,
			`warden.yaml:12: secretStores[0].token: "${VAULT-TOKEN}" is not an environment variable name (write ${NAME} or ${NAME:-default}, or $$ for a literal $)`,
		}},
		{"keys", []string{
			`warden.yaml:3: unknown key "retension" in store (known keys: driver, path, dsn, retention; did you mean "retention"?)`,
			`warden.yaml:8: unknown key "contact" in owners[0] (known keys: team, contacts; did you mean "contacts"?)`,
			`warden.yaml:9: duplicate key "team" in owners[0] (first at line 6)`,
			`warden.yaml:10: unknown key "monitors" at the top level (known keys: store, server, secretStores, orgs, credentials, users, owners, dependents, notifications, monitor, auth, tls, activity, broker, rotation; did you mean "monitor"?)`,
		}},
		{"notifications", []string{
			`warden.yaml:4: notifications[0].url: is required for kind slack (use ${ENV}: the URL is a secret)`,
			`warden.yaml:6: notifications[0].minSeverity: "urgent" is not info, low, medium, high or critical`,
			`warden.yaml:7: notifications[0].owners[1]: team "platform" not found in owners (teams: finance)`,
			`warden.yaml:11: notifications[1].routingKey: is not used by kind teams (only by pagerduty)`,
			`warden.yaml:12: notifications[2].secret: is required for kind webhook (it signs every delivery)`,
			`warden.yaml:15: notifications[3].routingKey: is required for kind pagerduty`,
			`warden.yaml:19: notifications[4].smtpHost: "smtp.acme.example:587" is not a host name (give the port in smtpPort)`,
			`warden.yaml:20: notifications[4].smtpPort: must be between 1 and 65535, got 70000`,
			`warden.yaml:21: notifications[4].password: is only used with username`,
			`warden.yaml:22: notifications[4].from: "warden" is not an e-mail address`,
			`warden.yaml:23: notifications[4].to[1]: "ops" is not an e-mail address`,
			`warden.yaml:24: notifications[5].smtpHost: is required for kind email`,
			`warden.yaml:24: notifications[5].from: is required for kind email`,
			`warden.yaml:24: notifications[5].to: is required for kind email (a list of addresses)`,
			`warden.yaml:27: notifications[6].kind: "sms" is not slack, teams, email, webhook or pagerduty`,
			`warden.yaml:28: notifications[7].kind: is required (slack, teams, email, webhook or pagerduty)`,
			`warden.yaml:29: notifications[8].name: duplicate notification name "slack" (also notifications[0].name at line 4)`,
			`warden.yaml:30: notifications[8].kind: "slak" is not slack, teams, email, webhook or pagerduty (did you mean "slack"?)`,
		}},
		{"orgs", []string{
			`warden.yaml:4: orgs[0].monitoringCredential: credential "monitor-uat" belongs to org "acme-dev", not "acme-prod"`,
			`warden.yaml:5: orgs[1].name: duplicate org name "acme-prod" (also orgs[0].name at line 2)`,
			`warden.yaml:5: orgs[1].monitoringCredential: is required (the credential Warden reads the org with)`,
			`warden.yaml:6: orgs[1].loginUrl: "login.salesforce.com" is not an absolute URL (want https://HOST, such as https://login.salesforce.com or https://acme.my.salesforce.com)`,
			`warden.yaml:7: orgs[2].name: "acme uat" is not a valid name (use letters, digits, '.', '_' and '-')`,
			`warden.yaml:8: orgs[2].loginUrl: has scheme "ftp"; want https`,
			`warden.yaml:9: orgs[2].monitoringCredential: credential "nothing" not found (no credentials of org "acme uat" are declared)`,
			`warden.yaml:10: orgs[2].dailyApiShare: must be more than 0 and at most 1 (a share of the org's daily API requests, e.g. 0.05), got -0.5`,
			`warden.yaml:11: orgs[3].name: is required`,
			`warden.yaml:11: orgs[3].monitoringCredential: is required (the credential Warden reads the org with)`,
			`warden.yaml:12: orgs[4].loginUrl: is required (e.g. https://login.salesforce.com, https://test.salesforce.com or a My Domain URL)`,
			`warden.yaml:12: orgs[4].monitoringCredential: is required (the credential Warden reads the org with)`,
			`warden.yaml:14: orgs[5].loginUrl: "http://acme.my.salesforce.com" uses plain http; only https is accepted (http only on loopback addresses)`,
			`warden.yaml:15: orgs[5].monitoringCredential: credential "monitor-remote" not found (no credentials of org "acme-remote" are declared)`,
			`warden.yaml:16: orgs[5].passwordExpiresDays: 45 is not one of Salesforce's password lifetimes: 30, 60, 90, 180 or 365 days, or -1 for never (leave it out for the default, 90)`,
			`warden.yaml:19: orgs[6].monitoringCredential: credential "monitor-emulator" not found (no credentials of org "acme-emulator" are declared)`,
			`warden.yaml:20: orgs[6].passwordExpiresDays: "never" is not an integer`,
		}},
		{"owners", []string{
			`warden.yaml:3: owners[0].contacts[1]: "finance-slack" is neither an e-mail address nor a notification channel (channels: ops-pager)`,
			`warden.yaml:3: owners[0].contacts[3]: "bad@" is not an e-mail address`,
			`warden.yaml:4: owners[1].team: duplicate team "finance" (also owners[0].team at line 2)`,
			`warden.yaml:5: owners[2].team: is required`,
		}},
		{"secretstores", []string{
			`warden.yaml:2: secretStores[0]: a local secret store needs keyFile or keyEnv (where its key-encryption key is)`,
			`warden.yaml:4: secretStores[1].name: duplicate secret store name "files" (also secretStores[0].name at line 2)`,
			`warden.yaml:7: secretStores[1].keyEnv: give keyFile or keyEnv, not both`,
			`warden.yaml:8: secretStores[2].name: "env key" is not a valid name (use letters, digits, '.', '_' and '-')`,
			`warden.yaml:10: secretStores[2].keyEnv: "1KEY" is not an environment variable name`,
			`warden.yaml:11: secretStores[2].address: is not used by kind local (only by vault)`,
			`warden.yaml:12: secretStores[3].address: is required for kind vault`,
			`warden.yaml:12: secretStores[3].token: is required for kind vault (use ${VAULT_TOKEN})`,
			`warden.yaml:16: secretStores[4].address: "vault.acme.example:8200" is not an absolute http(s) URL (e.g. https://vault.example.com:8200)`,
			`warden.yaml:20: secretStores[5].vaultUrl: "http://acme.vault.azure.net" is not an https URL (e.g. https://myvault.vault.azure.net)`,
			`warden.yaml:21: secretStores[5].prefix: "warden/" may hold only letters, digits and '-' (Key Vault secret names)`,
			`warden.yaml:22: secretStores[6].kind: is required (local, vault or azurekv)`,
			`warden.yaml:24: secretStores[7].kind: "aws" is not local, vault or azurekv`,
			`warden.yaml:25: secretStores[8].name: is required`,
			`warden.yaml:25: secretStores[8].kind: "locl" is not local, vault or azurekv (did you mean "local"?)`,
		}},
		{"settings", []string{
			`warden.yaml:2: server.addr: "localhost" is not host:port (e.g. 127.0.0.1:8080, or :8080 for every interface)`,
			`warden.yaml:3: server.publicUrl: "warden.acme.example" is not an absolute http(s) URL`,
			`warden.yaml:5: monitor.sweepInterval: must be at least 1s, got 500ms`,
			`warden.yaml:7: monitor.dailyApiShare: must be more than 0 and at most 1 (a share of the org's daily API requests, e.g. 0.05), got 1.5`,
		}},
		{"store-driver", []string{
			`warden.yaml:2: store.driver: "postgress" is not sqlite or postgres (did you mean "postgres"?)`,
		}},
		{"store-postgres", []string{
			`warden.yaml:1: store.dsn: is required with driver postgres`,
			`warden.yaml:3: store.path: is only used with driver sqlite`,
		}},
		{"store-sqlite", []string{
			`warden.yaml:3: store.dsn: is only used with driver postgres`,
		}},
		{"syntax", []string{
			`warden.yaml:4: did not find expected '-' indicator`,
		}},
		{"types", []string{
			`warden.yaml:3: store.retention.health: "30 days" is not a duration (use a number with a unit: 30s, 15m, 720h)`,
			`warden.yaml:4: store.retention.findings: "-24h" is negative`,
			`warden.yaml:5: store.retention.rotations: expected a duration such as 30s, 15m or 720h, found a list`,
			`warden.yaml:6: server: expected a mapping, found ":8080"`,
			`warden.yaml:9: owners[0].contacts: expected a list, found "finance@acme.example"`,
			`warden.yaml:14: notifications[0].smtpPort: "587" is not an integer`,
			`warden.yaml:18: monitor.sweepInterval: "30" is not a duration (use a number with a unit: 30s, 15m, 720h)`,
			`warden.yaml:19: monitor.dailyApiShare: "a lot" is not a number`,
		}},
		{"users", []string{
			`warden.yaml:16: users[1].credential: credential "acme-jwt" logs in as "billing@acme.example", not as this user`,
			`warden.yaml:17: users[1].owner: team "fiance" not found in owners (teams: finance)`,
			`warden.yaml:20: users[2].credential: credential "globex-jwt" belongs to org "globex", not "acme"`,
			`warden.yaml:22: users[3].username: duplicate username "BILLING@acme.example" (also users[0].username at line 11)`,
			`warden.yaml:23: users[4].org: org "initech" not found (orgs: acme, globex)`,
			`warden.yaml:26: users[5].username: "bob" is not a Salesforce username (want name@domain.tld)`,
			`warden.yaml:27: users[5].credential: credential "nope" not found (credentials of org "acme": acme-jwt)`,
			`warden.yaml:28: users[6].username: is required`,
		}},
	}
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) != len(tests) {
		t.Errorf("%d files in testdata/bad, %d test cases", len(files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "bad", tt.file+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(data, "warden.yaml", getenv)
			if c != nil || err == nil {
				t.Fatalf("got config %v, error %v", c, err)
			}
			var se *strictyaml.Error
			if !errors.As(err, &se) {
				t.Fatalf("error is %T, not *strictyaml.Error", err)
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, secret := range testSecrets() {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("a problem shows the secret %q", secret)
				}
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load("testdata/no-such.yaml", getenv)
	if !errors.Is(err, os.ErrNotExist) || warden.ErrorKind(err) != warden.ENOTFOUND ||
		warden.ErrorMessage(err) != "configuration file testdata/no-such.yaml: cannot read: no such file or directory" {
		t.Errorf("got %v (%s)", err, warden.ErrorKind(err))
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "alpha", "EMPTY": "", "D": "$x"}
	tests := []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"${A}", "alpha", ""},
		{"x-${A}-${A}.y", "x-alpha-alpha.y", ""},
		{"${MISSING:-fallback}", "fallback", ""},
		{"${EMPTY:-fallback}", "fallback", ""},
		{"${A:-fallback}", "alpha", ""},
		{"${MISSING:-}", "", ""},
		{"${MISSING:-a:-b}", "a:-b", ""},
		{"$${A}", "${A}", ""},
		{"pa$$word", "pa$word", ""},
		{"pa$word", "pa$word", ""},
		{"cost: 5$", "cost: 5$", ""},
		{"${D}", "$x", ""}, // values are not expanded again
		{"${MISSING}", "", "environment variable MISSING is not set"},
		{"${EMPTY}", "", "environment variable EMPTY is not set"},
		{"${A", "", `unterminated "${" (write ${NAME}, or $$ for a literal $)`},
		{"${}", "", `"${}" is not an environment variable name (write ${NAME} or ${NAME:-default}, or $$ for a literal $)`},
		{"${1A}", "", `"${1A}" is not an environment variable name (write ${NAME} or ${NAME:-default}, or $$ for a literal $)`},
		{"${A B}", "", `"${A B}" is not an environment variable name (write ${NAME} or ${NAME:-default}, or $$ for a literal $)`},
	}
	for _, tt := range tests {
		got, err := expand(tt.in, func(k string) string { return env[k] })
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("expand(%q): error %v, want %s", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseEnv(t *testing.T) {
	env := map[string]string{
		"ORG":        "acme",
		"SF_URL":     "https://acme.my.salesforce.com",
		"SHARE":      "0.25",
		"PORT":       "2525",
		"HOOK":       "https://hooks.slack.com/services/T/B/x",
		"DATA":       "/var/lib/warden",
		"SWEEP":      "45s",
		"CLIENT_ID":  "3MVG9$abc",
		"USER_EMAIL": "ops@acme.example",
	}
	data := []byte(strings.Join([]string{
		"store:",
		"  path: ${DATA}/warden.db",
		"orgs:",
		"  - name: ${ORG}",
		"    loginUrl: ${SF_URL}",
		"    dailyApiShare: ${SHARE}",
		"    monitoringCredential: c",
		"credentials:",
		"  - name: c",
		"    org: ${ORG}",
		"    kind: ${KIND:-jwt}",
		"    username: integration@acme.example",
		"    clientId: ${CLIENT_ID}",
		"notifications:",
		"  - {name: s, kind: slack, url: '${HOOK}'}",
		"  - name: m",
		"    kind: email",
		"    smtpHost: smtp.acme.example",
		"    smtpPort: ${PORT}",
		"    from: Warden $$ Co <warden@acme.example>",
		"    to: [\"${USER_EMAIL}\"]",
		"monitor:",
		"  sweepInterval: ${SWEEP:-30s}",
		"  livenessInterval: ${LIVENESS:-20m}",
	}, "\n"))
	c, err := Parse(data, "warden.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.Path != "/var/lib/warden/warden.db" || c.Orgs[0].Name != "acme" || c.Orgs[0].LoginURL != env["SF_URL"] ||
		c.Orgs[0].DailyAPIShare != 0.25 || c.Credentials[0].Org != "acme" || c.Credentials[0].Kind != "jwt" ||
		c.Credentials[0].ClientID != "3MVG9$abc" || c.Notifications[0].URL != env["HOOK"] || c.Notifications[1].SMTPPort != 2525 ||
		c.Notifications[1].From != "Warden $ Co <warden@acme.example>" || c.Notifications[1].To[0] != "ops@acme.example" ||
		c.Monitor.SweepInterval.D() != 45*time.Second || c.Monitor.LivenessInterval.D() != 20*time.Minute {
		t.Errorf("got %+v", c)
	}

	// A quoted number stays a string; a missing variable names itself and
	// its line.
	_, err = Parse([]byte("notifications:\n  - name: m\n    kind: email\n    smtpPort: \"${PORT}\"\n    smtpHost: ${SMTP_HOST}\n"+
		"    from: ${USER_EMAIL}\n    to: [\"${USER_EMAIL}\"]\n"), "warden.yaml", func(k string) string { return env[k] })
	want := "warden.yaml:4: notifications[0].smtpPort: \"2525\" is not an integer\n" +
		"warden.yaml:5: notifications[0].smtpHost: environment variable SMTP_HOST is not set"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestDomain(t *testing.T) {
	c, err := Load("testdata/full.yaml", getenv)
	if err != nil {
		t.Fatal(err)
	}
	orgs := c.DomainOrgs()
	if len(orgs) != 2 || *orgs[0] != (warden.Org{Name: "acme-prod", LoginURL: "https://acme.my.salesforce.com", MonitoringCredential: "warden-monitor", DailyAPIShare: 0.02, PasswordExpiresDays: 180}) {
		t.Errorf("orgs: %+v", orgs[0])
	}
	creds := c.DomainCredentials()
	if len(creds) != 3 || *creds[1] != (warden.Credential{Name: "billing-cc", Org: "acme-prod", Kind: warden.CredentialClientCredentials,
		ClientID: "3MVG9-billing", Secret: warden.SecretRef{Store: "vault", Key: "sf/acme-prod/billing"}}) {
		t.Errorf("credentials: %+v", creds[1])
	}
	users := c.DomainUsers()
	if len(users) != 5 || !reflect.DeepEqual(*users[1], warden.IntegrationUser{Org: "acme-prod", Username: "billing@acme.example",
		Credential: "billing-cc", Owner: "finance-apps", Description: "NetSuite billing connector"}) {
		t.Errorf("users: %+v", users[1])
	}
	owners := c.DomainOwners()
	if len(owners) != 2 || !reflect.DeepEqual(*owners[0], warden.Owner{Team: "finance-apps", Contacts: []string{"finance-apps@acme.example", "finance-slack"}}) {
		t.Errorf("owners: %+v", owners[0])
	}
	deps := c.DomainDependents()
	if len(deps) != 4 || !reflect.DeepEqual(*deps[0], warden.Dependent{Name: "netsuite-billing", Org: "acme-prod", Username: "billing@acme.example",
		Owner: "finance-apps", Contact: "billing-oncall@acme.example", Delivery: warden.DeliveryBroker,
		Objects: []warden.ObjectAccess{{Object: "Account", Access: []string{"Read"}}, {Object: "Invoice__c", Access: []string{"Read", "Create", "Edit"}}}}) {
		t.Errorf("dependents: %+v", deps[0])
	}
	// Every converted value passes the domain's own validation.
	for _, o := range orgs {
		if err := o.Validate(); err != nil {
			t.Error(err)
		}
	}
	for _, x := range creds {
		if err := x.Validate(); err != nil {
			t.Error(err)
		}
	}
	for _, x := range users {
		if err := x.Validate(); err != nil {
			t.Error(err)
		}
	}
	for _, x := range deps {
		if err := x.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestRedacted(t *testing.T) {
	env := map[string]string{}
	for k, v := range testEnv {
		env[k] = v
	}
	c, err := Parse([]byte(strings.Join([]string{
		"store:",
		"  driver: postgres",
		"  dsn: postgres://warden:${PGPASSWORD}@db.acme.example:5432/warden?sslmode=require&password=${PGPASSWORD}",
		"secretStores:",
		"  - {name: vault, kind: vault, address: 'https://vault.acme.example', token: '${VAULT_TOKEN}'}",
		"notifications:",
		"  - {name: s, kind: slack, url: '${SLACK_WEBHOOK_URL}'}",
		"  - {name: t, kind: teams, url: '${TEAMS_URL}'}",
		"  - {name: w, kind: webhook, url: 'https://hooks.acme.example/in?token=${PGPASSWORD}', secret: '${VAULT_TOKEN}'}",
		"  - {name: p, kind: pagerduty, routingKey: '${VAULT_TOKEN}'}",
		"  - {name: m, kind: email, smtpHost: smtp.acme.example, username: u, password: '${SMTP_PASSWORD}', from: 'a@acme.example', to: ['b@acme.example']}",
	}, "\n")), "warden.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	before := c.String()
	r := c.Redacted()
	text := r.String()
	if text != before {
		t.Errorf("String is not the text of Redacted")
	}
	for _, secret := range testSecrets() {
		if strings.Contains(text, secret) || strings.Contains(text, strings.ReplaceAll(secret, "$", "$$")) {
			t.Errorf("String shows the secret %q:\n%s", secret, text)
		}
	}
	for _, want := range []string{
		"dsn: postgres://warden:REDACTED@db.acme.example:5432/warden?password=REDACTED&sslmode=require",
		"token: REDACTED", "url: https://hooks.slack.com/REDACTED", "url: https://acme.webhook.office.com/REDACTED",
		"url: https://hooks.acme.example/REDACTED", "secret: REDACTED", "routingKey: REDACTED", "password: REDACTED",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("String lacks %q:\n%s", want, text)
		}
	}
	// The original is untouched.
	if c.SecretStores[0].Token != testEnv["VAULT_TOKEN"] || c.Notifications[4].Password != testEnv["SMTP_PASSWORD"] {
		t.Error("Redacted changed the original")
	}
	// The text parses back to the redacted configuration.
	again, err := Parse([]byte(text), "warden.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if !reflect.DeepEqual(again, r) {
		t.Errorf("String does not parse back:\n got %+v\nwant %+v", again, r)
	}

	for in, want := range map[string]string{
		"host=db user=warden password=s3cret sslmode=require": "host=db user=warden password=REDACTED sslmode=require",
		"host=db password='a b\\' c' user=warden":             "host=db password=REDACTED user=warden",
		"postgres://warden@db/warden":                         "postgres://warden@db/warden",
		"mysql://u:p@h/d":                                     "REDACTED",
	} {
		if got := redactDSN(in); got != want {
			t.Errorf("redactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDurationString(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 30 * time.Second: "30s", 15 * time.Minute: "15m", 720 * time.Hour: "720h",
		90 * time.Minute: "1h30m", time.Hour + 5*time.Second: "1h0m5s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := Duration(d).String(); got != want {
			t.Errorf("%v: got %q, want %q", d, got, want)
		}
	}
}

// TestDecoderSupportsConfigTypes fails when config.go gains a field the
// decoder cannot fill or one without a yaml tag.
func TestDecoderSupportsConfigTypes(t *testing.T) {
	if err := strictyaml.Check(reflect.TypeFor[Config]()); err != nil {
		t.Error(err)
	}
}

// TestFuzzCorpus makes sure the checked-in corpus covers both outcomes.
func TestFuzzCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzParse/*")
	if err != nil || len(files) < 10 {
		t.Fatalf("want >= 10 corpus files, got %d (%v)", len(files), err)
	}
	ok, bad := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text, found := strings.CutPrefix(string(data), "go test fuzz v1\n[]byte(")
		if !found {
			t.Fatalf("%s is not a go fuzz v1 []byte file", f)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(text), ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := Parse([]byte(s), "warden.yaml", getenv); err == nil {
			ok++
		} else {
			bad++
		}
	}
	if ok < 3 || bad < 3 {
		t.Errorf("corpus: %d valid and %d invalid configurations; want at least 3 of each", ok, bad)
	}
}

func FuzzParse(f *testing.F) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "warden.yaml", getenv)
		if err != nil {
			var se *strictyaml.Error
			if c != nil || !errors.As(err, &se) || len(se.Problems) == 0 || err.Error() == "" {
				t.Fatalf("bad failure: config %v, error %T %v", c, err, err)
			}
			return
		}
		// Defaults are filled in...
		m := c.Monitor
		if c.Store.Driver == "" || c.Server.Addr == "" || m.SweepInterval.D() < time.Second || m.LivenessInterval.D() < time.Second ||
			m.PasswordExpiryWarning == 0 || m.DailyAPIShare <= 0 || m.DailyAPIShare > 1 {
			t.Fatalf("defaults missing: %+v %+v %+v", c.Store, c.Server, m)
		}
		// ... and what passed validation passes the domain's.
		for _, o := range c.DomainOrgs() {
			if err := o.Validate(); err != nil || o.DailyAPIShare <= 0 {
				t.Fatalf("org %+v: %v", o, err)
			}
		}
		for _, x := range c.DomainCredentials() {
			if err := x.Validate(); err != nil {
				t.Fatalf("credential %+v: %v", x, err)
			}
		}
		for _, x := range c.DomainUsers() {
			if err := x.Validate(); err != nil {
				t.Fatalf("user %+v: %v", x, err)
			}
		}
		for _, x := range c.DomainDependents() {
			if err := x.Validate(); err != nil || x.Delivery == "" {
				t.Fatalf("dependent %+v: %v", x, err)
			}
		}
		// The shown form hides secrets and parses back to the same values.
		r := c.Redacted()
		text := c.String()
		for _, s := range c.SecretStores {
			if s.Token != "" && s.Token != Redaction && strings.Contains(text, s.Token) {
				t.Fatalf("token shown:\n%s", text)
			}
		}
		again, err := Parse([]byte(text), "warden.yaml", getenv)
		if err != nil {
			t.Fatalf("String does not parse: %v\n%s", err, text)
		}
		if diff := cmp.Diff(r, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("String does not parse back (-want +got):\n%s\n%s", diff, text)
		}
	})
}

func TestBrokerValidation(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string // substrings of the error; none for a valid file
	}{
		{"loopback listener", "broker: {addr: '127.0.0.1:8443'}", nil},
		{"remote listener with TLS", "broker: {addr: ':8443', tlsCert: c.pem, tlsKey: k.pem}", nil},
		{"remote listener without TLS", "broker: {addr: '0.0.0.0:8443'}", []string{"broker.addr", "beyond loopback"}},
		{"cert without key", "broker: {addr: '127.0.0.1:8443', tlsCert: c.pem}", []string{"broker.tlsKey"}},
		{"TLS without listener", "broker: {tlsCert: c.pem, tlsKey: k.pem}", []string{"broker.addr", "is required"}},
		{"short lifetime", "broker: {sessionLifetime: 30s}", []string{"broker.sessionLifetime"}},
		{"refresh beyond half", "broker: {sessionLifetime: 1h, refreshBefore: 40m}", []string{"broker.refreshBefore"}},
		{"bad rate", "broker: {rate: -5}", []string{"broker.rate"}},
		{"small body", "broker: {maxBodyBytes: 10}", []string{"broker.maxBodyBytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml+"\n"), "/etc/warden/warden.yaml", getenv)
			if len(tc.want) == 0 {
				if err != nil {
					t.Errorf("error %v; want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
