package inventory_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/inventory"
	"github.com/wardenhq/warden/sqlite"
)

// impactStore holds one org with users of every credential kind and
// dependents of every delivery.
func impactStore(t *testing.T) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.MemoryPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.UpsertOrg(ctx, &warden.Org{Name: "acme", LoginURL: "https://login.salesforce.com", MonitoringCredential: "monitor-acme"}))
	for _, c := range []*warden.Credential{
		{Name: "monitor-acme", Org: "acme", Kind: warden.CredentialJWT, Username: "admin@acme.demo", ClientID: "k0", Secret: warden.SecretRef{Store: "local", Key: "monitor-acme"}},
		{Name: "pw", Org: "acme", Kind: warden.CredentialPassword, Username: "legacy@acme.demo", Secret: warden.SecretRef{Store: "vault", Key: "pw"}},
		{Name: "rt", Org: "acme", Kind: warden.CredentialRefreshToken, Username: "rt@acme.demo", ClientID: "k1", Secret: warden.SecretRef{Store: "local", Key: "rt"}},
		{Name: "cc", Org: "acme", Kind: warden.CredentialClientCredentials, Username: "cc@acme.demo", ClientID: "k2", Secret: warden.SecretRef{Store: "local", Key: "cc"}},
	} {
		must(db.UpsertCredential(ctx, c))
	}
	must(db.UpsertOwner(ctx, &warden.Owner{Team: "billing", Contacts: []string{"billing@acme.example", "#billing"}}))
	must(db.UpsertOwner(ctx, &warden.Owner{Team: "data"}))
	for _, u := range []*warden.IntegrationUser{
		{Org: "acme", Username: "admin@acme.demo", Credential: "monitor-acme"},
		{Org: "acme", Username: "legacy@acme.demo", Credential: "pw", Owner: "billing", Reasons: []string{"licence Salesforce Integration"}},
		{Org: "acme", Username: "rt@acme.demo", Credential: "rt", Owner: "data"},
		{Org: "acme", Username: "cc@acme.demo", Credential: "cc"},
		{Org: "acme", Username: "bare@acme.demo"},
	} {
		must(db.UpsertUser(ctx, u))
	}
	for _, d := range []*warden.Dependent{
		{Name: "Billing ETL", Org: "acme", Username: "legacy@acme.demo", Owner: "billing", Contact: "etl@acme.example", Delivery: warden.DeliveryManual},
		{Name: "Billing API", Org: "acme", Username: "legacy@acme.demo", Owner: "billing", Delivery: warden.DeliverySecretStore},
		{Name: "Billing Portal", Org: "acme", Username: "legacy@acme.demo", Owner: "billing", Delivery: warden.DeliveryBroker},
		{Name: "Billing Hook", Org: "acme", Username: "legacy@acme.demo", Owner: "data", Delivery: warden.DeliveryWebhook},
		{Name: "Loader", Org: "acme", Username: "rt@acme.demo", Owner: "data", Delivery: warden.DeliverySecretStore},
		{Name: "ERP", Org: "acme", Username: "cc@acme.demo", Owner: "nobody", Delivery: warden.DeliveryManual},
		{Name: "Old App", Org: "acme", Username: "bare@acme.demo", Delivery: warden.DeliverySecretStore},
		{Name: "New App", Org: "acme", Username: "bare@acme.demo", Delivery: warden.DeliveryBroker},
	} {
		must(db.UpsertDependent(ctx, d))
	}
	return db
}

