package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardenhq/warden"
)

// deliveryBase declares what the dependents below refer to.
const deliveryBase = `
secretStores:
  - {name: local, kind: local, keyFile: warden.key}
orgs:
  - {name: acme, loginUrl: https://login.salesforce.com, monitoringCredential: billing-cred}
credentials:
  - {name: billing-cred, org: acme, kind: password, username: billing@acme.example, secret: {store: local, key: acme/billing}}
  - {name: rt-cred, org: acme, kind: refresh_token, username: rt@acme.example, clientId: rt-key, secret: {store: local, key: acme/rt}}
users:
  - {org: acme, username: billing@acme.example, credential: billing-cred}
  - {org: acme, username: rt@acme.example, credential: rt-cred}
dependents:
`

func TestDeliveryTargets(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.properties.tmpl"), []byte("sf.password={{password}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := deliveryBase + `
  - name: billing
    org: acme
    username: billing@acme.example
    delivery: file
    target:
      path: conf/billing.env
      mode: "0640"
      template: |
        SF_USERNAME={{username}}
        SF_PASSWORD={{password}}
    verify: {method: health, url: "https://billing.internal/health", expect: ok}
  - name: erp
    org: acme
    username: billing@acme.example
    delivery: file
    target: {path: /etc/erp/app.properties, templateFile: app.properties.tmpl}
  - name: gis
    org: acme
    username: billing@acme.example
    delivery: secret_store
    target: {store: local, key: apps/gis, field: password}
    verify: {method: login_history, sourceIps: [198.51.100.7], application: GIS}
  - name: reader
    org: acme
    username: billing@acme.example
    delivery: secret_store
  - name: orders
    org: acme
    username: billing@acme.example
    delivery: webhook
    target: {url: "https://orders.internal/hooks/sf", secret: {store: local, key: hooks/orders}}
    verify: {method: login}
  - name: deploy
    org: acme
    username: billing@acme.example
    delivery: command
    target: {command: bin/reload.sh, args: [--app, deploy], input: env, env: {SF_PASSWORD: password}, timeout: 30s}
  - name: portal
    org: acme
    username: billing@acme.example
    target: {settings: ["Admin > Salesforce > Password"], instructions: Restart the portal.}
`
	c, err := Parse([]byte(yaml), filepath.Join(dir, "warden.yaml"), getenv)
	if err != nil {
		t.Fatal(err)
	}
	deps := c.DomainDependents()
	for _, d := range deps {
		if err := d.Validate(); err != nil {
			t.Errorf("dependent %s does not validate: %v", d.Name, err)
		}
	}
	want := []warden.DeliveryTarget{
		{File: &warden.FileTarget{Path: filepath.Join(dir, "conf", "billing.env"), Format: "env", Mode: 0o640,
			Template: "SF_USERNAME={{username}}\nSF_PASSWORD={{password}}\n"}},
		{File: &warden.FileTarget{Path: "/etc/erp/app.properties", Format: "properties", Template: "sf.password={{password}}\n"}},
		{Secret: &warden.SecretTarget{Store: "local", Key: "apps/gis", Field: "password"}},
		{},
		{Webhook: &warden.WebhookTarget{URL: "https://orders.internal/hooks/sf", Secret: warden.SecretRef{Store: "local", Key: "hooks/orders"}}},
		{Command: &warden.CommandTarget{Path: filepath.Join(dir, "bin", "reload.sh"), Args: []string{"--app", "deploy"}, Input: "env",
			Env: map[string]string{"SF_PASSWORD": "password"}, Timeout: 30 * time.Second}},
		{Manual: &warden.ManualTarget{Settings: []string{"Admin > Salesforce > Password"}, Instructions: "Restart the portal."}},
	}
	for i, d := range deps {
		if diff := cmp.Diff(want[i], d.Target); diff != "" {
			t.Errorf("dependent %s target (-want +got):\n%s", d.Name, diff)
		}
	}
	if v := deps[2].Verify; v.Method != warden.VerifyLoginHistory || v.Application != "GIS" || v.SourceIPs[0] != "198.51.100.7" {
		t.Errorf("gis verify = %+v", v)
	}
	if deps[6].Delivery != warden.DeliveryManual {
		t.Errorf("portal delivery = %q, want the default manual", deps[6].Delivery)
	}
}

func TestDeliveryTargetErrors(t *testing.T) {
	dep := func(delivery, rest string) string {
		return "  - {name: app, org: acme, username: billing@acme.example, delivery: " + delivery + ", " + rest + "}\n"
	}
	tests := []struct {
		name, dep string
		want      []string
	}{
		{"file without template", dep("file", "target: {path: /etc/app.env}"), []string{"target.template: is required"}},
		{"file format unknown", dep("file", "target: {path: /etc/app.conf, template: x}"), []string{"target.format: is required"}},
		{"bad template", dep("file", `target: {path: /etc/app.env, template: "P={{pasword}}"}`), []string{`"pasword" is not a field`}},
		{"key path needed", dep("file", `target: {path: /etc/app.env, template: "K={{privateKeyPath}}"}`), []string{"target.keyPath: is required"}},
		{"bad mode", dep("file", `target: {path: /etc/app.env, template: "P={{password}}", mode: "rw"}`), []string{"not an octal file mode"}},
		{"key of another kind", dep("file", `target: {path: /etc/app.env, template: "P={{password}}", url: "https://x"}`), []string{"target.url: is not used by kind file"}},
		{"unknown store", dep("secret_store", "target: {store: vault, key: apps/x}"), []string{`secret store "vault" is not declared`}},
		{"half a ref", dep("secret_store", "target: {store: local}"), []string{"give both store and key"}},
		{"bad field", dep("secret_store", "target: {store: local, key: a, field: username}"), []string{`"username" is not password`}},
		{"plain http", dep("webhook", `target: {url: "http://orders.example.com/h?token=tok3n", secret: {store: local, key: k}}`), []string{"must be https"}},
		{"webhook without secret", dep("webhook", `target: {url: "https://orders.example.com/h"}`), []string{"target.secret: is required"}},
		{"command relative to nothing", dep("command", "target: {input: argv}"), []string{"target.command: is required", `"argv" is not stdin or env`}},
		{"env names", dep("command", "target: {command: /bin/true, input: env, env: {WARDEN_X: password, OK: pasword}}"),
			[]string{`"WARDEN_X" is not a usable variable name`, `"pasword" is not`}},
		{"verify method", dep("broker", "verify: {method: ping}"), []string{`"ping" is not health, login or login_history`}},
		{"verify url", dep("broker", "verify: {method: health}"), []string{"verify.url: is required"}},
		{"verify history", dep("broker", "verify: {method: login_history, sourceIps: [nope]}"), []string{`"nope" is not an IP address`}},
		{"verify without method", dep("broker", "verify: {url: https://x}"), []string{"verify.method: is required"}},
		{"test login with a refresh token", "  - {name: app, org: acme, username: rt@acme.example, delivery: broker, verify: {method: login}}\n",
			[]string{"login would spend the dependent's refresh token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(deliveryBase+tt.dep), "/etc/warden/warden.yaml", getenv)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "tok3n") {
				t.Errorf("the error quotes the webhook URL's token")
			}
		})
	}
}

func TestDeliveryTargetRedacted(t *testing.T) {
	yaml := deliveryBase + `
  - name: orders
    org: acme
    username: billing@acme.example
    delivery: webhook
    target: {url: "https://orders.internal/hooks/tok3n-in-path?sig=tok3n-in-query", secret: {store: local, key: hooks/orders}}
`
	c, err := Parse([]byte(yaml), "/etc/warden/warden.yaml", getenv)
	if err != nil {
		t.Fatal(err)
	}
	if s := c.String(); strings.Contains(s, "tok3n") || !strings.Contains(s, "orders.internal") {
		t.Errorf("the shown configuration:\n%s", s)
	}
	if c.Dependents[0].Target.URL != "https://orders.internal/hooks/tok3n-in-path?sig=tok3n-in-query" {
		t.Errorf("Redacted changed the original")
	}
}
