package policy

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

func TestParseSpec(t *testing.T) {
	s, err := LoadSpec("testdata/integration.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Credential.Name != "billing-sync-acme" || s.Credential.ConnectedApp != "Billing Sync" || s.Email != s.Username || s.LastName != "Billing Sync" {
		t.Errorf("defaults: %+v", s)
	}
	deps := s.dependents()
	if len(deps) != 1 || deps[0].Owner != "billing" || deps[0].Delivery != warden.DeliverySecretStore || deps[0].Contact != "billing-oncall@example.com" ||
		len(deps[0].Objects) != 2 || deps[0].Objects[1].Object != "Invoice__c" {
		t.Errorf("dependents: %+v", deps[0])
	}
	tests := []struct{ doc, want string }{
		{"name: X\norg: a\nowner: t\nusername: nobody\n", `bad.yaml:4: username: "nobody" is not a Salesforce username`},
		{"org: a\nowner: t\nusername: a@b.c\n", "bad.yaml:1: name: must not be empty"},
		{"name: X\norg: a\nowner: t\nusername: a@b.c\nobjects:\n  - {object: Acc ount, access: [Reed]}\n",
			`bad.yaml:6: objects[0].object: "Acc ount" is not an sObject name`},
		{"name: X\norg: a\nowner: t\nusername: a@b.c\nobjects:\n  - {object: Account, access: [Reed]}\n",
			`bad.yaml:6: objects[0].access[0]: "Reed" is not an object permission`},
		{"name: X\norg: a\nowner: t\nusername: a@b.c\ncredential: {kind: refresh_token}\n", `credential.kind: "refresh_token" is not jwt, client_credentials or password`},
		{"name: X\norg: a\nowner: t\nusername: a@b.c\ncredential: {kind: password}\n", "password credentials are being retired"},
		{"name: X\norg: a\nowner: t\nusername: a@b.c\nloginIpRanges: [somewhere]\n", `loginIpRanges[0]: "somewhere" is not an IP address`},
		{"name: X\norg: a\nowner: t\nusername: a@b.c\nloginHours: {someday: \"06:00-07:00\"}\n", `loginHours.someday: "someday" is not a weekday`},
		{"name: X\norg: a\nowner: t\nusername: a@b.c\nsecret: x\n", `unknown key "secret"`},
	}
	for _, tt := range tests {
		_, err := ParseSpec([]byte(tt.doc), "bad.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) || warden.ErrorKind(err) != warden.EINVALID {
			t.Errorf("%q: %v, want %q", tt.doc, err, tt.want)
		}
	}
	if s, err := ParseSpec([]byte("name: Old ETL\norg: a\nowner: t\nusername: a@b.c\ncredential: {kind: password, allowPassword: true}\n"), "ok.yaml"); err != nil || s.Credential.Kind != "password" {
		t.Errorf("password with allowPassword: %v", err)
	}
	if slug("Billing Sync (EU) v2") != "billing-sync-eu-v2" || aliasFor("billing.sync@acme.demo") != "billings" {
		t.Errorf("%q %q", slug("Billing Sync (EU) v2"), aliasFor("billing.sync@acme.demo"))
	}
}
