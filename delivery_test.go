package warden_test

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden"
)

func TestDependentTarget(t *testing.T) {
	base := func(kind warden.Delivery, target warden.DeliveryTarget, v warden.Verification) *warden.Dependent {
		return &warden.Dependent{Name: "app", Org: "acme", Username: "u@acme", Delivery: kind, Target: target, Verify: v}
	}
	file := &warden.FileTarget{Path: "/etc/app.env", Format: "env", Template: "P={{password}}"}
	tests := []struct {
		name string
		d    *warden.Dependent
		want string // "" for valid
	}{
		{"file", base(warden.DeliveryFile, warden.DeliveryTarget{File: file}, warden.Verification{}), ""},
		{"file without target", base(warden.DeliveryFile, warden.DeliveryTarget{}, warden.Verification{}), "needs a path and a template"},
		{"another kind's target", base(warden.DeliveryCommand, warden.DeliveryTarget{File: file, Command: &warden.CommandTarget{Path: "/bin/true"}}, warden.Verification{}), "a file target does not fit"},
		{"secret store reading its own", base(warden.DeliverySecretStore, warden.DeliveryTarget{}, warden.Verification{}), ""},
		{"secret store half a path", base(warden.DeliverySecretStore, warden.DeliveryTarget{Secret: &warden.SecretTarget{Store: "local"}}, warden.Verification{}), "store and a key"},
		{"legacy webhook", base(warden.DeliveryWebhook, warden.DeliveryTarget{}, warden.Verification{}), ""},
		{"webhook without URL", base(warden.DeliveryWebhook, warden.DeliveryTarget{Webhook: &warden.WebhookTarget{}}, warden.Verification{}), "needs a URL"},
		{"command", base(warden.DeliveryCommand, warden.DeliveryTarget{}, warden.Verification{}), "needs a command"},
		{"default manual with settings", base("", warden.DeliveryTarget{Manual: &warden.ManualTarget{Settings: []string{"x"}}}, warden.Verification{}), ""},
		{"health without URL", base(warden.DeliveryBroker, warden.DeliveryTarget{}, warden.Verification{Method: warden.VerifyHealth}), "needs a URL"},
		{"history without a match", base(warden.DeliveryBroker, warden.DeliveryTarget{}, warden.Verification{Method: warden.VerifyLoginHistory}), "source IPs or an application"},
		{"unknown method", base(warden.DeliveryBroker, warden.DeliveryTarget{}, warden.Verification{Method: "ping"}), "not one of"},
		{"login", base(warden.DeliveryBroker, warden.DeliveryTarget{}, warden.Verification{Method: warden.VerifyLogin}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.want != "" && (warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want EINVALID with %q", err, tt.want)
			}
		})
	}
	for _, k := range []warden.Delivery{warden.DeliveryFile, warden.DeliveryCommand} {
		if !k.Valid() {
			t.Errorf("%s is not Valid", k)
		}
	}
}
