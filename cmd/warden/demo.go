package main

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/emulator"
	"github.com/wardenhq/warden/secret/local"
)

func init() {
	register("demo", "run the demo: emulator, Warden and its status page", runDemo)
}

const demoUsage = `demo [--addr 127.0.0.1:PORT] [--emulator-addr 127.0.0.1:PORT] [--data DIR] [--sweep-interval 30s]

Starts the Salesforce emulator with the built-in demo orgs (integration
users that are healthy, over-privileged, frozen, deactivated, locked, out
of their login hours, near the hourly login limit, still on SOAP login...),
and a Warden server on SQLite that monitors both orgs. It writes its
configuration to DIR/warden.yaml, so other commands can be pointed at the
running demo with --config DIR/warden.yaml. Everything runs on loopback.`

func runDemo(ctx context.Context, m *Main, args []string) error {
	fs := m.flags("demo", demoUsage)
	addr := fs.String("addr", "127.0.0.1:8080", "Warden listen address")
	emuAddr := fs.String("emulator-addr", "127.0.0.1:8484", "emulator listen address")
	dataDir := fs.String("data", "warden-demo", "directory for the demo's configuration, database and secrets")
	interval := fs.Duration("sweep-interval", 30*time.Second, "how often each org is swept")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	if *interval < time.Second {
		return warden.Errorf(warden.EINVALID, "--sweep-interval: %v is shorter than 1s", *interval)
	}
	// Addresses are checked before anything is written or started.
	for _, a := range []struct{ flag, addr string }{{"--addr", *addr}, {"--emulator-addr", *emuAddr}} {
		if err := demoAddr(a.addr); err != nil {
			return warden.Errorf(warden.EINVALID, "%s %s: %v", a.flag, a.addr, err)
		}
	}
	dir, err := filepath.Abs(*dataDir)
	if err == nil {
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return warden.Errorf(warden.EINVALID, "--data: cannot create %s: %v", *dataDir, err)
	}
	seed, key, err := emulator.Demo(time.Now())
	if err != nil {
		return fmt.Errorf("demo seed: %w", err)
	}
	if err := writeKey(filepath.Join(dir, "demo-jwt.key"), key); err != nil {
		return err
	}
	srv, err := emulator.New(seed, emulator.Options{})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	ln, err := net.Listen("tcp", *emuAddr)
	if err != nil {
		return warden.Errorf(warden.EUNAVAILABLE, "--emulator-addr: cannot listen on %s: %v", *emuAddr, err)
	}
	emuURL := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	emuDone := make(chan error, 1)
	go func() { emuDone <- serve(ctx, ln, srv) }()
	defer func() { cancel(); <-emuDone }()

	// Warden's address must be known before the configuration is written.
	wln, err := net.Listen("tcp", *addr)
	if err != nil {
		return warden.Errorf(warden.EUNAVAILABLE, "--addr: cannot listen on %s: %v", *addr, err)
	}
	wardenAddr := wln.Addr().String()
	wln.Close()

	// Rotation delivery: dependents of every delivery kind, and the
	// loopback receiver of the webhook one (demodelivery.go).
	dd, err := startDemoDeliveries(ctx, dir)
	if err != nil {
		return err
	}
	defer dd.Close()

	cfgPath := filepath.Join(dir, "warden.yaml")
	if err := writeDemoConfigWith(ctx, dir, cfgPath, emuURL, wardenAddr, *interval, key, dd); err != nil {
		return err
	}
	cfg, err := m.loadConfig(cfgPath)
	if err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	// Synced before it is announced, so that other commands pointed at
	// the demo find its inventory at once.
	e, err := m.openUnsynced(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	err = e.syncInventory(ctx, e.cfg)
	// Access control: an admin account with a one-time password.
	adminPassword := ""
	if err == nil {
		adminPassword, err = m.demoAdmin(ctx, e)
	}
	e.Close()
	if err != nil {
		return err
	}
	if m.Ready != nil {
		m.Ready("emulator", emuURL)
	}
	fmt.Fprintf(m.Stdout, `Warden demo
  dashboard:            http://%s/
  dashboard login:      admin / %s
                        (a one-time password, shown only now; set your own with
                        warden user reset-password --config %s admin)
  emulator:             %s (login URL and instance URL of both demo orgs)
  emulator control API: %s/_emulator/orgs
  configuration:        %s

Try, in another terminal:
  go run ./cmd/warden status --config %s
  curl -s -X PATCH -H 'Content-Type: application/json' %s/_emulator/orgs/Acme%%20Corp/users/invoice.sync@acme.demo -d '{"frozen":true}'
  (the next sweep, within %v, shows user_frozen; {"frozen":false} shows the recovery)

Demo credentials are public: docs/emulator.md#the-demo-seed. Press Ctrl-C to stop.

`, wardenAddr, adminPassword, cfgPath, emuURL, emuURL, cfgPath, cfgPath, emuURL, *interval)
	return m.serve(ctx, cfg, serveOptions{})
}

// demoOwners are the teams of the demo, with the applications they run.
var demoApps = []struct{ user, app, team, objects string }{
	{"invoice.sync@acme.demo", "Invoice Sync", "billing", "Account:Read;Invoice__c:Read,Create,Edit"},
	{"gis.legacy@acme.demo", "GIS Sync", "gis", "Account:Read,Edit"},
	{"marketing.sync@acme.demo", "Marketing Connector", "marketing", ""},
	{"contracts.esign@acme.demo", "Contract e-Signature", "legal", ""},
	{"warehouse.batch@acme.demo", "Warehouse Batch", "operations", ""},
	{"order.webhook@acme.demo", "Order Webhooks", "commerce", ""},
	{"legacy.soap@acme.demo", "Legacy SOAP ETL", "data", ""},
	{"etl.loader@acme.demo", "ETL Loader", "data", ""},
	{"reporting.api@acme.demo", "Reporting Connector", "analytics", ""},
	{"jwt.analytics@acme.demo", "Analytics Loader", "analytics", ""},
	{"erp.sync@globex.demo", "ERP Sync", "finance", ""},
	{"support.bridge@globex.demo", "Support Bridge", "support", ""},
	{"hr.feed@globex.demo", "HR Feed", "people", ""},
}

// demoConfig is the demo's warden.yaml; every value is quoted (q), so
// that addresses such as [::1]:8080 stay strings.
var demoConfig = template.Must(template.New("demo").Funcs(template.FuncMap{"q": yamlQuote}).Parse(`# Written by "warden demo". Point other commands here with --config.
store:
  driver: sqlite
  path: warden.db
server:
  addr: {{q .Addr}}
  publicUrl: {{q .PublicURL}}
secretStores:
  - name: local
    kind: local
    path: secrets.json
    keyFile: warden.key
orgs:
{{- range .Orgs}}
  - name: {{q .Name}}
    loginUrl: {{q $.Emulator}}
    monitoringCredential: {{q .Credential}}
{{- end}}
credentials:
{{- range .Credentials}}
  - name: {{q .Name}}
    org: {{q .Org}}
    kind: {{q .Kind}}
    username: {{q .Username}}
{{- if .ClientID}}
    clientId: {{q .ClientID}}
{{- end}}
    secret: {store: local, key: {{q .Name}}}
{{- end}}
owners:
{{- range .Teams}}
  - team: {{q .}}
    contacts: [{{q (print . "-oncall@example.com")}}]
{{- end}}
users:
{{- range .Users}}
  - org: {{q .Org}}
    username: {{q .Username}}
    credential: {{q .Credential}}
    owner: {{q .Owner}}
{{- end}}
dependents:
{{- range .Apps}}
  - name: {{q .Name}}
    org: {{q .Org}}
    username: {{q .Username}}
    owner: {{q .Owner}}
    contact: {{q (print .Owner "-oncall@example.com")}}
    delivery: {{q .Delivery}}
{{- if .Target}}
{{.Target}}
{{- end}}
{{- if .Objects}}
    objects:
{{- range .Objects}}
      - {object: {{q .Object}}, access: [{{.Access}}]}
{{- end}}
{{- end}}
{{- end}}
monitor:
  sweepInterval: {{q .Interval}}
  livenessInterval: 15m
# Credential rotation (warden rotate): security tokens arrive in the
# emulator's mailbox.
rotation:
  pollInterval: 1s
  mailboxes:
{{- range .Mailboxes}}
    - {credential: {{q .}}, kind: emulator, account: {store: local, key: {{q (print . "-mailbox")}}}}
{{- end}}
`))

// writeDemoConfig stores every demo credential in a local secret store
// under dir and writes the configuration that monitors both demo orgs.
func writeDemoConfig(ctx context.Context, dir, path, emuURL, addr string, interval time.Duration, key *rsa.PrivateKey) error {
	return writeDemoConfigWith(ctx, dir, path, emuURL, addr, interval, key, nil)
}

// writeDemoConfigWith is writeDemoConfig with the dependents' deliveries
// of dd (demodelivery.go); without dd, every dependent reads the secret
// store.
func writeDemoConfigWith(ctx context.Context, dir, path, emuURL, addr string, interval time.Duration, key *rsa.PrivateKey, dd *demoDeliveries) error {
	keyFile := filepath.Join(dir, "warden.key")
	kek, err := local.KEKFromFile(keyFile)
	if errors.Is(err, fs.ErrNotExist) || warden.ErrorKind(err) == warden.ENOTFOUND {
		kek, err = local.GenerateKEKFile(keyFile)
	}
	if err != nil {
		return err
	}
	secrets, err := local.Open(filepath.Join(dir, "secrets.json"), kek)
	if err != nil {
		return err
	}
	defer secrets.Close()
	if err := dd.prepare(ctx, secrets); err != nil {
		return err
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	put := func(name string, m warden.Material) error {
		_, err := credential.Write(ctx, secrets, name, m, warden.StageCurrent, map[string]string{"source": "warden demo"})
		return err
	}
	type cred struct{ Name, Org, Kind, Username, ClientID string }
	type user struct{ Org, Username, Credential, Owner string }
	type obj struct{ Object, Access string }
	type app struct {
		Name, Org, Username, Owner, Delivery, Target string
		Objects                                      []obj
	}
	data := struct {
		Addr, PublicURL, Emulator, Interval string
		Orgs                                []struct{ Name, Credential string }
		Credentials                         []cred
		Users                               []user
		Apps                                []app
		Teams                               []string
		Mailboxes                           []string // rotation: password credentials' mailboxes
	}{Addr: addr, PublicURL: "http://" + addr, Emulator: emuURL, Interval: interval.String()}
	for _, o := range []struct{ name, admin, key string }{
		{"Acme Corp", "admin@acme.demo", "warden-demo-acme"}, {"Globex Corporation", "admin@globex.demo", "warden-demo-globex"}} {
		short := demoOrgName(o.name)
		name := "monitor-" + short
		data.Orgs = append(data.Orgs, struct{ Name, Credential string }{short, name})
		data.Credentials = append(data.Credentials, cred{name, short, "jwt", o.admin, o.key})
		if err := put(name, warden.Material{PrivateKey: keyPEM}); err != nil {
			return err
		}
	}
	teams := map[string]bool{}
	owner := map[string]string{}
	for _, a := range demoApps {
		owner[a.user] = a.team
	}
	for _, dc := range emulator.DemoCredentials() {
		org := demoOrgName(dc.Org)
		name := strings.Split(dc.Username, "@")[0] + "-" + org
		data.Credentials = append(data.Credentials, cred{name, org, dc.Kind, dc.Username, dc.ClientID})
		m := warden.Material{ClientSecret: dc.ClientSecret}
		switch dc.Kind {
		case "jwt":
			m.PrivateKey = keyPEM
		case "client_credentials":
			m.ClientSecret = dc.Secret
		case "refresh_token":
			m.RefreshToken = dc.Secret
		case "password":
			m.Password = dc.Secret
			data.Mailboxes = append(data.Mailboxes, name) // rotation: token e-mails
		}
		if err := put(name, m); err != nil {
			return err
		}
		data.Users = append(data.Users, user{org, dc.Username, name, owner[dc.Username]})
		teams[owner[dc.Username]] = true
		for _, a := range demoApps {
			if a.user != dc.Username {
				continue
			}
			ap := app{Name: a.app, Org: org, Username: dc.Username, Owner: a.team}
			ap.Delivery, ap.Target = dd.of(a.app)
			if a.objects != "" {
				for _, part := range strings.Split(a.objects, ";") {
					o, acc, _ := strings.Cut(part, ":")
					var quoted []string
					for _, p := range strings.Split(acc, ",") {
						quoted = append(quoted, yamlQuote(p))
					}
					ap.Objects = append(ap.Objects, obj{o, strings.Join(quoted, ", ")})
				}
			}
			data.Apps = append(data.Apps, ap)
		}
	}
	for t := range teams {
		data.Teams = append(data.Teams, t)
	}
	sortStrings(data.Teams)
	var b strings.Builder
	if err := demoConfig.Execute(&b, data); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// demoAddr checks a demo listen address: HOST:PORT on a loopback
// address. The demo's credentials are public and the emulator's control
// API can freeze users and read mailboxes, so it never listens beyond
// this machine.
func demoAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("not HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if !loopbackAddr(addr) {
		return fmt.Errorf("the demo listens on loopback addresses only (127.0.0.1, [::1] or localhost): its credentials are public")
	}
	return nil
}

// demoOrgName is Warden's name for a demo org: "acme", "globex".
func demoOrgName(emulatorName string) string { return strings.ToLower(strings.Fields(emulatorName)[0]) }

// yamlQuote writes s as a YAML double-quoted scalar (JSON's string syntax
// is a subset of it).
func yamlQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