func TestImpact(t *testing.T) {
	db := impactStore(t)
	ctx := t.Context()
	tests := []struct {
		user                  string
		kind                  warden.CredentialKind
		freeze, password, via []string
		rule                  string
	}{
		{"legacy@acme.demo", warden.CredentialPassword, []string{"Billing API", "Billing ETL", "Billing Hook", "Billing Portal"},
			[]string{"Billing API", "Billing ETL"}, []string{"Billing Hook", "Billing Portal"}, "The credential is a password + security token"},
		{"rt@acme.demo", warden.CredentialRefreshToken, []string{"Loader"}, []string{"Loader"}, []string{}, "The credential is an OAuth refresh token"},
		{"cc@acme.demo", warden.CredentialClientCredentials, []string{"ERP"}, []string{}, []string{}, "The credential (the client credentials flow) does not use the password"},
		{"admin@acme.demo", warden.CredentialJWT, []string{}, []string{}, []string{}, "The credential (a JWT bearer certificate) does not use the password"},
		{"BARE@acme.demo", "", []string{"New App", "Old App"}, []string{"Old App"}, []string{"New App"}, "The inventory names no credential"},
	}
	for _, tc := range tests {
		r, err := inventory.Impact(ctx, db, "acme", tc.user)
		if err != nil {
			t.Fatalf("%s: %v", tc.user, err)
		}
		if !strings.EqualFold(r.Username, tc.user) {
			t.Errorf("%s: username %s", tc.user, r.Username)
		}
		if tc.kind == "" && r.Credential != nil || tc.kind != "" && (r.Credential == nil || r.Credential.Kind != tc.kind) {
			t.Errorf("%s: credential %+v", tc.user, r.Credential)
		}
		if !slices.Equal(r.OnFreeze, tc.freeze) || !slices.Equal(r.OnPasswordChange, tc.password) || !slices.Equal(r.AfterWardenUpdate, tc.via) {
			t.Errorf("%s: freeze %q password %q via Warden %q", tc.user, r.OnFreeze, r.OnPasswordChange, r.AfterWardenUpdate)
		}
		if r.Rules[0] != inventory.RuleFreeze || !strings.HasPrefix(r.Rules[1], tc.rule) {
			t.Errorf("%s: rules %q", tc.user, r.Rules)
		}
		for _, d := range r.Dependents {
			if !d.BreaksOnFreeze || d.BreaksOnPasswordChange != (d.PasswordChange == inventory.PasswordBreaks) || d.Why == "" || d.HowItGetsCredentials == "" {
				t.Errorf("%s: dependent %+v", tc.user, d)
			}
		}
	}

	r, err := inventory.Impact(ctx, db, "acme", "legacy@acme.demo")
	if err != nil {
		t.Fatal(err)
	}
	if r.Owner == nil || r.Owner.Team != "billing" || !slices.Equal(r.Owner.Contacts, []string{"billing@acme.example", "#billing"}) {
		t.Errorf("owner: %+v", r.Owner)
	}
	c := r.Credential
	if c.SecretStore != "vault" || c.SecretKey != "pw" || !c.Legacy || c.Name != "pw" {
		t.Errorf("credential: %+v", c)
	}
	byName := map[string]*inventory.AffectedDependent{}
	for _, d := range r.Dependents {
		byName[d.Name] = d
	}
	if d := byName["Billing API"]; d.HowItGetsCredentials != "reads the secret store itself (store vault, key pw)" || d.PasswordChange != "breaks" {
		t.Errorf("Billing API: %+v", d)
	}
	if d := byName["Billing ETL"]; d.Contact != "etl@acme.example" || !slices.Equal(d.OwnerContacts, []string{"billing@acme.example", "#billing"}) {
		t.Errorf("Billing ETL: %+v", d)
	}
	if d := byName["Billing Hook"]; d.Owner != "data" || len(d.OwnerContacts) != 0 || d.PasswordChange != "recovers_with_warden" {
		t.Errorf("Billing Hook: %+v", d)
	}
	if len(r.Monitoring) != 0 {
		t.Errorf("monitoring: %q", r.Monitoring)
	}
	r, err = inventory.Impact(ctx, db, "acme", "admin@acme.demo")
	if err != nil || !slices.Equal(r.Monitoring, []string{"acme"}) || !strings.Contains(r.Rules[len(r.Rules)-1], "Warden itself reads org acme") {
		t.Errorf("admin: %+v %v", r, err)
	}
	// JSON has lists, never null.
	b, _ := json.Marshal(r)
	for _, want := range []string{`"dependents":[]`, `"onFreeze":[]`, `"onPasswordChange":[]`, `"afterWardenUpdate":[]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}

	for _, tc := range []struct{ org, user, msg string }{
		{"nope", "legacy@acme.demo", `org "nope" is not in the inventory (see warden org list)`},
		{"acme", "ghost@acme.demo", `user "ghost@acme.demo" is not an integration user of org "acme" in the inventory (see warden users --org acme)`},
	} {
		_, err := inventory.Impact(ctx, db, tc.org, tc.user)
		if warden.ErrorKind(err) != warden.ENOTFOUND || warden.ErrorMessage(err) != tc.msg {
			t.Errorf("%s/%s: %v", tc.org, tc.user, err)
		}
	}
}
