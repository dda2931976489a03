package delivery

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/credential"
	"github.com/wardenhq/warden/secret/azurekv"
	"github.com/wardenhq/warden/secret/azurekv/azurekvtest"
	"github.com/wardenhq/warden/secret/vault"
	"github.com/wardenhq/warden/secret/vault/vaulttest"
)

func TestSecretStoreDeliverRestore(t *testing.T) {
	tests := []struct {
		name  string
		field string
		value func(m warden.Material) string
	}{
		{"whole material", "", func(m warden.Material) string { b, _ := credential.Encode(m); return string(b) }},
		{"one field", FieldPassword, func(m warden.Material) string { return m.Password }},
	}
	for _, tt := range tests {
		for backend, open := range backends {
			t.Run(tt.name+"/"+backend, func(t *testing.T) {
				testSecretStoreDelivery(t, open(t), tt.field, tt.value)
			})
		}
	}
}

// backends open every secret store kind: local, and Vault and Azure Key
// Vault through their in-process servers.
var backends = map[string]func(t *testing.T) warden.SecretStore{
	"local": localStore,
	"vault": func(t *testing.T) warden.SecretStore {
		srv := vaulttest.Start(t, vaulttest.Options{})
		s, err := vault.New(vault.Config{Address: srv.URL, Token: srv.Token})
		if err != nil {
			t.Fatal(err)
		}
		return s
	},
	"azurekv": func(t *testing.T) warden.SecretStore {
		c, err := azurekvtest.New(azurekvtest.Options{}).NewClient()
		if err != nil {
			t.Fatal(err)
		}
		return azurekv.New(c, "warden-")
	},
}

func testSecretStoreDelivery(t *testing.T, ss warden.SecretStore, field string, value func(warden.Material) string) {
	t.Helper()
	logs := &logBuffer{}
	d := New(Config{Secrets: map[string]warden.SecretStore{"apps": ss}, Logger: logs.logger()})
	dep := &warden.Dependent{Name: "gis", Org: "acme", Username: "billing@acme.demo", Delivery: warden.DeliverySecretStore,
		Target: warden.DeliveryTarget{Secret: &warden.SecretTarget{Store: "apps", Key: "gis/salesforce", Field: field}}}
	c := passwordCred()
	oldM, newM := newMaterial("old"), newMaterial("new")
	if _, err := d.Deliver(bg, dep, c, oldM, "1"); err != nil {
		t.Fatal(err)
	}
	r, err := d.Deliver(bg, dep, c, newM, "2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Detail, "apps/gis/salesforce") {
		t.Errorf("detail = %q", r.Detail)
	}
	cur, err := ss.Get(bg, "gis/salesforce", warden.StageCurrent)
	if err != nil || string(cur.Value) != value(newM) {
		t.Fatalf("current = %v, %v", cur, err)
	}
	if cur.Tags["version"] != "2" || cur.Tags["credential"] != c.Name {
		t.Errorf("tags = %v", cur.Tags)
	}
	// Idempotent: delivering again writes no version.
	if _, err := d.Deliver(bg, dep, c, newM, "2"); err != nil {
		t.Fatal(err)
	}
	if vs, _ := ss.Versions(bg, "gis/salesforce"); len(vs) != 2 {
		t.Errorf("%d versions after a repeated delivery, want 2", len(vs))
	}
	// Restore writes the previous material back as current, once.
	for range 2 {
		if err := d.Restore(bg, dep, c, oldM, "1"); err != nil {
			t.Fatal(err)
		}
	}
	cur, _ = ss.Get(bg, "gis/salesforce", warden.StageCurrent)
	if string(cur.Value) != value(oldM) {
		t.Errorf("restored value is not the previous material")
	}
	if vs, _ := ss.Versions(bg, "gis/salesforce"); len(vs) != 3 {
		t.Errorf("%d versions after a repeated restore, want 3", len(vs))
	}
	noSecrets(t, "logs", logs.String(), oldM, newM)
}

func TestSecretStoreOwnSecret(t *testing.T) {
	d := New(Config{})
	c := passwordCred()
	for _, target := range []*warden.SecretTarget{nil, {Store: c.Secret.Store, Key: c.Secret.Key}} {
		dep := &warden.Dependent{Name: "reader", Org: "acme", Username: c.Username, Delivery: warden.DeliverySecretStore,
			Target: warden.DeliveryTarget{Secret: target}}
		r, err := d.Deliver(bg, dep, c, newMaterial("n"), "5")
		if err != nil {
			t.Fatal(err)
		}
		if want := "reads local/acme/billing: version 5 is current once the rotation promotes it"; r.Detail != want {
			t.Errorf("detail = %q, want %q", r.Detail, want)
		}
	}
}

func TestSecretStoreErrors(t *testing.T) {
	d := New(Config{Secrets: map[string]warden.SecretStore{"apps": localStore(t)}})
	c := passwordCred()
	for _, tt := range []struct {
		name   string
		target warden.SecretTarget
	}{
		{"unknown store", warden.SecretTarget{Store: "nope", Key: "k"}},
		{"bad key", warden.SecretTarget{Store: "apps", Key: "a//b"}},
		{"absent field", warden.SecretTarget{Store: "apps", Key: "k", Field: FieldClientSecret}},
		{"not a secret field", warden.SecretTarget{Store: "apps", Key: "k", Field: FieldUsername}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dep := &warden.Dependent{Name: "x", Org: "acme", Username: c.Username, Delivery: warden.DeliverySecretStore,
				Target: warden.DeliveryTarget{Secret: &tt.target}}
			_, err := d.Deliver(bg, dep, c, newMaterial("n"), "1")
			if warden.ErrorKind(err) != warden.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
		})
	}
}
