package delivery

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

func TestCarriesIdentity(t *testing.T) {
	pw := &warden.Credential{Name: "billing", Kind: warden.CredentialPassword, Username: "a@acme.test", TwinUsername: "b@acme.test"}
	jwt := &warden.Credential{Name: "erp", Kind: warden.CredentialJWT, Username: "e@acme.test", ClientID: "K1", TwinClientID: "K2"}
	plain := &warden.Credential{Name: "solo", Kind: warden.CredentialPassword, Username: "s@acme.test"}
	file := func(tpl string) *warden.Dependent {
		return &warden.Dependent{Name: "app", Delivery: warden.DeliveryFile, Target: warden.DeliveryTarget{File: &warden.FileTarget{Path: "/x", Format: FormatEnv, Template: tpl}}}
	}
	for _, tt := range []struct {
		name string
		d    *warden.Dependent
		c    *warden.Credential
		want string // "" for no error
	}{
		{"template with username", file("U={{ username }}\nP={{password}}\n"), pw, ""},
		{"template without username", file("P={{password}}\n"), pw, "its file template has no username (add {{username}})"},
		{"template without client id", file("K={{privateKey}}\n"), jwt, "its file template has no clientId (add {{clientId}})"},
		{"template with client id", file("K={{privateKey}}\nC={{clientId}}\n"), jwt, ""},
		{"no twin needs nothing", file("P={{password}}\n"), plain, ""},
		{"secret store, whole material", &warden.Dependent{Name: "app", Delivery: warden.DeliverySecretStore, Target: warden.DeliveryTarget{Secret: &warden.SecretTarget{Store: "s", Key: "k"}}}, pw, ""},
		{"secret store, one field", &warden.Dependent{Name: "app", Delivery: warden.DeliverySecretStore, Target: warden.DeliveryTarget{Secret: &warden.SecretTarget{Store: "s", Key: "k", Field: "password"}}}, pw, "holds only the password"},
		{"command env without username", &warden.Dependent{Name: "app", Delivery: warden.DeliveryCommand, Target: warden.DeliveryTarget{Command: &warden.CommandTarget{Path: "/bin/true", Input: InputEnv, Env: map[string]string{"PW": "password"}}}}, pw, "environment has no username"},
		{"command env with username", &warden.Dependent{Name: "app", Delivery: warden.DeliveryCommand, Target: warden.DeliveryTarget{Command: &warden.CommandTarget{Path: "/bin/true", Input: InputEnv, Env: map[string]string{"PW": "password", "U": "username"}}}}, pw, ""},
		{"command stdin", &warden.Dependent{Name: "app", Delivery: warden.DeliveryCommand, Target: warden.DeliveryTarget{Command: &warden.CommandTarget{Path: "/bin/true"}}}, pw, ""},
		{"webhook", &warden.Dependent{Name: "app", Delivery: warden.DeliveryWebhook, Target: warden.DeliveryTarget{Webhook: &warden.WebhookTarget{URL: "https://x"}}}, pw, ""},
		{"manual", &warden.Dependent{Name: "app", Delivery: warden.DeliveryManual}, jwt, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CarriesIdentity(tt.d, tt.c)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.want != "" && (warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(warden.ErrorMessage(err), tt.want)):
				t.Errorf("error %v, want EINVALID containing %q", err, tt.want)
			}
		})
	}
}

// TestTwinDelivery renders and describes the twin a delivery moves the
// dependent to, not the credential's first user.
func TestTwinDelivery(t *testing.T) {
	c := &warden.Credential{Name: "billing", Org: "acme", Kind: warden.CredentialPassword, Username: "a@acme.test", TwinUsername: "b@acme.test",
		Secret: warden.SecretRef{Store: "local", Key: "billing"}}
	m := warden.Material{Password: "New-pass-1TOKEN", Username: "b@acme.test"}
	d := &warden.Dependent{Name: "app", Org: "acme", Username: "a@acme.test", Delivery: warden.DeliveryManual}
	j := &job{dep: d, cred: c, m: m, version: "v2", action: warden.ActionDeliver}
	if got := j.values()[FieldUsername]; got != "b@acme.test" {
		t.Errorf("username field %q, want the twin", got)
	}
	rb := Runbook(d, c, m, "v2", warden.ActionDeliver)
	if !strings.Contains(rb, "user b@acme.test") || !strings.Contains(rb, "set the username to b@acme.test") {
		t.Errorf("runbook does not name the twin:\n%s", rb)
	}
	v, err := secretValue(j, "")
	if err != nil || !strings.Contains(string(v), `"username":"b@acme.test"`) {
		t.Errorf("secret-store value does not name the twin (%v)", err)
	}
	// Back to the first user: the material names it explicitly.
	j.m = warden.Material{Password: "x"}
	if v, _ := secretValue(j, ""); !strings.Contains(string(v), `"username":"a@acme.test"`) {
		t.Error("secret-store value of the first twin does not name it")
	}
}
